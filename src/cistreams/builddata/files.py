"""Reading one build-data file safely: a plain file, of bounded size, never a hang.

Every build-data read goes through `read_text` (or `load_file`, which parses it too), and
each file read is added to the run's log, so the output can never overwrite one.
Something that exists under the name but is not a readable regular file (a directory, a
dangling or looping symbolic link, a device, a FIFO) is an error naming the file, never
"absent": treating it as absent would silently drop streams from the output. A FIFO is
opened without blocking and a file is checked with fstat on the opened descriptor, so what
was checked is what is read; a file larger than MAX_FILE_BYTES is refused before it is read
into memory.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

from cistreams import yamlio
from cistreams.errors import CistreamsError, FileRead, Location

# Real streams.yml files are under 1 MB; a file this large is a mistake (or /dev/zero's twin).
MAX_FILE_BYTES = 64 * 1024 * 1024
_OPEN_FLAGS = (os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0))
_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"))


FileLog = list[FileRead]


def load_file(path: Path, display_name: str, log: FileLog | None,
              include_resolver: yamlio.IncludeResolver | None = None) -> Any:
    """Read and parse `path` (see `read_text` and `yamlio.load`)."""
    return yamlio.load(read_text(path, display_name, log), display_name, include_resolver)


def read_text(path: Path, display_name: str, log: FileLog | None = None) -> str:
    """The UTF-8 text of `path` (newlines as Python's text mode reads them), or a
    CistreamsError naming `display_name`; the file is added to `log` when given."""
    data = read_bytes(path, display_name, log)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CistreamsError(f"not UTF-8 text ({exc.reason})", Location(display_name)) from None
    # universal newlines, as Path.read_text gave them before: \r\n and a lone \r become \n
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def read_bytes(path: Path, display_name: str, log: list[FileRead] | None = None) -> bytes:
    """The bytes of the regular file `path`, at most MAX_FILE_BYTES (see the module doc)."""
    where = Location(display_name)
    recorded = _recorded_path(path, where)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise _open_error(path, exc, where) from None
    try:
        status = os.fstat(fd)
        _check_regular(status.st_mode, where)
        _check_size(status.st_size, where)
        data = _read_all(fd, status.st_size, where)
    finally:
        os.close(fd)
    if log is not None:
        log.append(FileRead(display_name, recorded, status.st_dev, status.st_ino))
    return data


def _recorded_path(path: Path, where: Location) -> str:
    """The path to remember: resolved for a symbolic link (its target is what is read),
    else absolute (its folder is resolved when the output is checked, once per folder)."""
    try:
        status = os.lstat(path)
    except OSError as exc:
        raise _open_error(path, exc, where) from None
    if not stat.S_ISLNK(status.st_mode):
        _check_regular(status.st_mode, where)  # a device is refused before it is opened
        return str(path.absolute())
    try:
        _check_regular(path.stat().st_mode, where)
    except OSError as exc:
        raise _open_error(path, exc, where) from None
    return os.path.realpath(path)


def _open_error(path: Path, exc: OSError, where: Location) -> CistreamsError:
    if exc.errno == errno.ELOOP:
        return CistreamsError("is a symbolic link that loops (too many levels of symbolic "
                              "links)", where)
    if exc.errno == errno.ENOENT and path.is_symlink():
        return CistreamsError(f"is a dangling symbolic link (to {str(path.readlink())!r}, "
                              "which does not exist)", where)
    return CistreamsError(f"cannot read: {exc.strerror}", where)


def _check_regular(mode: int, where: Location) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    raise CistreamsError(f"is {kind}, not a regular file", where)


def _check_size(size: int, where: Location) -> None:
    if size > MAX_FILE_BYTES:
        raise CistreamsError(f"is {size:,} bytes, larger than a build-data file may be "
                             f"({MAX_FILE_BYTES:,} bytes)", where)


def _read_all(fd: int, size: int, where: Location) -> bytes:
    """Read to the end (usually two reads), never more than MAX_FILE_BYTES + 1 bytes: the
    file may grow after fstat."""
    chunks: list[bytes] = []
    total, want = 0, size + 1
    while chunk := os.read(fd, min(want, MAX_FILE_BYTES + 1 - total)):
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_FILE_BYTES:
            raise CistreamsError(f"grew past {MAX_FILE_BYTES:,} bytes while it was read, "
                                 "larger than a build-data file may be", where)
        want = 1 << 16
    return b"".join(chunks)

"""Writing the result so that a failed run never leaves a half-written or emptied file.

What `-o` names decides how it is written:
- nothing yet, or a regular file: a temp file in the same folder, flushed, fsynced and
  renamed over it (the file keeps its permissions; a failure leaves it as it was);
- a symbolic link (a chain too): its final target, the same way; the link stays a link,
  and a dangling link gets its target created (when the target's folder exists);
- a device, a FIFO, `/dev/stdout` and the like: written in place, directly (renaming over
  them would replace the device or the link with a plain file, and a FIFO's reader would
  never see the output);
- a directory: an error; `-`: standard output.
A path that is, or leads to, a build-data file the run read is refused before anything is
written.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from cistreams.errors import CistreamsError, FileRead

STDOUT = "-"
_IN_PLACE_FLAGS = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def write_atomic(target: str, text: str, protected: Iterable[FileRead] = ()) -> None:
    """Write `text` to `target` ('-' is standard output), atomically where the file allows
    (see the module doc); `protected` are files the output must never replace."""
    if target == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    refuse_build_data(target, protected)
    path, status, replace = _destination(target)
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise CistreamsError(f"-o {target}: is a directory; name a file to write")
    data = text.encode("utf-8")
    if replace:
        _replace(path, data, target, status)
    else:
        _write_in_place(path, data, target, status)


def refuse_build_data(target: str, protected: Iterable[FileRead]) -> None:
    """Raise when `target` is, or resolves to, one of the `protected` build-data files:
    the same resolved path, or the same file (st_dev, st_ino) under another name."""
    files = list(protected)
    if not files:
        return
    resolved = os.path.realpath(target)
    try:
        status = Path(target).stat()
        identity: tuple[int, int] | None = (status.st_dev, status.st_ino)
    except OSError:
        identity = None  # nothing there (yet): only the path can match
    folders: dict[str, str] = {}  # the files read share a few folders: resolve each once
    for read in files:
        if identity == (read.dev, read.ino) or _resolved(read.path, folders) == resolved:
            raise CistreamsError(f"-o {target}: that is the build-data file {read.display} "
                                 "this run reads; write the output elsewhere")


def _resolved(path: str, folders: dict[str, str]) -> str:
    folder, name = os.path.split(path)
    if folder not in folders:
        folders[folder] = os.path.realpath(folder)
    return str(Path(folders[folder], name))


def _destination(target: str) -> tuple[Path, os.stat_result | None, bool]:
    """Where to write, what is there now (None: nothing yet), and whether to replace it
    atomically (True) or write in place (False)."""
    path = Path(target)
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return path, None, True
    except OSError as exc:
        raise CistreamsError(f"-o {target}: cannot write: {exc.strerror}") from None
    if stat.S_ISLNK(status.st_mode):
        return _follow(path, target)
    return path, status, stat.S_ISREG(status.st_mode)


def _follow(link: Path, target: str) -> tuple[Path, os.stat_result | None, bool]:
    """A symbolic link's final target (every link of a chain followed)."""
    final = Path(os.path.realpath(link))
    try:
        status = link.stat()
    except FileNotFoundError:
        return final, None, True  # dangling: create what it points to
    except OSError as exc:
        raise CistreamsError(f"-o {target}: cannot follow the symbolic link: "
                             f"{exc.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        return link, status, False
    with contextlib.suppress(OSError):
        same = final.stat()
        if (same.st_dev, same.st_ino) == (status.st_dev, status.st_ino):
            return final, status, True
    # the link reaches a file its target path does not name (/dev/stdout to a deleted
    # file: /proc shows "name (deleted)"): write through the link itself
    return link, status, False


def _replace(path: Path, data: bytes, target: str,
             status: os.stat_result | None) -> None:
    """Write a temp file beside `path`, then rename it over `path` (atomic)."""
    folder = path.parent if str(path.parent) else Path()
    if not folder.is_dir():
        raise CistreamsError(f"-o {target}: the folder {folder} does not exist")
    mode = status.st_mode & 0o777 if status is not None else _new_file_mode()
    try:
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise CistreamsError(f"-o {target}: cannot write in {folder}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp).chmod(mode)
        Path(temp).replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(temp).unlink()
        raise CistreamsError(f"-o {target}: cannot write: {exc.strerror}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temp).unlink()
        raise


def _write_in_place(path: Path, data: bytes, target: str,
                    status: os.stat_result | None) -> None:
    """Open `path` for writing as it is (a device, a FIFO, a descriptor link) and write.

    No O_CREAT and no rename; O_TRUNC only for a regular file reached this way, so that
    it holds the output alone (a device is never truncated).
    """
    regular = status is not None and stat.S_ISREG(status.st_mode)
    try:
        fd = os.open(path, _IN_PLACE_FLAGS | (os.O_TRUNC if regular else 0))
    except OSError as exc:
        raise CistreamsError(f"-o {target}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
    except OSError as exc:
        raise CistreamsError(f"-o {target}: cannot write: {exc.strerror}") from None


def _new_file_mode() -> int:
    """A new file gets 0666 less the umask, as open() would give it."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask

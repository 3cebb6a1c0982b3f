"""The one way build data is read: a regular file of bounded size, recorded, never a hang."""

from __future__ import annotations

import errno
import os
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from cistreams.builddata import files
from cistreams.errors import CistreamsError, FileRead

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")


def _error(path: Path, read: bool = False) -> str:
    """The error reading `path`; only a file whose bytes were read is recorded."""
    log: list[FileRead] = []
    with pytest.raises(CistreamsError) as caught:
        files.read_text(path, "streams.yml", log)
    assert len(log) == read
    return str(caught.value)


def _in_thread(call: Callable[[], object], unblock: Callable[[], None]) -> object:
    """`call()`'s result or exception; fails (after unblocking it) if it does not return."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as exc:  # handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=10)
    if thread.is_alive():
        unblock()
        thread.join(timeout=10)
        pytest.fail("reading hung")
    return outcome[0]


def test_text_is_utf8_with_universal_newlines(tmp_path: Path) -> None:
    path = tmp_path / "streams.yml"
    path.write_bytes("a: é\r\nb: 2\rc: 3\n".encode())
    assert files.read_text(path, "streams.yml") == "a: é\nb: 2\nc: 3\n"
    with path.open(encoding="utf-8") as handle:  # what Path.read_text gave before
        assert files.read_text(path, "streams.yml") == handle.read()


def test_a_file_read_is_recorded_with_its_identity(tmp_path: Path) -> None:
    path = tmp_path / "group.yml"
    path.write_text("name: x\n")
    log: list[FileRead] = []
    assert files.load_file(path, "group.yml", log=log) == {"name": "x"}
    status = path.stat()
    assert log == [FileRead("group.yml", str(path), status.st_dev, status.st_ino)]


def test_a_link_is_recorded_as_its_target(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "streams.yml"
    real.parent.mkdir()
    real.write_text("a: 1\n")
    (tmp_path / "data").mkdir()
    link = tmp_path / "data" / "streams.yml"
    link.symlink_to("../shared/streams.yml")
    log: list[FileRead] = []
    assert files.read_text(link, "streams.yml", log) == "a: 1\n"
    assert log == [FileRead("streams.yml", str(real.resolve()), real.stat().st_dev,
                            real.stat().st_ino)]


def test_not_utf8_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "streams.yml"
    path.write_bytes(b"a: \xff\n")
    assert _error(path, read=True) == "streams.yml: not UTF-8 text (invalid start byte)"


def test_a_directory_is_an_error(tmp_path: Path) -> None:
    assert _error(tmp_path) == "streams.yml: is a directory, not a regular file"


def test_a_link_to_a_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "link").symlink_to("folder")
    assert _error(tmp_path / "link") == "streams.yml: is a directory, not a regular file"


def test_a_dangling_link_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to("nowhere.yml")
    assert _error(tmp_path / "link") == ("streams.yml: is a dangling symbolic link (to "
                                         "'nowhere.yml', which does not exist)")


def test_a_looping_link_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    assert _error(tmp_path / "a") == ("streams.yml: is a symbolic link that loops (too many "
                                      "levels of symbolic links)")


def test_a_missing_file_cannot_be_read(tmp_path: Path) -> None:
    assert _error(tmp_path / "gone") == "streams.yml: cannot read: No such file or directory"


def test_an_unreadable_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "streams.yml"
    path.write_text("a: 1\n")

    def denied(*_: object, **__: object) -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "open", denied)  # root reads any file: simulate the refusal
    assert _error(path) == "streams.yml: cannot read: Permission denied"


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "streams.yml"
    os.mkfifo(fifo)
    outcome = _in_thread(lambda: files.read_text(fifo, "streams.yml"),
                         lambda: os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)))
    assert isinstance(outcome, CistreamsError)
    assert str(outcome) == "streams.yml: is a FIFO (named pipe), not a regular file"


def test_the_opened_descriptor_is_checked_and_a_fifo_never_blocks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A regular file swapped for a FIFO after the first look: open must not block, and
    fstat on the descriptor still refuses it."""
    fifo = tmp_path / "streams.yml"
    os.mkfifo(fifo)
    monkeypatch.setattr(files, "_recorded_path", lambda path, where: str(path))

    def unblock() -> None:
        os.close(os.open(fifo, os.O_RDWR))  # a writer lets a blocking open return

    outcome = _in_thread(lambda: files.read_text(fifo, "streams.yml"), unblock)
    assert isinstance(outcome, CistreamsError)
    assert str(outcome) == "streams.yml: is a FIFO (named pipe), not a regular file"


def test_a_socket_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a socket path must be short
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("s.yml")
        assert _error(Path("s.yml")) == "streams.yml: is a socket, not a regular file"


@needs_root
def test_a_device_is_refused_before_it_is_opened(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    device = tmp_path / "streams.yml"
    os.mknod(device, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null, in tmp_path
    opened: list[Path] = []
    real_open = os.open

    def spy(path: Path, flags: int, *rest: int) -> int:
        opened.append(path)
        return real_open(path, flags, *rest)

    monkeypatch.setattr(os, "open", spy)
    assert _error(device) == "streams.yml: is a character device, not a regular file"
    assert opened == []


@needs_root
def test_a_device_swapped_in_late_is_refused_by_fstat(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    device = tmp_path / "streams.yml"
    os.mknod(device, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # like /dev/zero: endless
    monkeypatch.setattr(files, "_recorded_path", lambda path, where: str(path))
    assert _error(device) == "streams.yml: is a character device, not a regular file"


@needs_root
def test_a_block_device_is_an_error(tmp_path: Path) -> None:
    device = tmp_path / "streams.yml"
    os.mknod(device, 0o600 | stat.S_IFBLK, os.makedev(7, 0))  # a loop device, never opened
    assert _error(device) == "streams.yml: is a block device, not a regular file"


def test_size_limit_is_inclusive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 10)
    path = tmp_path / "streams.yml"
    path.write_bytes(b"a: 1234567")
    assert files.read_text(path, "streams.yml") == "a: 1234567"
    path.write_bytes(b"a: 12345678")
    assert _error(path) == ("streams.yml: is 11 bytes, larger than a build-data file may be "
                            "(10 bytes)")


def test_the_real_limit_is_64_mb(tmp_path: Path) -> None:
    path = tmp_path / "streams.yml"
    with path.open("wb") as handle:
        handle.truncate(64 * 2**20 + 1)  # sparse: no disk used
    assert _error(path) == ("streams.yml: is 67,108,865 bytes, larger than a build-data file "
                            "may be (67,108,864 bytes)")


def test_a_file_larger_than_its_size_says_is_read_whole() -> None:
    """/proc files report size 0: the read goes on to the end, not to st_size."""
    cmdline = Path("/proc/self/cmdline")
    if not cmdline.exists() or cmdline.stat().st_size != 0:
        pytest.skip("needs Linux /proc")
    assert files.read_bytes(cmdline, "cmdline") == cmdline.read_bytes()
    assert len(cmdline.read_bytes()) > 1


def test_a_file_growing_past_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    cmdline = Path("/proc/self/cmdline")
    if not cmdline.exists() or len(cmdline.read_bytes()) <= 10:
        pytest.skip("needs Linux /proc")
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 10)
    with pytest.raises(CistreamsError) as caught:
        files.read_bytes(cmdline, "streams.yml")
    assert str(caught.value) == ("streams.yml: grew past 10 bytes while it was read, larger "
                                 "than a build-data file may be")

"""-o, whatever it names: regular files and new paths are replaced atomically, links are
followed and stay links, devices and FIFOs are written in place, a directory or a
build-data file is refused. Every path is inside tmp_path (device nodes made there too):
a test must never write the machine's own /dev entries."""

from __future__ import annotations

import errno
import io
import os
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from cistreams import output
from cistreams.errors import CistreamsError, FileRead
from helpers import EXAMPLE, run_cli

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")
TEXT = "---\napiVersion: v1\nkind: BuildConfig\n"
UNICODE = "---\na: é\nb: 2\n"


def _write(target: Path | str, text: str = TEXT,
           protected: Sequence[FileRead] = ()) -> None:
    output.write_atomic(str(target), text, protected)


def _error(target: Path | str, protected: Sequence[FileRead] = ()) -> str:
    with pytest.raises(CistreamsError) as caught:
        _write(target, protected=protected)
    return str(caught.value)


def _leftovers(*folders: Path) -> list[str]:
    return sorted(p.name for folder in folders for p in folder.iterdir() if p.name.endswith(".tmp"))


def _mknod(path: Path, major: int, minor: int) -> None:
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))


# regular files and new paths

def test_a_new_file_is_created_with_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        _write(tmp_path / "out.yaml", UNICODE)
    finally:
        os.umask(old)
    assert (tmp_path / "out.yaml").read_bytes() == b"---\na: \xc3\xa9\nb: 2\n"
    assert stat.S_IMODE((tmp_path / "out.yaml").stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_a_regular_file_is_replaced_by_rename_keeping_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("previous contents that are longer than the new ones\n" * 10)
    target.chmod(0o604)
    before = target.stat().st_ino
    _write(target)
    assert target.read_text() == TEXT
    assert target.stat().st_ino != before  # a new file took its place: never half-written
    assert stat.S_IMODE(target.stat().st_mode) == 0o604
    assert _leftovers(tmp_path) == []


def test_a_failed_write_leaves_the_previous_file(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("previous\n")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    assert _error(target) == f"-o {target}: cannot write: No space left on device"
    assert target.read_text() == "previous\n"
    assert _leftovers(tmp_path) == []


def test_an_interrupted_write_leaves_the_previous_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("previous\n")

    def ctrl_c(_fd: int) -> None:  # the text is in the temp file, not yet renamed
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        _write(target)
    assert target.read_text() == "previous\n"
    assert _leftovers(tmp_path) == []


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.yaml"
    assert _error(target) == f"-o {target}: the folder {target.parent} does not exist"


def test_a_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    assert _error(tmp_path / "dir") == f"-o {tmp_path / 'dir'}: is a directory; name a file to write"
    assert list((tmp_path / "dir").iterdir()) == []
    assert _leftovers(tmp_path) == []


def test_a_link_to_a_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "link").symlink_to("dir")
    assert _error(tmp_path / "link").endswith(": is a directory; name a file to write")
    assert (tmp_path / "link").is_symlink()


# symbolic links

def test_a_link_updates_its_target_and_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "links").mkdir()
    real = tmp_path / "real" / "out.yaml"
    real.write_text("previous\n")
    real.chmod(0o640)
    link = tmp_path / "links" / "out.yaml"
    link.symlink_to("../real/out.yaml")
    before = real.stat().st_ino
    _write(link)
    assert link.is_symlink() and str(link.readlink()) == "../real/out.yaml"
    assert real.read_text() == TEXT
    assert real.stat().st_ino != before  # replaced by a rename, atomically
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the target's mode is kept
    assert _leftovers(tmp_path / "real", tmp_path / "links") == []


def test_a_chain_of_links_is_followed_to_the_end(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("previous\n")
    (tmp_path / "second").symlink_to("real.yaml")
    (tmp_path / "first").symlink_to("second")
    _write(tmp_path / "first")
    assert str((tmp_path / "first").readlink()) == "second"
    assert str((tmp_path / "second").readlink()) == "real.yaml"
    assert real.read_text() == TEXT
    assert not real.is_symlink()


def test_a_dangling_link_gets_its_target_created(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    link = tmp_path / "out.yaml"
    link.symlink_to("sub/new.yaml")
    _write(link)
    assert link.is_symlink() and str(link.readlink()) == "sub/new.yaml"
    assert (tmp_path / "sub" / "new.yaml").read_text() == TEXT


def test_a_dangling_link_into_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    link = tmp_path / "out.yaml"
    link.symlink_to("missing/new.yaml")
    assert _error(link) == f"-o {link}: the folder {tmp_path / 'missing'} does not exist"
    assert link.is_symlink() and not (tmp_path / "missing").exists()


def test_a_looping_link_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    assert _error(tmp_path / "a") == (f"-o {tmp_path / 'a'}: cannot follow the symbolic "
                                      "link: Too many levels of symbolic links")
    assert str((tmp_path / "a").readlink()) == "b" and str((tmp_path / "b").readlink()) == "a"


# in place: descriptors, FIFOs, devices

def test_a_descriptor_link_to_a_pipe_is_written_in_place(tmp_path: Path) -> None:
    """What `-o /dev/stdout | less` does, with a pipe of our own instead of /dev/stdout."""
    read_end, write_end = os.pipe()
    try:
        link = tmp_path / "stdout"
        link.symlink_to(f"/proc/self/fd/{write_end}")
        _write(link, UNICODE)
        os.close(write_end)
        write_end = -1
        with os.fdopen(read_end, "rb") as pipe:
            read_end = -1
            assert pipe.read() == b"---\na: \xc3\xa9\nb: 2\n"
        assert link.is_symlink()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["stdout"]
    finally:
        for fd in (read_end, write_end):
            if fd >= 0:
                os.close(fd)


def test_a_descriptor_link_to_a_deleted_file_is_truncated_and_written(tmp_path: Path) -> None:
    """/proc names such a file 'x (deleted)': no such path, so the link is written through."""
    doomed = tmp_path / "x.yaml"
    doomed.write_text("previous contents, longer than the output " * 10)
    fd = os.open(doomed, os.O_RDWR)
    try:
        doomed.unlink()
        link = tmp_path / "stdout"
        link.symlink_to(f"/proc/self/fd/{fd}")
        _write(link)
        os.lseek(fd, 0, os.SEEK_SET)
        assert os.read(fd, 10_000) == TEXT.encode()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["stdout"]
    finally:
        os.close(fd)


def test_a_descriptor_link_to_a_named_file_replaces_that_file(tmp_path: Path) -> None:
    """What `-o /dev/stdout > out.yaml` does: out.yaml gets the output."""
    named = tmp_path / "out.yaml"
    named.write_text("previous\n")
    fd = os.open(named, os.O_RDONLY)
    try:
        link = tmp_path / "stdout"
        link.symlink_to(f"/proc/self/fd/{fd}")
        _write(link)
        assert named.read_text() == TEXT
        assert link.is_symlink()
    finally:
        os.close(fd)


def _read_fifo(fifo: Path, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with fifo.open("rb") as handle:
            into.append(handle.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("through_link", [False, True])
def test_a_fifo_is_written_in_place_for_its_reader(tmp_path: Path, through_link: bool) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    target = fifo
    if through_link:
        target = tmp_path / "link"
        target.symlink_to("out.fifo")
    received: list[bytes] = []
    reader = _read_fifo(fifo, received)
    _write(target, UNICODE)
    reader.join(timeout=10)
    assert received == [b"---\na: \xc3\xa9\nb: 2\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert target.is_symlink() == through_link
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"out.fifo", target.name})


@needs_root
def test_a_device_is_written_in_place_and_stays_a_device(tmp_path: Path) -> None:
    device = tmp_path / "null"
    _mknod(device, 1, 3)  # a twin of /dev/null inside tmp_path
    link = tmp_path / "link"
    link.symlink_to("null")
    for target in (device, link):
        _write(target)
        status = device.lstat()
        assert stat.S_ISCHR(status.st_mode) and status.st_rdev == os.makedev(1, 3)
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "null"]


@needs_root
def test_a_device_is_never_truncated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    device = tmp_path / "null"
    _mknod(device, 1, 3)
    flags: list[int] = []
    real_open = os.open

    def spy(path: Path, flag: int, *rest: int) -> int:
        flags.append(flag)
        return real_open(path, flag, *rest)

    monkeypatch.setattr(os, "open", spy)
    _write(device)
    assert len(flags) == 1
    assert flags[0] & os.O_WRONLY and not flags[0] & (os.O_TRUNC | os.O_CREAT)


@needs_root
def test_a_failing_device_is_an_error_and_stays_a_device(tmp_path: Path) -> None:
    device = tmp_path / "full"
    _mknod(device, 1, 7)  # a twin of /dev/full: every write fails with ENOSPC
    assert _error(device) == f"-o {device}: cannot write: No space left on device"
    assert stat.S_ISCHR(device.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]


def test_a_socket_cannot_be_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    monkeypatch.chdir(tmp_path)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("s")
        assert _error("s") == "-o s: cannot write: No such device or address"
        assert stat.S_ISSOCK(Path("s").lstat().st_mode)


# the build data is never the output

def _read(path: Path, display: str) -> FileRead:
    status = path.stat()
    return FileRead(display, str(path.resolve()), status.st_dev, status.st_ino)


def _refused(target: Path, display: str = "streams.yml") -> str:
    return (f"-o {target}: that is the build-data file {display} this run reads; write the "
            "output elsewhere")


@pytest.fixture()
def streams(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    path = tmp_path / "data" / "streams.yml"
    path.write_text("a: 1\n")
    return path


def test_the_same_path_is_refused(streams: Path) -> None:
    assert _error(streams, [_read(streams, "streams.yml")]) == _refused(streams)
    assert streams.read_text() == "a: 1\n"


def test_a_path_through_a_linked_folder_is_refused(streams: Path, tmp_path: Path) -> None:
    (tmp_path / "alias").symlink_to("data")
    target = tmp_path / "alias" / "streams.yml"
    recorded = FileRead("streams.yml", str(streams), 0, 0)  # no identity: the path decides
    assert _error(target, [recorded]) == _refused(target)
    assert streams.read_text() == "a: 1\n"


def test_a_link_to_a_build_data_file_is_refused(streams: Path, tmp_path: Path) -> None:
    link = tmp_path / "out.yaml"
    link.symlink_to(streams)
    assert _error(link, [_read(streams, "streams.yml")]) == _refused(link)
    assert streams.read_text() == "a: 1\n" and link.is_symlink()


def test_a_hard_link_to_a_build_data_file_is_refused(streams: Path, tmp_path: Path) -> None:
    hard = tmp_path / "out.yaml"
    os.link(streams, hard)
    recorded = FileRead("images/x.yml", "/elsewhere/x.yml", streams.stat().st_dev,
                        streams.stat().st_ino)  # only the identity can match
    assert _error(hard, [recorded]) == _refused(hard, "images/x.yml")
    assert streams.read_text() == "a: 1\n"


def test_a_recorded_file_that_is_gone_still_protects_its_path(streams: Path) -> None:
    recorded = _read(streams, "streams.yml")
    streams.unlink()
    assert _error(streams, [recorded]) == _refused(streams)
    assert not streams.exists()


def test_other_files_are_written(streams: Path, tmp_path: Path) -> None:
    other = tmp_path / "data" / "out.yaml"
    other.write_text("previous\n")
    status = other.stat()  # half of its identity is not its identity
    near_misses = [FileRead("streams.yml", str(streams), status.st_dev + 1, status.st_ino),
                   FileRead("streams.yml", str(streams), status.st_dev, status.st_ino + 1)]
    _write(other, protected=[*near_misses, _read(streams, "streams.yml")])
    assert other.read_text() == TEXT
    assert streams.read_text() == "a: 1\n"


def test_standard_output_is_never_refused(streams: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write("-", protected=[_read(streams, "streams.yml")])
    assert capsys.readouterr().out == TEXT


# the command line

def _data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE, data)
    return data


def _gen(data: Path, target: Path | str) -> tuple[int, str]:
    result = run_cli("gen-buildconfigs", "--data-path", str(data), "-g", "openshift-4.7",
                     "-o", str(target))
    return result.code, result.stderr


@pytest.mark.parametrize("name", ["streams.yml", "group.yml"])
def test_cli_refuses_to_overwrite_the_build_data(tmp_path: Path, name: str) -> None:
    data = _data(tmp_path)
    before = (data / name).read_bytes()
    code, stderr = _gen(data, data / name)
    assert (code, stderr) == (1, f"error: {_refused(data / name, name)}\n")
    assert (data / name).read_bytes() == before


def test_cli_refuses_a_link_or_a_hard_link_to_the_build_data(tmp_path: Path) -> None:
    data = _data(tmp_path)
    before = (data / "streams.yml").read_bytes()
    (tmp_path / "link.yaml").symlink_to(data / "streams.yml")
    os.link(data / "group.yml", tmp_path / "hard.yaml")
    assert _gen(data, tmp_path / "link.yaml") == (
        1, f"error: {_refused(tmp_path / 'link.yaml')}\n")
    assert _gen(data, tmp_path / "hard.yaml") == (
        1, f"error: {_refused(tmp_path / 'hard.yaml', 'group.yml')}\n")
    assert (data / "streams.yml").read_bytes() == before
    assert (tmp_path / "link.yaml").is_symlink()


def test_cli_writes_through_a_link(tmp_path: Path) -> None:
    data = _data(tmp_path)
    (tmp_path / "out.yaml").write_text("previous\n")
    (tmp_path / "link.yaml").symlink_to("out.yaml")
    assert _gen(data, tmp_path / "link.yaml")[0] == 0
    assert (tmp_path / "link.yaml").is_symlink()
    assert (tmp_path / "out.yaml").read_text().count("kind: BuildConfig") == 6


def test_cli_refuses_a_directory(tmp_path: Path) -> None:
    data = _data(tmp_path)
    (tmp_path / "out").mkdir()
    assert _gen(data, tmp_path / "out") == (
        1, f"error: -o {tmp_path / 'out'}: is a directory; name a file to write\n")


def test_cli_writes_a_fifo_for_its_reader(tmp_path: Path) -> None:
    data = _data(tmp_path)
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = _read_fifo(fifo, received)
    assert _gen(data, fifo)[0] == 0
    reader.join(timeout=10)
    assert received[0].count(b"kind: BuildConfig") == 6
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


@needs_root
def test_cli_writes_a_device_in_place(tmp_path: Path) -> None:
    data = _data(tmp_path)
    device = tmp_path / "null"
    _mknod(device, 1, 3)
    assert _gen(data, device) == (0, f"wrote 6 BuildConfigs to {device}\n")
    assert stat.S_ISCHR(device.lstat().st_mode)
    full = tmp_path / "full"
    _mknod(full, 1, 7)
    assert _gen(data, full) == (1, f"error: -o {full}: cannot write: No space left on device\n")
    assert stat.S_ISCHR(full.lstat().st_mode)


# while it writes: the temp file, each step's failure, standard output, a new file's mode


def _write_error(target: Path | str, text: str = "new\n") -> str:
    with pytest.raises(CistreamsError) as caught:
        output.write_atomic(str(target), text)
    return str(caught.value)


def test_the_temp_file_is_beside_the_target_and_named_after_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("previous\n")
    seen: list[str] = []
    real_fsync = os.fsync

    def watching(fd: int) -> None:  # written, not yet renamed: what is in the folder now
        seen.extend(sorted(p.name for p in tmp_path.iterdir()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", watching)
    output.write_atomic(str(target), "first\nsecond\n")
    assert target.read_text() == "first\nsecond\n"
    [temp] = [name for name in seen if name != "out.yaml"]
    assert temp.startswith(".out.yaml.") and temp.endswith(".tmp") and len(temp) > len(".out.yaml..tmp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]


def test_a_relative_target_is_written_in_the_current_folder(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    output.write_atomic("out.yaml", "text\n")
    assert (tmp_path / "out.yaml").read_text() == "text\n"


def test_a_folder_that_refuses_a_temp_file_is_an_error_while_writing(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(**_: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    target = tmp_path / "out.yaml"
    assert _write_error(target) == f"-o {target}: cannot write in {tmp_path}: Read-only file system"


def test_a_path_through_a_file_is_an_error_while_writing(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "out.yaml"
    assert _write_error(target) == f"-o {target}: cannot write: Not a directory"


def _failing_unlink(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    tried: list[str] = []

    def unlink(self: Path, missing_ok: bool = False) -> None:
        tried.append(self.name)
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(Path, "unlink", unlink)
    return tried


def test_a_failed_write_reports_itself_even_when_the_cleanup_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("previous\n")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    tried = _failing_unlink(monkeypatch)
    assert _write_error(target) == f"-o {target}: cannot write: No space left on device"
    assert target.read_text() == "previous\n"
    assert len(tried) == 1 and tried[0].startswith(".out.yaml.")


def test_an_interrupted_write_is_still_an_interruption_when_the_cleanup_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("previous\n")
    tried = _failing_unlink(monkeypatch)

    def ctrl_c(_fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        output.write_atomic(str(target), "partial\n")
    assert target.read_text() == "previous\n"
    assert len(tried) == 1


def test_text_reaches_standard_output_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    output.write_atomic("-", "---\na: 1\n")
    assert out.getvalue() == "---\na: 1\n"


def test_a_new_file_gets_0666_less_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        output.write_atomic(str(tmp_path / "open.yaml"), "x\n")
        os.umask(0o022)
        output.write_atomic(str(tmp_path / "usual.yaml"), "x\n")
        assert os.umask(0o022) == 0o022  # the umask is left as it was
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "open.yaml").stat().st_mode) == 0o666
    assert stat.S_IMODE((tmp_path / "usual.yaml").stat().st_mode) == 0o644

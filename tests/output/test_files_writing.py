"""cistreams.output.files while it writes (issue 11): where the temp file lives and how it is
named, what a failure at each step leaves behind, standard output, and
the mode of a new file. Every path is inside tmp_path."""

from __future__ import annotations

import errno
import io
import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from cistreams import output
from cistreams.errors import CistreamsError


def _error(target: Path | str, text: str = "new\n") -> str:
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


def test_a_folder_that_refuses_a_temp_file_is_an_error(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(**_: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    target = tmp_path / "out.yaml"
    assert _error(target) == f"-o {target}: cannot write in {tmp_path}: Read-only file system"


def test_a_path_through_a_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "out.yaml"
    assert _error(target) == f"-o {target}: cannot write: Not a directory"


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
    assert _error(target) == f"-o {target}: cannot write: No space left on device"
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

"""A second writing process changes nothing a user can see: bytes, errors, the output file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cistreams import app
from cistreams.errors import CistreamsError, Problems
from cistreams.render import objects as render
from cistreams.yamlengine import forkjoin
from helpers import EXAMPLE, run_cli

STREAMS = 300  # above forkjoin.MIN_ITEMS, so that two processes write
STREAM = """\
stream-{i}:
  transform: {transform}
  upstream_image_base: registry.ci.openshift.org/ocp/builder:s{i}-openshift-{{MAJOR}}.{{MINOR}}.art
  upstream_image: registry.ci.openshift.org/ocp/builder:s{i}-openshift-{{MAJOR}}.{{MINOR}}
"""
TRANSFORMS = ("rhel-8/base-repos", "rhel-8/golang", "rhel-7/ci-build-root", "rhel-7/golang")


@pytest.fixture(scope="module")
def big_group(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big-group")
    (folder / "group.yml").write_text((EXAMPLE / "group.yml").read_text())
    (folder / "streams.yml").write_text("".join(
        STREAM.format(i=i, transform=TRANSFORMS[i % len(TRANSFORMS)]) for i in range(STREAMS)))
    return folder


def generate(data: Path, out: Path, jobs: int, compat: str | None = None) -> bytes:
    request = app.GenerateRequest(app.Source(str(data), "openshift-4.7"), str(out),
                                  compat=compat, jobs=jobs)
    app.generate(request, Problems())
    return out.read_bytes()


@pytest.mark.parametrize("compat", [None, app.COMPAT_DOOZER_2020])
def test_one_and_two_processes_write_the_same_bytes(big_group: Path, tmp_path: Path,
                                                    compat: str | None) -> None:
    one = generate(big_group, tmp_path / "one.yaml", jobs=1, compat=compat)
    two = generate(big_group, tmp_path / "two.yaml", jobs=2, compat=compat)
    assert one == two
    assert one.count(b"kind: BuildConfig") == STREAMS


def test_the_cli_takes_jobs(big_group: Path, tmp_path: Path) -> None:
    for jobs in ("1", "2"):
        result = run_cli("--data-path", str(big_group), "-g", "openshift-4.7",
                         "gen-buildconfigs", "-o", str(tmp_path / f"{jobs}.yaml"), "--jobs", jobs)
        assert result.code == 0, result.stderr
    assert (tmp_path / "1.yaml").read_bytes() == (tmp_path / "2.yaml").read_bytes()
    bad = run_cli("--data-path", str(big_group), "-g", "openshift-4.7", "gen-buildconfigs",
                  "-o", str(tmp_path / "3.yaml"), "--jobs", "3")
    assert bad.code == 2 and "--jobs" in bad.stderr


@pytest.mark.parametrize("jobs", [1, 2])
def test_schema_errors_found_while_writing_leave_the_file_alone(
        big_group: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    real = render._buildconfig

    def with_unknown_field(*args: Any) -> dict[str, Any]:
        buildconfig = real(*args)
        buildconfig["spec"]["bogus"] = 1
        return buildconfig

    monkeypatch.setattr(render, "_buildconfig", with_unknown_field)
    out = tmp_path / "out.yaml"
    out.write_text("previous run\n")
    with pytest.raises(CistreamsError, match="bogus"):
        generate(big_group, out, jobs)
    assert out.read_text() == "previous run\n"
    assert [path.name for path in tmp_path.iterdir()] == ["out.yaml"]


def test_the_fork_threshold_is_reached() -> None:
    assert STREAMS + 1 >= forkjoin.MIN_ITEMS


def test_pieces_are_written_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cistreams import output

    pieces: list[forkjoin.Piece] = ["---\na: é\n", b"---\nb: 2\n", memoryview(b"---\nc: 3\n")]
    target = tmp_path / "out.yaml"
    output.write_atomic(str(target), pieces)
    assert target.read_text(encoding="utf-8") == "---\na: é\n---\nb: 2\n---\nc: 3\n"
    output.write_atomic("-", pieces)
    assert capsys.readouterr().out == "---\na: é\n---\nb: 2\n---\nc: 3\n"

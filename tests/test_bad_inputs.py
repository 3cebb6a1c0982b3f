"""A folder of bad inputs: each case is the valid `_base` build data with some files changed.

tests/bad_inputs/<case>/data/ overlays _base (a file `<name>.absent` deletes `<name>`),
`args` holds extra CLI arguments (one per line) and `expected.err` the exact stderr. Every
case must exit 1 with no traceback and leave the previous output file byte for byte.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import run_cli

CASES = Path(__file__).parent / "bad_inputs"
PREVIOUS = b"# output of an earlier, good run\n"


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if p.is_dir() and p.name != "_base")


def build_data(case: Path, target: Path) -> Path:
    shutil.copytree(CASES / "_base", target)
    overlay = case / "data"
    if overlay.is_dir():
        for path in sorted(overlay.rglob("*")):
            dest = target / path.relative_to(overlay)
            if path.name.endswith(".absent"):
                dest.with_name(path.name.removesuffix(".absent")).unlink()
            elif path.is_file():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
    return target


def run_case(name: str, tmp_path: Path) -> tuple[int, str, Path]:
    case = CASES / name
    data = build_data(case, tmp_path / "data")
    output = tmp_path / "out.yaml"
    output.write_bytes(PREVIOUS)
    args_file = case / "args"
    extra = [a for a in args_file.read_text().splitlines() if a] if args_file.is_file() else []
    result = run_cli("--data-path", str(data), "-g", "openshift-4.17", "images:streams",
                     "gen-buildconfigs", *extra, "-o", str(output))
    return result.code, result.stderr.replace(str(data), "<data>"), output


def test_there_are_at_least_25_distinct_mistakes() -> None:
    assert len(case_names()) >= 25


def test_the_base_is_valid(tmp_path: Path) -> None:
    data = build_data(CASES / "nonexistent", tmp_path / "data")
    result = run_cli("--data-path", str(data), "-g", "openshift-4.17", "gen-buildconfigs",
                     "-o", str(tmp_path / "out.yaml"))
    assert result.code == 0, result.stderr


@pytest.mark.parametrize("name", case_names())
def test_bad_input(name: str, tmp_path: Path) -> None:
    code, stderr, output = run_case(name, tmp_path)
    assert code == 1, stderr
    assert "Traceback" not in stderr
    assert output.read_bytes() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
    assert stderr == (CASES / name / "expected.err").read_text()

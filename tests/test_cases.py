"""Scenario folders: tests/cases/<name>/ holds build data and the expected output.

Each case has `data/` (a build-data directory), an optional `args` file (extra CLI
arguments, one per line, before `-o`), and for each mode either `expected-<mode>.yaml`
(the exact bytes) or `expected-<mode>.err` (the exact stderr; exit code 1). The modes are
`default` and `doozer-2020`. Expected files were written by hand from the spec, or
generated once and then read line by line; never regenerate them blindly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import run_cli

CASES = Path(__file__).parent / "cases"
MODES = {"default": [], "doozer-2020": ["--compat", "doozer-2020"]}


def _expectations() -> list[tuple[Path, str, Path]]:
    found = []
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        for mode in MODES:
            for suffix in (".yaml", ".err"):
                expected = case / f"expected-{mode}{suffix}"
                if expected.is_file():
                    found.append((case, mode, expected))
    return found


def _run(case: Path, mode: str, output: Path) -> tuple[int, str]:
    args_file = case / "args"
    extra = args_file.read_text().split("\n") if args_file.is_file() else []
    group = (case / "group").read_text().strip() if (case / "group").is_file() else "openshift-4.7"
    result = run_cli("--data-path", str(case / "data"), "-g", group, "images:streams",
                     "gen-buildconfigs", *[a for a in extra if a], *MODES[mode], "-o", str(output))
    return result.code, result.stderr


@pytest.mark.parametrize(("case", "mode", "expected"), _expectations(),
                         ids=lambda v: v.name if isinstance(v, Path) else v)
def test_case(case: Path, mode: str, expected: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.yaml"
    code, stderr = _run(case, mode, output)
    if expected.suffix == ".err":
        assert code == 1, stderr
        assert stderr == expected.read_text()
        assert not output.exists()
    else:
        assert code == 0, stderr
        assert output.read_bytes() == expected.read_bytes()


def test_every_case_has_an_expectation() -> None:
    cases = {p.name for p in CASES.iterdir() if p.is_dir()}
    covered = {case.name for case, _, _ in _expectations()}
    assert cases == covered

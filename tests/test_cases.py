"""Scenario folders: tests/cases/<name>/ holds build data and the expected output.

Each case has `data/` (a build-data directory), an optional `args` file (extra CLI
arguments, one per line, before `-o`), and for each mode either `expected-<mode>.yaml`
(the exact bytes) or `expected-<mode>.err` (the exact stderr; exit code 1). The modes:
- `qci`: the default mode and target (`--push-to qci`, ART's CI since June 2026);
- `imagestream`: the default mode with `--push-to imagestream` (these files are the output
  the default mode wrote before QCI existed, unchanged);
- `default` (`.err` only): an error of the default mode, the same for both targets;
- `doozer-2020` and `doozer-2026`: the `--compat` modes.
Expected files were written by hand from the spec, or generated once and then read line by
line; never regenerate them blindly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import run_cli

CASES = Path(__file__).parent / "cases"
MODES: dict[str, list[list[str]]] = {
    "qci": [[]],
    "imagestream": [["--push-to", "imagestream"]],
    "default": [[], ["--push-to", "imagestream"]],
    "doozer-2020": [["--compat", "doozer-2020"]],
    "doozer-2026": [["--compat", "doozer-2026"]],
}


def _expectations() -> list[tuple[Path, str, Path, tuple[str, ...]]]:
    found = []
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        for mode, variants in MODES.items():
            for suffix in (".yaml", ".err"):
                expected = case / f"expected-{mode}{suffix}"
                if expected.is_file():
                    found += [(case, mode, expected, tuple(args)) for args in variants]
    return found


def _run(case: Path, args: tuple[str, ...], output: Path) -> tuple[int, str]:
    args_file = case / "args"
    extra = args_file.read_text().split("\n") if args_file.is_file() else []
    group = (case / "group").read_text().strip() if (case / "group").is_file() else "openshift-4.7"
    result = run_cli("--data-path", str(case / "data"), "-g", group, "images:streams",
                     "gen-buildconfigs", *[a for a in extra if a], *args, "-o", str(output))
    return result.code, result.stderr


@pytest.mark.parametrize(("case", "mode", "expected", "args"), _expectations(),
                         ids=lambda v: v.name if isinstance(v, Path) else " ".join(v)
                         if isinstance(v, tuple) else v)
def test_case(case: Path, mode: str, expected: Path, args: tuple[str, ...],
              tmp_path: Path) -> None:
    output = tmp_path / "out.yaml"
    code, stderr = _run(case, args, output)
    if expected.suffix == ".err":
        assert code == 1, stderr
        assert stderr == expected.read_text()
        assert not output.exists()
    else:
        assert code == 0, stderr
        assert output.read_bytes() == expected.read_bytes()


def test_every_case_has_an_expectation_for_every_target() -> None:
    """Every case says what both targets of the default mode do (a file each, or one
    `expected-default.err` for both)."""
    for case in (p for p in CASES.iterdir() if p.is_dir()):
        names = {p.name for p in case.glob("expected-*")}
        if "expected-default.err" in names:
            continue
        assert {"expected-qci.yaml", "expected-imagestream.yaml"} <= names, case.name


def test_the_imagestream_expectations_are_the_files_of_before_qci() -> None:
    """The imagestream files are the old default output, renamed and never regenerated:
    they hold the ImageChange trigger and (with every stream) the DaemonSet."""
    before = ("declared-transform", "group-ext-layout", "live-test", "no-transforms",
              "rhel7-golang-order", "rhel8-base-localdev", "stream-filter", "template-override")
    files = [CASES / case / "expected-imagestream.yaml" for case in before]
    for path in files:
        text = path.read_text()
        count = text.count("kind: BuildConfig")
        assert text.count("- type: ImageChange") == count
        assert "DockerImage" not in text and "art-builder-qci-tag" not in text
        args = path.parent / "args"
        selected = args.is_file() and "--stream" in args.read_text()
        assert ("kind: DaemonSet" in text) == (count > 0 and not selected), path

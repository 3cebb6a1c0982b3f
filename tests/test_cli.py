"""The command line as users type it: both forms, env fallbacks, exit codes, atomic output."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from helpers import EXAMPLE, patch_generate, run_cli

GEN = ("images:streams", "gen-buildconfigs")


def test_doozer_form_and_short_form_write_the_same_bytes(tmp_path: Path) -> None:
    long_out, short_out = tmp_path / "long.yaml", tmp_path / "short.yaml"
    assert run_cli("--data-path", str(EXAMPLE), "--group", "openshift-4.7", *GEN,
                   "-o", str(long_out)).code == 0
    assert run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                   "-o", str(short_out)).code == 0
    assert long_out.read_bytes() == short_out.read_bytes()
    assert long_out.read_text().count("kind: BuildConfig") == 6


def test_environment_fallbacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOOZER_DATA_PATH", str(EXAMPLE))
    monkeypatch.setenv("DOOZER_GROUP", "openshift-4.7")
    result = run_cli(*GEN, "-o", str(tmp_path / "out.yaml"))
    assert result.code == 0, result.stderr
    monkeypatch.setenv("CISTREAMS_GROUP", "openshift-4.8")  # the twin wins over doozer's
    assert "does not match --group 'openshift-4.8'" in run_cli(*GEN, "-o", "-").stderr


def test_stdout_output(tmp_path: Path) -> None:
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                     "--stream", "golang", "-o", "-")
    assert result.code == 0
    assert result.stdout.startswith("---\napiVersion: build.openshift.io/v1\nkind: BuildConfig\n")
    assert "wrote 1 BuildConfig to standard output" in result.stderr


@pytest.mark.parametrize("args", [
    (*GEN,),  # missing -o
    ("gen-buildconfigs", "-o", "x.yaml"),  # missing data path and group
    ("--data-path", "x", *GEN, "-o", "x.yaml"),  # missing group
    ("gen-buildconfigs", "--compat", "doozer-2019", "-o", "x"),
    ("gen-buildconfigs", "--var", "NOEQUALS", "-o", "x"),
    ("no-such-verb",),
])
def test_usage_errors_exit_2(args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATA_PATH", "GROUP"):
        monkeypatch.delenv(f"DOOZER_{name}", raising=False)
        monkeypatch.delenv(f"CISTREAMS_{name}", raising=False)
    result = run_cli(*args)
    assert result.code == 2
    assert "Traceback" not in result.stderr


def test_a_failed_run_leaves_the_output_untouched(tmp_path: Path) -> None:
    output = tmp_path / "out.yaml"
    output.write_text("previous contents\n")
    output.chmod(0o640)
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                     "--stream", "nope", "-o", str(output))
    assert result.code == 1
    assert result.stderr.startswith("error: streams.yml: --stream nope: no such stream")
    assert output.read_text() == "previous contents\n"
    assert run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                   "-o", str(output)).code == 0
    assert stat.S_IMODE(output.stat().st_mode) == 0o640  # permissions survive the rename
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]  # no temp files left


def test_missing_output_folder_is_a_user_error(tmp_path: Path) -> None:
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                     "-o", str(tmp_path / "missing" / "out.yaml"))
    assert result.code == 1
    assert "does not exist" in result.stderr


def test_unexpected_bugs_exit_3_and_debug_shows_the_traceback(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("kaboom")
    patch_generate(monkeypatch, boom)
    args = ("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "-o", "-")
    result = run_cli(*args)
    assert result.code == 3
    assert "internal error: RuntimeError: kaboom (rerun with --debug" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Traceback" in run_cli("--debug", *args).stderr


def test_output_is_deterministic(tmp_path: Path) -> None:
    outputs = []
    for i in range(2):
        out = tmp_path / f"{i}.yaml"
        assert run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                       "--compat", "doozer-2020", "-o", str(out)).code == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_help_explains_the_job() -> None:
    result = run_cli(*GEN, "--help")
    assert result.code == 0
    assert "upstream_image_base" in result.stdout and "--live-test-mode" in result.stdout


LAYOUT_2025 = Path(__file__).parent / "cases" / "group-ext-layout" / "data"


def test_image_filter_selects_image_metadata_entries() -> None:
    result = run_cli("gen-buildconfigs", "--data-path", str(LAYOUT_2025), "-g", "openshift-4.21",
                     "--image", "openshift-base-nodejs.rhel9", "-o", "-")
    assert result.code == 0, result.stderr
    assert result.stdout.count("kind: BuildConfig") == 1
    assert "kind: DaemonSet" not in result.stdout  # a filtered run never touches it
    assert "art-builder-stream: openshift-base-nodejs.rhel9" in result.stdout


def test_image_filter_explains_ineligible_images() -> None:
    result = run_cli("gen-buildconfigs", "--data-path", str(LAYOUT_2025), "-g", "openshift-4.21",
                     "--image", "openshift-base-rhel8", "-o", "-")
    assert result.code == 1
    assert result.stderr == ("error: --image openshift-base-rhel8: image openshift-base-rhel8 "
                             "is not enabled (mode: disabled)\n")


def test_image_filter_needs_the_default_mode() -> None:
    result = run_cli("gen-buildconfigs", "--data-path", str(LAYOUT_2025), "-g", "openshift-4.21",
                     "--image", "x", "--compat", "doozer-2020", "-o", "-")
    assert result.code == 2


def _kaboom(monkeypatch: pytest.MonkeyPatch) -> None:
    def generate(*_: object, **__: object) -> None:
        raise RuntimeError("kaboom")
    patch_generate(monkeypatch, generate)


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_is_accepted_before_and_after_the_verb(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    _kaboom(monkeypatch)
    monkeypatch.delenv("CISTREAMS_DEBUG", raising=False)
    verb = ["gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "-o", "-"]
    args = ["--debug", *verb] if where == "before" else [*verb, "--debug"]
    result = run_cli(*args)
    assert result.code == 3
    assert result.stderr.startswith("Traceback (most recent call last):\n")


def test_debug_as_the_value_of_another_option_is_not_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    _kaboom(monkeypatch)
    monkeypatch.delenv("CISTREAMS_DEBUG", raising=False)
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                     "-o", "-", "--stream", "--debug")
    assert result.code == 3
    assert "Traceback" not in result.stderr
    assert result.stderr.endswith("kaboom (rerun with --debug for the traceback)\n")


def test_a_run_leaves_the_garbage_collector_on() -> None:
    import gc

    assert gc.isenabled()
    assert run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                   "-o", "-").code == 0
    assert gc.isenabled()


def test_the_command_line_loads_no_stage_before_a_verb_runs() -> None:
    """--help stays fast: the verbs import the stages (and PyYAML) only when they run."""
    import subprocess
    import sys

    code = ("import sys, cistreams.cli\n"
            "print(sorted(m for m in sys.modules if m == 'yaml' or m.startswith(("
            "'cistreams.builddata', 'cistreams.render', 'cistreams.cluster', 'lightkube'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

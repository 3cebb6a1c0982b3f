"""Every verb's exit code, in both output formats where a verb has two (issue 11).

0 success, 1 a mistake in the input, 2 a usage error, 3 a bug; `diff` follows kubectl diff
(0 nothing would change, 1 something would, 2 an error). Expected outputs are written out.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import click
import pytest

from cistreams import app
from cistreams.cluster.diff import DiffReport
from helpers import EXAMPLE, patch_generate, run_cli

BASE = Path(__file__).parent / "bad_inputs" / "_base"
GROUP = "openshift-4.17"
TRANSFORM_ERROR = ("unknown transform 'rhel-8/golnag' (did you mean 'rhel-8/golang'?) (known: "
                   "rhel-7/base-repos, rhel-7/ci-build-root, rhel-7/golang, rhel-8/base-repos, "
                   "rhel-8/ci-build-root, rhel-8/golang, rhel-9/base-repos, rhel-9/ci-build-root, "
                   "rhel-9/golang)")
# a misspelling of a key only sibling tools read: a warning (one of a key cistreams reads
# is an error, issue 16)
WARNING = "unknown key, ignored (did you mean 'aliases'?)"


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATA_PATH", "GROUP", "WORKING_DIR", "DEBUG"):
        monkeypatch.delenv(f"DOOZER_{name}", raising=False)
        monkeypatch.delenv(f"CISTREAMS_{name}", raising=False)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """Build data with one error (a transform typo) and one warning (a key typo)."""
    data = tmp_path / "data"
    shutil.copytree(BASE, data)
    streams = data / "streams.yml"
    streams.write_text(streams.read_text().replace("transform: rhel-8/golang",
                                                   "transform: rhel-8/golnag\n  alias: []"))
    return data


def usage_error(stderr: str, verb: str) -> str:
    """The error line of click's usage message, after checking the lines before it."""
    head, _, error = stderr.rpartition("\n\nerror: ")
    assert head == f"Usage: cistreams {verb} [OPTIONS]\nTry 'cistreams {verb} --help' for help."
    return "error: " + error


def test_check_clean_data_exits_0_in_text() -> None:
    result = run_cli("check", "--data-path", str(EXAMPLE), "-g", "openshift-4.7")
    assert (result.code, result.stdout, result.stderr) == \
        (0, "openshift-4.7: ok, 6 BuildConfig(s), 0 warning(s)\n", "")


def test_check_clean_data_exits_0_in_json() -> None:
    result = run_cli("check", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "--format", "json")
    assert (result.code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {"ok": True, "buildconfigs": 6, "errors": [], "warnings": []}


def test_check_broken_data_exits_1_in_text(broken: Path) -> None:
    result = run_cli("check", "--data-path", str(broken), "-g", GROUP)
    assert result.code == 1
    assert result.stdout == f"{GROUP}: 1 error(s), 0 BuildConfig(s), 1 warning(s)\n"
    assert result.stderr == (f"warning: streams.yml:5: golang.alias: {WARNING}\n"
                             f"error: streams.yml:4: golang.transform: {TRANSFORM_ERROR}\n")


def test_check_broken_data_exits_1_in_json(broken: Path) -> None:
    result = run_cli("check", "--format", "json", "--data-path", str(broken), "-g", GROUP)
    assert (result.code, result.stderr) == (1, "")
    assert json.loads(result.stdout) == {
        "ok": False, "buildconfigs": 0,
        "errors": [{"file": "streams.yml", "line": 4, "key": "golang.transform",
                    "message": TRANSFORM_ERROR}],
        "warnings": [{"file": "streams.yml", "line": 5, "key": "golang.alias", "message": WARNING}]}
    assert result.stdout.startswith('{\n  "buildconfigs": 0,\n  "errors": [')  # sorted, indented


def test_check_with_only_a_warning_exits_0(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(BASE, data)
    streams = data / "streams.yml"
    streams.write_text(streams.read_text().replace("  mirror: true", "  mirror: true\n  alias: []"))
    result = run_cli("check", "--data-path", str(data), "-g", GROUP)
    assert (result.code, result.stdout) == (0, f"{GROUP}: ok, 1 BuildConfig(s), 1 warning(s)\n")
    assert result.stderr == f"warning: streams.yml:4: golang.alias: {WARNING}\n"


def test_check_in_doozer_2020_mode_knows_only_doozers_transforms(broken: Path) -> None:
    result = run_cli("check", "--compat", "doozer-2020", "--format", "json", "--data-path",
                     str(broken), "-g", GROUP)
    assert result.code == 1
    assert json.loads(result.stdout)["errors"][0]["message"] == (
        "unknown transform 'rhel-8/golnag' (did you mean 'rhel-8/golang'?) (known: "
        "rhel-7/base-repos, rhel-7/ci-build-root, rhel-7/golang, rhel-8/base-repos, "
        "rhel-8/ci-build-root, rhel-8/golang)")


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize(("args", "message"), [
    ((), "error: no build data: give --data-path PATH_OR_URL (or set CISTREAMS_DATA_PATH / "
         "DOOZER_DATA_PATH)\n"),
    (("--data-path", "x"), "error: no group: give -g/--group NAME (or set CISTREAMS_GROUP / "
                           "DOOZER_GROUP)\n"),
])
def test_check_usage_errors_exit_2(fmt: str, args: tuple[str, ...], message: str) -> None:
    result = run_cli("check", "--format", fmt, *args)
    assert (result.code, result.stdout, usage_error(result.stderr, "check")) == (2, "", message)


def test_check_takes_the_global_options_too() -> None:
    result = run_cli("--data-path", str(EXAMPLE), "-g", "openshift-4.7", "check")
    assert (result.code, result.stdout) == (0, "openshift-4.7: ok, 6 BuildConfig(s), 0 warning(s)\n")


def test_check_vars_reach_the_build_data() -> None:
    result = run_cli("check", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "--var", "MINOR=8",
                     "--format", "json")
    assert result.code == 1  # the group's name becomes openshift-4.8, which -g does not match
    assert "does not match --group 'openshift-4.7'" in json.loads(result.stdout)["errors"][0]["message"]


@pytest.mark.parametrize("text", ["NOEQUALS", "=value", "1X=2", "A-B=1"])
def test_a_var_must_be_key_equals_value(text: str) -> None:
    result = run_cli("check", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "--var", text)
    assert result.code == 2
    assert result.stderr.endswith(f"Invalid value for --var: '{text}' is not KEY=VALUE\n")


def test_gen_buildconfigs_exit_codes(broken: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    good = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "-o", str(out))
    assert (good.code, good.stderr) == (0, "wrote 6 BuildConfigs to " + str(out) + "\n")
    bad = run_cli("gen-buildconfigs", "--data-path", str(broken), "-g", GROUP, "-o", str(out))
    assert (bad.code, bad.stderr) == (1, f"warning: streams.yml:5: golang.alias: {WARNING}\n"
                                         f"error: streams.yml:4: golang.transform: {TRANSFORM_ERROR}\n")
    usage = run_cli("gen-buildconfigs", "--data-path", str(broken), "-g", GROUP)
    assert usage.code == 2


def test_gen_buildconfigs_reports_what_it_wrote(tmp_path: Path) -> None:
    args = ("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "-o", "-")
    assert run_cli(*args, "--no-daemonset").stderr == "wrote 6 BuildConfigs to standard output\n"
    assert run_cli(*args, "--stream", "golang").stderr == "wrote 1 BuildConfig to standard output\n"


@pytest.mark.parametrize(("args", "message"), [
    (("--dry-run",), "error: --dry-run needs --apply\n"),
    (("--prune",), "error: --prune needs --apply\n"),
    (("--apply", "--dry-run", "--oc", "oc"),
     "error: --dry-run needs server-side apply (not --oc or --compat doozer-2020)\n"),
    (("--apply", "--prune", "--compat", "doozer-2020"),
     "error: --prune needs server-side apply (not --oc or --compat doozer-2020)\n"),
    (("--apply", "--prune", "--stream", "golang"),
     "error: --prune needs the whole group: with --stream or --image every other object of the "
     "group would look stale\n"),
    (("--apply", "--prune", "--image", "x"),
     "error: --prune needs the whole group: with --stream or --image every other object of the "
     "group would look stale\n"),
    (("--image", "x", "--compat", "doozer-2020"),
     "error: --image needs the default mode or --compat doozer-2026: doozer 2020 did not "
     "read image metadata\n"),
])
def test_cluster_flag_mistakes_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                     "-o", "-", *args)
    assert (result.code, result.stdout) == (2, "")
    assert usage_error(result.stderr, "gen-buildconfigs") == message


def test_apply_with_dry_run_and_prune_together_is_not_a_usage_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    def generate(request: Any, problems: Any, progress: Any = None) -> app.GenerateResult:
        seen.append(request)
        return app.GenerateResult(["a--art-builder"], 1, applied=True, messages=["applied 1"])
    patch_generate(monkeypatch, generate)
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "-o", "-",
                     "--apply", "--dry-run", "--prune", "--max-prune", "0", "--as", "someone")
    assert (result.code, result.stderr) == (0, "applied 1\nwrote 1 BuildConfig to standard output\n")
    options = seen[0].apply_options
    assert (options.dry_run, options.prune, options.max_prune, options.oc) == (True, True, 0, None)
    assert (seen[0].apply, seen[0].as_user, seen[0].output) == (True, "someone", "-")


def test_a_user_error_from_click_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    def generate(*_: object, **__: object) -> None:
        raise click.ClickException("not a usage error")
    patch_generate(monkeypatch, generate)
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "-o", "-")
    assert (result.code, result.stderr) == (1, "error: not a usage error\n")


def test_an_abort_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def generate(*_: object, **__: object) -> None:
        raise click.exceptions.Abort()
    patch_generate(monkeypatch, generate)
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "-o", "-")
    assert (result.code, result.stderr) == (130, "aborted\n")


def test_the_debug_environment_variable_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def generate(*_: object, **__: object) -> None:
        raise RuntimeError("kaboom")
    patch_generate(monkeypatch, generate)
    monkeypatch.setenv("CISTREAMS_DEBUG", "1")
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "-o", "-")
    assert result.code == 3
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert result.stderr.endswith("cistreams: internal error: RuntimeError: kaboom\n")


def _fake_diff(report: DiffReport, calls: list[dict[str, Any]]) -> Any:
    def diff(request: Any, connection: Any, problems: Any, progress: Any = None,
             prune: bool = False) -> DiffReport:
        calls.append({"request": request, "connection": connection, "prune": prune})
        return report
    return diff


def test_diff_with_nothing_to_change_exits_0(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(app, "diff", _fake_diff(DiffReport("", 0, 7), calls))
    result = run_cli("diff", "--data-path", str(EXAMPLE), "-g", "openshift-4.7")
    assert (result.code, result.stdout, result.stderr) == (0, "", "0 of 7 objects would change\n")
    assert calls[0]["prune"] is False and calls[0]["request"].output == "-"


def test_diff_with_a_change_exits_1_and_prints_the_diff(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n"
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(app, "diff", _fake_diff(DiffReport(text, 1, 7), calls))
    result = run_cli("diff", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "--prune",
                     "--request-timeout", "1m", "--max-inflight", "3")
    assert (result.code, result.stdout, result.stderr) == (1, text, "1 of 7 objects would change\n")
    connection = calls[0]["connection"]
    assert (calls[0]["prune"], connection.request_timeout, connection.max_inflight) == (True, 60.0, 3)


def test_diff_errors_exit_2(broken: Path) -> None:
    result = run_cli("diff", "--data-path", str(broken), "-g", GROUP)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (f"error: streams.yml:4: golang.transform: {TRANSFORM_ERROR}\n"
                             f"warning: streams.yml:5: golang.alias: {WARNING}\n")


def test_diff_prune_with_a_filter_is_a_usage_error() -> None:
    result = run_cli("diff", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "--prune",
                     "--stream", "golang")
    assert (result.code, usage_error(result.stderr, "diff")) == (
        2, "error: --prune needs the whole group (no --stream or --image)\n")


def test_a_bad_request_timeout_is_a_usage_error() -> None:
    result = run_cli("diff", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                     "--request-timeout", "soon")
    assert result.code == 2
    assert "Invalid value for '--request-timeout'" in result.stderr

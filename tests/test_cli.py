"""The command line as users type it: both forms, env fallbacks, exit codes, atomic output.

Every verb's exit code, in both output formats where a verb has two (issue 11).

0 success, 1 a mistake in the input, 2 a usage error, 3 a bug; `diff` follows kubectl diff
(0 nothing would change, 1 something would, 2 an error). Expected outputs are written out.
"""

from __future__ import annotations

import json
import shutil
import signal
import stat
import threading
from pathlib import Path
from typing import Any

import click
import pytest

from cistreams import app
from cistreams.cluster.diff import DiffReport
from cistreams.errors import CistreamsError
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


def test_a_usage_error_quoting_error_keeps_the_users_text() -> None:
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                     "-o", "-", "--var", "Error: x=1")
    assert result.code == 2
    assert result.stderr.splitlines()[-1] == ("error: Invalid value for --var: 'Error: x=1' is "
                                              "not KEY=VALUE")


def _sigterm_during_generate(*_: object, **__: object) -> None:
    """What SIGTERM does mid-run: the handler cistreams installed is called (calling it
    directly: without cistreams' handler the default one is no function and fails here)."""
    handler = signal.getsignal(signal.SIGTERM)
    assert callable(handler), handler
    handler(signal.SIGTERM, None)


def test_sigterm_ends_a_run_like_ctrl_c_with_143(monkeypatch: pytest.MonkeyPatch) -> None:
    patch_generate(monkeypatch, _sigterm_during_generate)
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "-o", "-")
    assert (result.code, result.stderr.splitlines()[-1]) == (143, "terminated")


def test_the_sigterm_handler_is_put_back_after_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def own(signum: int, frame: object) -> None:
        raise AssertionError("not called")

    previous = signal.signal(signal.SIGTERM, own)
    try:
        assert run_cli("--version").code == 0
        assert signal.getsignal(signal.SIGTERM) is own
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_off_the_main_thread_no_signal_handler_is_touched(monkeypatch: pytest.MonkeyPatch) -> None:
    """signal.signal only works on the main thread: a run from another thread (an embedding
    program) leaves the handlers alone and still works."""
    before = signal.getsignal(signal.SIGTERM)
    results: list[int] = []
    thread = threading.Thread(target=lambda: results.append(run_cli("--version").code))
    thread.start()
    thread.join()
    assert results == [0]
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize(("cause", "code"), [(KeyboardInterrupt, 130), ("Terminated", 143),
                                             (RuntimeError, 1)])
def test_an_error_caused_by_an_interrupt_exits_like_the_interrupt(
        monkeypatch: pytest.MonkeyPatch, cause: Any, code: int) -> None:
    """An apply cut by Ctrl-C or SIGTERM reports what it wrote as an error, and exits 130 or
    143 as the shells do (128 + the signal); any other cause is a plain mistake (1)."""
    import cistreams.cli

    def generate(*_: object, **__: object) -> None:
        kind = getattr(cistreams.cli, cause) if isinstance(cause, str) else cause
        raise CistreamsError("interrupted after writing 1 of 2 objects") from kind()
    patch_generate(monkeypatch, generate)
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "-o", "-")
    assert (result.code, result.stderr) == (code, "error: interrupted after writing 1 of 2 objects\n")

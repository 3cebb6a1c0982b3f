"""The options every verb shares (build data, cluster connection), as users meet them (issue 11).

They are built when cistreams.cli is imported, so these tests import it afresh (`fresh_cli`):
a change to how the options are built shows up here, within the test that looks at it.
Names, help texts and defaults are what `--help` prints; the values reach the request.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest

from cistreams import app, options
from cistreams.cluster.diff import DiffReport
from helpers import EXAMPLE, Run, patch_generate

SOURCE_OPTIONS = [
    (["--data-path"], "data_path_", "PATH_OR_URL", "Same as the global --data-path.", None, False),
    (["-g", "--group"], "group_", "NAME", "Same as the global --group.", None, False),
    (["--working-dir"], "working_dir_", None, "Same as the global --working-dir.", None, False),
    (["--assembly"], "assembly", "NAME", "Fills {runtime_assembly} in group.yml when the group enables "
     "assemblies; 'stream' is the assembly CI images are synced from. A usage error with --compat "
     "doozer-2020.", True, False),
    (["--var"], "variables", "KEY=VALUE", "Override or add a group.yml var, e.g. --var MINOR=18.", None,
     True),
]
CONNECTION_OPTIONS = [
    (["--kubeconfig"], "kubeconfig", "PATH", "The kubeconfig file; else KUBECONFIG, else ~/.kube/config, "
     "else the pod's service account.", None, False),
    (["--context"], "kube_context", "NAME", "The kubeconfig context (default: its current-context).", None,
     False),
    (["--as"], "as_user", "CLUSTER_USERNAME", "Impersonate this user on the cluster.", None, False),
    (["--request-timeout"], "request_timeout", "DURATION", "Time limit of each request (30s, 1m, 0 for "
     "none); a request that times out is retried, 3 tries in all. kubectl's forms: bare seconds, 1m30s, "
     "500ms, 2h.", True, False),
    (["--max-inflight"], "max_inflight", None, "Requests in flight at once.", True, False),
]


# every verb's module (cistreams.cli imports them all); shared itself keeps its state
VERB_MODULES = ("check", "check_upstream", "diff", "gen_buildconfigs", "mirror", "start_builds",
                "sync")


@pytest.fixture
def fresh_cli() -> Iterator[ModuleType]:
    """cistreams.cli and its verbs' modules imported again, so that their options (built by
    the decorators of cistreams.commands.shared when a verb's module is imported) are built
    inside the test."""
    import cistreams.cli

    def reload() -> ModuleType:
        for name in VERB_MODULES:
            importlib.reload(sys.modules[f"cistreams.commands.{name}"])
        return importlib.reload(cistreams.cli)

    yield reload()
    reload()


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATA_PATH", "GROUP", "WORKING_DIR", "DEBUG"):
        monkeypatch.delenv(f"DOOZER_{name}", raising=False)
        monkeypatch.delenv(f"CISTREAMS_{name}", raising=False)


def run(module: ModuleType, *args: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = module.main(list(args))
    return Run(code, out.getvalue(), err.getvalue())


def described(command: click.Command, names: set[str]) -> list[tuple[Any, ...]]:
    return [(p.opts, p.name, p.metavar, getattr(p, "help", None), getattr(p, "show_default", None),
             getattr(p, "multiple", False)) for p in command.params if p.name in names]


@pytest.mark.parametrize("verb", ["gen-buildconfigs", "diff", "check"])
def test_every_verb_takes_the_build_data_options(fresh_cli: ModuleType, verb: str) -> None:
    command = fresh_cli.cli.commands[verb]
    assert described(command, {o[1] for o in SOURCE_OPTIONS}) == SOURCE_OPTIONS
    params = {p.name: p for p in command.params}
    assert params["assembly"].default == "stream"
    working_dir = params["working_dir_"].type
    assert isinstance(working_dir, click.Path)
    assert (working_dir.file_okay, working_dir.dir_okay, working_dir.type) == (False, True, Path)


@pytest.mark.parametrize("verb", ["gen-buildconfigs", "diff"])
def test_cluster_verbs_take_the_connection_options(fresh_cli: ModuleType, verb: str) -> None:
    command = fresh_cli.cli.commands[verb]
    assert described(command, {o[1] for o in CONNECTION_OPTIONS}) == CONNECTION_OPTIONS
    params = {p.name: p for p in command.params}
    assert (params["request_timeout"].default, params["max_inflight"].default) == ("30s", 16)
    inflight = params["max_inflight"].type
    assert isinstance(inflight, click.IntRange) and (inflight.min, inflight.max) == (1, 64)


def test_the_global_options_read_both_environment_names(fresh_cli: ModuleType) -> None:
    params = {p.name: p for p in fresh_cli.cli.params}
    assert params["data_path"].envvar == ["CISTREAMS_DATA_PATH", "DOOZER_DATA_PATH"]
    assert params["group"].envvar == ["CISTREAMS_GROUP", "DOOZER_GROUP"]
    assert params["working_dir"].envvar == ["CISTREAMS_WORKING_DIR", "DOOZER_WORKING_DIR"]


def _capture_check(monkeypatch: pytest.MonkeyPatch) -> list[tuple[options.Source, bool]]:
    seen: list[tuple[options.Source, bool]] = []

    def check(source: options.Source, compat: str | None,
              push: options.PushTarget) -> app.CheckReport:
        assert push == options.push_target(compat, None)  # no --push-to: the mode's target
        seen.append((source, compat == options.COMPAT_DOOZER_2020))
        return app.CheckReport([], [], 3)
    monkeypatch.setattr(app, "check", check)
    return seen


def test_the_build_data_options_reach_the_request(fresh_cli: ModuleType, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _capture_check(monkeypatch)
    result = run(fresh_cli, "check", "--data-path", "d", "-g", "g", "--working-dir", str(tmp_path),
                 "--assembly", "test", "--var", "MINOR=8", "--var", "A=b=c", "--var", "E=")
    assert (result.code, result.stdout) == (0, "g: ok, 3 BuildConfig(s), 0 warning(s)\n")
    assert seen == [(options.Source("d", "g", tmp_path, "test",
                                    (("MINOR", "8"), ("A", "b=c"), ("E", ""))), False)]


def test_the_global_options_are_the_fallback(fresh_cli: ModuleType, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _capture_check(monkeypatch)
    result = run(fresh_cli, "--data-path", "d", "-g", "g", "--working-dir", str(tmp_path), "check")
    assert result.code == 0
    assert seen == [(options.Source("d", "g", tmp_path, "stream", ()), False)]
    run(fresh_cli, "--data-path", "d", "-g", "g", "--working-dir", str(tmp_path), "check",
        "--data-path", "e", "-g", "h", "--working-dir", str(tmp_path / "x"))
    assert seen[-1][0] == options.Source("e", "h", tmp_path / "x", "stream", ())


def test_gen_buildconfigs_passes_the_build_data_options_on(fresh_cli: ModuleType, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    def generate(request: Any, problems: Any, progress: Any = None) -> app.GenerateResult:
        seen.append(request)
        return app.GenerateResult([], 0)
    patch_generate(monkeypatch, generate)
    result = run(fresh_cli, "gen-buildconfigs", "--data-path", "d", "-g", "g", "-o", "-",
                 "--working-dir", str(tmp_path), "--assembly", "test", "--var", "X=1")
    assert (result.code, result.stderr) == (0, "wrote 0 BuildConfigs to standard output\n")
    assert seen[0].source == options.Source("d", "g", tmp_path, "test", (("X", "1"),))


def _capture_diff(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []

    def diff(request: Any, connection: Any, problems: Any, progress: Any = None,
             prune: bool = False) -> DiffReport:
        seen.append((request, connection))
        return DiffReport("", 0, 0)
    monkeypatch.setattr(app, "diff", diff)
    return seen


def test_the_connection_options_reach_the_request(fresh_cli: ModuleType,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _capture_diff(monkeypatch)
    result = run(fresh_cli, "diff", "--data-path", "d", "-g", "g", "--kubeconfig", "k", "--context", "c",
                 "--as", "someone", "--request-timeout", "1m", "--max-inflight", "64")
    assert result.code == 0
    request, connection = seen[0]
    assert connection == options.ConnectionOptions("k", "c", 60.0, 64)
    assert request.as_user == "someone"


def test_the_connection_defaults(fresh_cli: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _capture_diff(monkeypatch)
    assert run(fresh_cli, "diff", "--data-path", "d", "-g", "g").code == 0
    request, connection = seen[0]
    assert connection == options.ConnectionOptions(None, None, 30.0, 16)
    assert request.as_user is None


@pytest.mark.parametrize(("args", "error"), [
    (("--max-inflight", "0"), "error: Invalid value for '--max-inflight': 0 is not in the range 1<=x<=64."),
    (("--max-inflight", "65"), "error: Invalid value for '--max-inflight': 65 is not in the range 1<=x<=64."),
    (("--request-timeout", "soon"), "error: Invalid value for '--request-timeout': 'soon' is not a "
                                    "duration (e.g. 30s, 1m, 0 for none)"),
])
def test_connection_option_mistakes_exit_2(fresh_cli: ModuleType, args: tuple[str, ...], error: str) -> None:
    result = run(fresh_cli, "diff", "--data-path", "d", "-g", "g", *args)
    assert result.code == 2
    assert result.stderr.splitlines()[-1] == error


@pytest.mark.parametrize("text", ["NOEQUALS", "=v", "1A=2", "A-B=1", " A=1"])
def test_a_var_must_be_key_equals_value(fresh_cli: ModuleType, text: str) -> None:
    result = run(fresh_cli, "check", "--data-path", "d", "-g", "g", "--var", text)
    assert result.code == 2
    assert result.stderr.splitlines()[-1] == f"error: Invalid value for --var: '{text}' is not KEY=VALUE"


def test_main_reads_the_command_line_when_given_none(fresh_cli: ModuleType,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["cistreams", "check", "--data-path", str(EXAMPLE), "-g",
                                      "openshift-4.7"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert fresh_cli.main() == 0
    assert out.getvalue() == "openshift-4.7: ok, 6 BuildConfig(s), 0 warning(s)\n"


DRY_RUN_HELP = ("With --apply: only the server-side dry run (plain --dry-run or kubectl's "
                "--dry-run=server); report what would be created, configured or pruned and write "
                "nothing to the cluster. --dry-run=client is refused: only the server can tell.")


def test_the_dry_run_option_as_help_shows_it(fresh_cli: ModuleType) -> None:
    command = fresh_cli.cli.commands["gen-buildconfigs"]
    assert described(command, {"dry_run"}) == [(["--dry-run"], "dry_run", "[=server]",
                                                DRY_RUN_HELP, None, False)]
    params = {p.name: p for p in command.params}
    dry_run = params["dry_run"]
    assert isinstance(dry_run.type, click.Choice)
    assert list(dry_run.type.choices) == ["server", "client", "none"]
    assert isinstance(dry_run, click.Option) and dry_run.is_flag is False


def _capture_generate(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []

    def generate(request: Any, problems: Any, progress: Any = None) -> app.GenerateResult:
        seen.append(request)
        return app.GenerateResult([], 0)
    patch_generate(monkeypatch, generate)
    return seen


@pytest.mark.parametrize(("args", "dry_run"), [
    ((), False), (("--dry-run",), True), (("--dry-run=server",), True),
    (("--dry-run", "server"), True), (("--dry-run=none",), False)])
def test_dry_run_forms(fresh_cli: ModuleType, monkeypatch: pytest.MonkeyPatch,
                       args: tuple[str, ...], dry_run: bool) -> None:
    seen = _capture_generate(monkeypatch)
    result = run(fresh_cli, "gen-buildconfigs", "--data-path", "d", "-g", "g", "-o", "-",
                 "--apply", *args)
    assert result.code == 0, result.stderr
    assert seen[0].apply_options.dry_run is dry_run


@pytest.mark.parametrize(("arg", "error"), [
    ("--dry-run=client", "error: Invalid value for '--dry-run': client is not supported: cistreams "
     "applies with server-side apply, so only the server's dry run can say what would change; use "
     "--dry-run=server (or cistreams diff)"),
    ("--dry-run=SERVER", "error: Invalid value for '--dry-run': 'SERVER' is not one of 'server', "
     "'client', 'none'."),
])
def test_dry_run_mistakes_exit_2(fresh_cli: ModuleType, arg: str, error: str) -> None:
    result = run(fresh_cli, "gen-buildconfigs", "--data-path", "d", "-g", "g", "-o", "-", "--apply",
                 arg)
    assert result.code == 2
    assert result.stderr.splitlines()[-1] == error


def _crash(*_: object, **__: object) -> None:
    raise RuntimeError("kaboom")


@pytest.mark.parametrize("before_the_verb", [True, False])
def test_debug_shows_the_traceback_before_or_after_the_verb(
        fresh_cli: ModuleType, monkeypatch: pytest.MonkeyPatch, before_the_verb: bool) -> None:
    patch_generate(monkeypatch, _crash)
    verb = ["gen-buildconfigs", "--data-path", "d", "-g", "g", "-o", "-"]
    result = run(fresh_cli, *(["--debug", *verb] if before_the_verb else [*verb, "--debug"]))
    assert result.code == 3
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert result.stderr.endswith("cistreams: internal error: RuntimeError: kaboom\n")
    without = run(fresh_cli, *verb)
    assert (without.code, without.stderr) == (3, "cistreams: internal error: RuntimeError: kaboom "
                                                 "(rerun with --debug for the traceback)\n")


def test_debug_is_a_flag_taken_first(fresh_cli: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """--debug takes no value, and it is eager: a usage error later on the line still sees it
    (the option's callback has run)."""
    patch_generate(monkeypatch, _crash)
    result = run(fresh_cli, "gen-buildconfigs", "--debug", "--data-path", "d", "-g", "g", "-o", "-")
    assert result.code == 3 and result.stderr.startswith("Traceback")
    for command in (fresh_cli.cli, fresh_cli.cli.commands["gen-buildconfigs"]):
        debug = next(p for p in command.params if p.name == "debug")
        assert isinstance(debug, click.Option)
        assert (debug.opts, debug.is_flag, debug.expose_value, debug.is_eager, debug.help) == (
            ["--debug"], True, False, True, "Show the traceback of unexpected errors.")

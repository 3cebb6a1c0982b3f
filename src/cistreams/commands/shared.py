"""What every verb shares: doozer's global options (accepted after the verb too), the
build-data and cluster connection options as typed records, and how warnings are shown."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from cistreams import options
from cistreams.errors import CistreamsError, Problems, one_line

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXIT_USER, EXIT_USAGE, EXIT_BUG = 1, 2, 3
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class RunState:
    """Set while the command line is parsed, read by `cli.main` when a run fails."""

    debug: bool = False

    def reset(self) -> None:
        """Back to the environment's default (CISTREAMS_DEBUG), before a run parses --debug."""
        self.debug = bool(os.environ.get("CISTREAMS_DEBUG"))


STATE = RunState()


def env(*names: str) -> list[str]:
    """The CISTREAMS_ and DOOZER_ environment variables of an option."""
    return [f"CISTREAMS_{n}" for n in names] + [f"DOOZER_{n}" for n in names]


@dataclass
class Globals:
    """doozer's global options, given before the verb (or after it in the short form)."""

    data_path: str | None = None
    group: str | None = None
    working_dir: Path | None = None


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        STATE.debug = True


def debug_option(func: F) -> F:
    """--debug: show the traceback of unexpected errors (before or after the verb)."""
    option = click.option("--debug", is_flag=True, expose_value=False, is_eager=True,
                          callback=_set_debug, help="Show the traceback of unexpected errors.")
    return option(func)


def source_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The build-data options (also accepted after the verb), handed to the command as one
    `source: options.Source`."""
    @functools.wraps(func)
    def command(*args: Any, data_path_: str | None, group_: str | None,
                working_dir_: Path | None, assembly: str, variables: tuple[str, ...],
                **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        if (kwargs.get("compat") == options.COMPAT_DOOZER_2020
                and ctx.get_parameter_source("assembly") is not ParameterSource.DEFAULT):
            raise click.UsageError("--assembly needs the default mode: doozer 2020 had no "
                                   "assemblies, and 2020 build data has no {runtime_assembly}")
        root = ctx.find_object(Globals) or Globals()
        source = make_source(data_path_ or root.data_path, group_ or root.group,
                             working_dir_ or root.working_dir, assembly, variables)
        return func(*args, source=source, **kwargs)

    decorators = [
        click.option("--data-path", "data_path_", metavar="PATH_OR_URL", default=None,
                     help="Same as the global --data-path."),
        click.option("-g", "--group", "group_", metavar="NAME", default=None,
                     help="Same as the global --group."),
        click.option("--working-dir", "working_dir_", default=None,
                     type=click.Path(file_okay=False, path_type=Path),
                     help="Same as the global --working-dir."),
        click.option("--assembly", default="stream", show_default=True, metavar="NAME",
                     help="Fills {runtime_assembly} in group.yml when the group enables "
                          "assemblies; 'stream' is the assembly CI images are synced from. "
                          "A usage error with --compat doozer-2020."),
        click.option("--var", "variables", multiple=True, metavar="KEY=VALUE",
                     help="Override or add a group.yml var, e.g. --var MINOR=18."),
        debug_option,
    ]
    wrapped: Callable[..., Any] = command
    for decorator in reversed(decorators):
        wrapped = decorator(wrapped)
    return wrapped


def make_source(data_path: str | None, group: str | None, working_dir: Path | None,
                assembly: str, variables: tuple[str, ...]) -> options.Source:
    """The build-data source, or a usage error naming what is missing."""
    if not data_path:
        raise click.UsageError("no build data: give --data-path PATH_OR_URL "
                               "(or set CISTREAMS_DATA_PATH / DOOZER_DATA_PATH)")
    if not group:
        raise click.UsageError("no group: give -g/--group NAME (or set CISTREAMS_GROUP / "
                               "DOOZER_GROUP)")
    return options.Source(data_path, group, working_dir, assembly,
                          tuple(_parse_var(v) for v in variables))


def _parse_var(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise click.BadParameter(f"'{text}' is not KEY=VALUE", param_hint="--var")
    return key, value


_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "\u00b5s": 1e-6,
                 "\u03bcs": 1e-6, "ns": 1e-9}
_DURATION_PART = r"(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|\u00b5s|\u03bcs|ns)"


def parse_duration(text: str) -> float:
    """kubectl's --request-timeout, in seconds: bare seconds (`30`, `2.5`) or a Go duration
    (`1m30s`, `500ms`, `2h`, `1.5h`); `0` means no time limit."""
    stripped = text.strip()
    if re.fullmatch(r"\d+(?:\.\d*)?|\.\d+", stripped):
        return float(stripped)
    if not re.fullmatch(f"(?:{_DURATION_PART})+", stripped):
        raise ValueError(f"'{text}' is not a duration (e.g. 30s, 1m, 0 for none)")
    return sum(float(number) * _UNIT_SECONDS[unit]
               for number, unit in re.findall(_DURATION_PART, stripped))


def duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    """The click callback of a time option: kubectl's duration forms, in seconds."""
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _dry_run(ctx: click.Context, param: click.Parameter, value: str | None) -> bool:
    """kubectl's --dry-run: plain or `=server` is the server-side dry run; `=client` cannot be
    (only the server can say what an apply would change); `=none` is no dry run."""
    if value == "client":
        raise click.BadParameter("client is not supported: cistreams applies with server-side "
                                 "apply, so only the server's dry run can say what would "
                                 "change; use --dry-run=server (or cistreams diff)")
    return value == "server"


def dry_run_option(func: F) -> F:
    """--dry-run, --dry-run=server (the same), --dry-run=none; --dry-run=client is refused."""
    option = click.option(
        "--dry-run", type=click.Choice(["server", "client", "none"]), is_flag=False,
        flag_value="server", default=None, callback=_dry_run, metavar="[=server]",
        help="With --apply: only the server-side dry run (plain --dry-run or kubectl's "
             "--dry-run=server); report what would be created, configured or pruned and write "
             "nothing to the cluster. --dry-run=client is refused: only the server can tell.")
    return option(func)


def connection_options_with(max_inflight: int, inflight_help: str,
                            ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """kubectl's connection options with a verb's own --max-inflight default and meaning,
    handed to the command as `connection: options.ConnectionOptions` and `as_user`."""
    return functools.partial(_connection_options, max_inflight, inflight_help)


def connection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """kubectl's connection options (16 requests in flight at once)."""
    return _connection_options(16, "Requests in flight at once.", func)


def _connection_options(max_inflight_default: int, inflight_help: str,
                        func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def command(*args: Any, kubeconfig: str | None, kube_context: str | None,
                request_timeout: float, max_inflight: int, **kwargs: Any) -> Any:
        connection = options.ConnectionOptions(kubeconfig, kube_context, request_timeout,
                                               max_inflight)
        return func(*args, connection=connection, **kwargs)

    decorators = [
        click.option("--kubeconfig", metavar="PATH", default=None,
                     help="The kubeconfig file; else KUBECONFIG, else ~/.kube/config, else "
                          "the pod's service account."),
        click.option("--context", "kube_context", metavar="NAME", default=None,
                     help="The kubeconfig context (default: its current-context)."),
        click.option("--as", "as_user", metavar="CLUSTER_USERNAME",
                     help="Impersonate this user on the cluster."),
        click.option("--request-timeout", default="30s", show_default=True, metavar="DURATION",
                     callback=duration,
                     help="Time limit of each request (30s, 1m, 0 for none); a request that "
                          "times out is retried, 3 tries in all. kubectl's forms: bare seconds, "
                          "1m30s, 500ms, 2h."),
        click.option("--max-inflight", type=click.IntRange(1, 64), default=max_inflight_default,
                     show_default=True, help=inflight_help),
    ]
    wrapped: Callable[..., Any] = command
    for decorator in reversed(decorators):
        wrapped = decorator(wrapped)
    return wrapped


def print_warnings(problems: Problems) -> None:
    """Every warning of the run, one `warning:` line each, on standard error."""
    for warning in problems.warnings:
        click.echo(f"warning: {warning}", err=True)


def echo_error(text: str) -> None:
    """An error of one or more lines, each as `error: ...` on standard error."""
    for line in text.splitlines():
        click.echo(f"error: {line}", err=True)


def echo_problem(error: CistreamsError) -> None:
    """`echo_error` of a raised error, then its detail lines as they are."""
    echo_error(str(error))
    for line in error.details:
        click.echo(one_line(line), err=True)

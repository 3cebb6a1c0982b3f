"""What every verb shares: doozer's global options (accepted after the verb too), the
build-data and cluster connection options as typed records, and how warnings are shown."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from cistreams import options
from cistreams.errors import Problems

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
        root = click.get_current_context().find_object(Globals) or Globals()
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
                          "assemblies; 'stream' is the assembly CI images are synced from."),
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


def _timeout(ctx: click.Context, param: click.Parameter, value: str) -> float:
    from cistreams.cluster.connection import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def connection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """kubectl's connection options, handed to the command as `connection:
    options.ConnectionOptions` and `as_user`."""
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
                     callback=_timeout,
                     help="Time limit of each request (30s, 1m, 0 for none); a request that "
                          "times out is retried, 3 tries in all."),
        click.option("--max-inflight", type=click.IntRange(1, 64), default=16,
                     show_default=True, help="Requests in flight at once."),
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

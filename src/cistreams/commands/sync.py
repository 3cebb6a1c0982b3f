"""`sync`: ART's whole sync-ci-images job in one command (see `cistreams.job`)."""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cistreams import options
from cistreams.commands.registry_options import RegistryOptions, registry_options
from cistreams.commands.shared import CONTEXT, Globals, connection_options_with, debug_option, duration
from cistreams.errors import one_line

if TYPE_CHECKING:
    from cistreams.job.steps import SyncOptions

GROUP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def read_groups(named: tuple[str, ...], groups_file: Path | None,
                global_group: str | None) -> list[str]:
    """The groups to sync, in order, each once: -g/--group, then --groups-file (one a line,
    `#` comments), else the global --group."""
    groups = list(named)
    if groups_file is not None:
        try:
            text = groups_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(f"{groups_file}: cannot be read ({exc})",
                                     param_hint="--groups-file") from None
        for number, line in enumerate(text.splitlines(), start=1):
            name = line.split("#", 1)[0].strip()
            if name and not GROUP_NAME.fullmatch(name):
                raise click.BadParameter(f"{groups_file}:{number}: '{one_line(name)}' is not "
                                         "a group name", param_hint="--groups-file")
            if name:
                groups.append(name)
    if not groups and global_group:
        groups.append(global_group)
    for name in groups:
        if not GROUP_NAME.fullmatch(name):
            raise click.BadParameter(f"'{one_line(name)}' is not a group name (such as "
                                     "openshift-4.17)", param_hint="-g/--group")
    if not groups:
        raise click.UsageError("no group: give -g/--group NAME (repeatable) or --groups-file "
                               "FILE")
    return list(dict.fromkeys(groups))


class LineEcho:
    """Lines of groups running side by side, whole and flushed (a CI log on a pipe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()


@click.command("sync", context_settings=CONTEXT)
@click.option("-g", "--group", "groups", multiple=True, metavar="NAME",
              help="A group to sync (repeatable), e.g. -g openshift-4.17 -g openshift-4.18.")
@click.option("--groups-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="More groups, one a line ('#' starts a comment).")
@click.option("--data-path", "data_path_", metavar="PATH_OR_URL", default=None,
              help="Same as the global --data-path: a git URL (each group's branch is cloned "
                   "once per run) or a directory; '{group}' in it stands for the group.")
@click.option("--working-dir", "working_dir_", default=None,
              type=click.Path(file_okay=False, path_type=Path),
              help="Where git build data is cloned, a folder per group (kept and reused); a "
                   "temporary folder when absent.")
@click.option("--assembly", default="stream", show_default=True, metavar="NAME",
              help="Fills {runtime_assembly} in group.yml.")
@click.option("--var", "variables", multiple=True, metavar="KEY=VALUE",
              help="Override or add a group.yml var (every group).")
@click.option("--prune", is_flag=True,
              help="gen-buildconfigs --apply --prune: delete the group's BuildConfigs the "
                   "build data no longer renders.")
@click.option("--max-prune", type=click.IntRange(0), default=5, show_default=True,
              metavar="N", help="With --prune: more deletes than N stop the group.")
@click.option("--only-if-missing", is_flag=True, help="mirror --only-if-missing.")
@click.option("--force", is_flag=True,
              help="Sync every group, even one whose build data did not change since its "
                   "last successful sync.")
@click.option("--max-groups", type=click.IntRange(1, 16), default=2, show_default=True,
              help="Groups synced at once.")
@click.option("--dry-run", is_flag=True,
              help="Read the Leases, run every step dry (server dry runs, no copy, no "
                   "build); take no Lease and record nothing.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]),
              default="text", show_default=True,
              help="json: the report (as --report writes it) on standard output.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="FILE",
              help="Write a JUnit XML file: a testsuite per group, a testcase per step.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="FILE",
              help="Write the JSON report: per group and step, status, time, counts, errors.")
@click.option("--push-secret", default=options.DEFAULT_PUSH_SECRET, show_default=True,
              metavar="NAME", help="The secret the BuildConfigs push to QCI with.")
@click.option("--build-timeout", default="1h", show_default=True, metavar="DURATION",
              callback=duration, help="start-builds --timeout: the whole wait for builds.")
@click.option("--lock-namespace", default="ci", show_default=True, metavar="NAMESPACE",
              help="Where the groups' Leases (lock and memory) live.")
@click.option("--lease-duration", type=click.IntRange(1, 3600), default=60, show_default=True,
              metavar="SECONDS",
              help="A Lease not renewed for this long is taken over (renewed every third).")
@connection_options_with(8, "Per group: requests, copies and builds started at once.")
@registry_options
@debug_option
def sync(*, groups: tuple[str, ...], groups_file: Path | None, data_path_: str | None,
         working_dir_: Path | None, assembly: str, variables: tuple[str, ...], prune: bool,
         max_prune: int, only_if_missing: bool, force: bool, max_groups: int, dry_run: bool,
         output_format: str, junit_file: Path | None, report_file: Path | None,
         registries: RegistryOptions, push_secret: str, build_timeout: float,
         lock_namespace: str, lease_duration: int, connection: options.ConnectionOptions,
         as_user: str | None) -> None:
    """Run ART's sync-ci-images job for each group: gen-buildconfigs --apply, mirror,
    start-builds (waiting), check-upstream.

    \b
    Per group, with a Lease on the cluster as its lock and memory:
      unchanged since its last successful sync  ->  reported, nothing done (--force: synced)
      its Lease held by another live run        ->  skipped, one line
      else                                      ->  the four steps in order; the first
                                                    failure ends the group (the rest: not run)
    Up to --max-groups groups at once, then a summary table; --junit and --report for CI.
    Exit status: 0 when no group failed, 1 when any did, 2 for a usage error.
    """
    from cistreams.commands.shared import make_source
    from cistreams.job.steps import SyncOptions

    root = click.get_current_context().find_object(Globals) or Globals()
    names = read_groups(groups, groups_file, root.group)
    source = make_source(data_path_ or root.data_path, names[0], working_dir_ or root.working_dir,
                         assembly, variables)
    sync_options = SyncOptions(connection, as_user, registries, prune, max_prune, only_if_missing,
                               force, dry_run, connection.max_inflight, build_timeout, lock_namespace,
                               lease_duration, push_secret)
    code = run_and_report(names, source, sync_options, max_groups, output_format, junit_file,
                          report_file)
    if code:
        raise click.exceptions.Exit(code)


def run_and_report(groups: list[str], source: options.Source, sync_options: SyncOptions,
                   max_groups: int, output_format: str, junit_file: Path | None,
                   report_file: Path | None) -> int:
    """Sync the groups, print the table (or the JSON report), write the files; the exit
    status."""
    from cistreams import app
    from cistreams.job import adapters, reports, runner

    echo = LineEcho()
    with app.working_dir(source.working_dir) as work:
        job = runner.Sync(source, sync_options, adapters.default_steps(), echo, work)
        results = runner.run_groups(job, groups, max_groups)
    if junit_file is not None:
        reports.write(junit_file, reports.junit(results))
    if report_file is not None:
        reports.write(report_file, reports.as_json(results, sync_options.dry_run))
    if output_format == "json":
        click.echo(reports.as_json(results, sync_options.dry_run), nl=False)
    else:
        for line in reports.table(results):
            click.echo(line)
    return reports.exit_code(results)

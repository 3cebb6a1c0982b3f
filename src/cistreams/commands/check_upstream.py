"""`check-upstream`: what CI serves for each entry, the QCI tags synced to it, and the last
builds (doozer's `images:streams check-upstream`, 2026, told truthfully). The checks are
`cibuilds.upstream`."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from cistreams import options
from cistreams.commands.registry_options import RegistryOptions, registry_options
from cistreams.commands.shared import (
    CONTEXT,
    EXIT_USER,
    connection_options,
    print_warnings,
    source_options,
)
from cistreams.errors import Problems, one_line

if TYPE_CHECKING:
    from cistreams.cibuilds.upstream import LastBuild, Report


@click.command("check-upstream", context_settings=CONTEXT)
@click.option("--stream", "streams", multiple=True, metavar="STREAM_NAME",
              help="Only these streams (with --image: a union).")
@click.option("--image", "images", multiple=True, metavar="IMAGE_NAME",
              help="Only these image-metadata entries (ci_alignment.upstream_image).")
@click.option("--live-test-mode", is_flag=True,
              help="Check the live-test tags and BuildConfigs ('.test' appended).")
@click.option("--dry-run", is_flag=True,
              help="Check only: a QCI tag the imagestream does not name is NOT SYNCED, and "
                   "nothing is copied or patched.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: one document with every check, on standard output.")
@registry_options
@connection_options
@source_options
def check_upstream(*, source: options.Source, connection: options.ConnectionOptions,
                   as_user: str | None, registries: RegistryOptions, streams: tuple[str, ...],
                   images: tuple[str, ...], live_test_mode: bool, dry_run: bool,
                   output_format: str) -> None:
    """Check (and sync) the QCI images and the CI imagestream tags of the group.

    \b
    Per entry with a transform or mirror: true:
      imagestream tag of upstream_image (one GET per imagestream): OK when it names QCI or
        its proxy by digest with referencePolicy Source, WARNING otherwise, ERROR when
        missing, SKIP outside the CI registry;
      with a transform, the QCI tag art-builder-MAJOR.MINOR-TAG: ERROR when missing; when
        the imagestream tag names another digest, both images kept under GC tags and the
        tag pointed at <qci-proxy>@<digest> (SYNCED).
    Then the group's BuildConfigs and their last builds. Exit status 1 when any ERROR
    remains, 0 otherwise.
    """
    from cistreams.cibuilds import qci
    from cistreams.cibuilds.display import Display
    from cistreams.cibuilds.upstream import Request
    from cistreams.cibuilds.upstream import check_upstream as run

    hosts = qci.Hosts(registries.ci_registry, registries.qci_repo, registries.qci_proxy)
    request = Request(source, streams, images, live_test_mode, dry_run, hosts, registries.auth,
                      registries.certs, connection, as_user)
    problems = Problems()
    text = output_format == "text"
    display = Display(quiet=not text)
    try:
        report = run(request, problems, display)
    finally:
        print_warnings(problems)
    if not text:
        click.echo(json.dumps(as_document(report, display.lines), indent=2, sort_keys=True))
    else:
        for line in (as_tables(report) if sys.stdout.isatty() else as_lines(report)):
            click.echo(line)
        counts = report.counts()
        click.echo("check-upstream: " + ", ".join(f"{n} {status}" for status, n in counts.items())
                   + f" ({report.requests} API requests, {report.registry_runs} registry reads "
                   "and copies)", err=True)
    if not report.ok:
        raise click.exceptions.Exit(EXIT_USER)


def _build_cells(last: LastBuild, now: datetime) -> list[str]:
    """LAST BUILD, PHASE, AGE, DURATION of one BuildConfig."""
    from cistreams.cibuilds import tables, upstream

    build = last.build
    if build is None:
        return ["-", "-", "-", "-"]
    return [build.name, build.phase, tables.duration(upstream.age(build, now)),
            tables.duration(build.duration(now))]


def as_tables(report: Report) -> list[str]:
    """For a terminal: the checks, then the BuildConfigs, as tables."""
    from cistreams.cibuilds import tables

    now = datetime.now(UTC)
    lines = tables.table(["STATUS", "ENTRY", "CHECK", "SUBJECT", "DETAIL"],
                         [[c.status, c.entry, c.what, c.subject, one_line(c.detail)]
                          for c in report.checks]) if report.checks else []
    rows = [[last.buildconfig, *_build_cells(last, now)] for last in report.buildconfigs]
    if rows:
        lines += ["", *tables.table(["BUILDCONFIG", "LAST BUILD", "PHASE", "AGE", "DURATION"],
                                    rows)]
    return lines


def as_lines(report: Report) -> list[str]:
    """For logs: one line per check and per BuildConfig."""
    now = datetime.now(UTC)
    lines = [one_line(f"{c.status}: {c.entry}: {c.what} {c.subject}: {c.detail}")
             for c in report.checks]
    for last in report.buildconfigs:
        name, phase, age, took = _build_cells(last, now)
        lines.append(f"buildconfig {last.buildconfig}: no builds" if last.build is None else
                     f"buildconfig {last.buildconfig}: last build {name} {phase}, {age} ago, "
                     f"took {took}")
    return lines


def as_document(report: Report, log: list[str]) -> dict[str, Any]:
    """--format json."""
    from cistreams.cibuilds import upstream

    now = datetime.now(UTC)
    checks = [{"entry": c.entry, "check": c.what, "status": c.status, "subject": c.subject,
               "detail": c.detail} for c in report.checks]
    buildconfigs = [{"buildconfig": last.buildconfig,
                     "last_build": last.build.name if last.build else None,
                     "phase": last.build.phase if last.build else None,
                     "age_seconds": upstream.age(last.build, now) if last.build else None,
                     "duration_seconds": last.build.duration(now) if last.build else None}
                    for last in report.buildconfigs]
    return {"ok": report.ok, "counts": report.counts(), "checks": checks,
            "buildconfigs": buildconfigs, "requests": report.requests,
            "registry_runs": report.registry_runs, "log": log}

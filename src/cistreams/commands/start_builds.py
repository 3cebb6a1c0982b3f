"""`start-builds`: preserve, start, watch and promote the group's CI builds (doozer's
`images:streams start-builds`, 2026). The stages are `cibuilds.startbuilds`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from cistreams import options
from cistreams.commands.registry_options import RegistryOptions, registry_options
from cistreams.commands.shared import (
    CONTEXT,
    EXIT_USER,
    connection_options,
    duration,
    print_warnings,
    source_options,
)
from cistreams.errors import Problems

if TYPE_CHECKING:
    from cistreams.cibuilds.startbuilds import Item, Report


def _timeout(ctx: click.Context, param: click.Parameter, value: str) -> float:
    seconds = duration(ctx, param, value)
    if seconds <= 0:
        raise click.BadParameter("must be longer than 0 (use --no-wait not to wait)")
    return seconds


@click.command("start-builds", context_settings=CONTEXT)
@click.option("--stream", "streams", multiple=True, metavar="STREAM_NAME",
              help="Only these streams' BuildConfigs (with --image: a union); the others are "
                   "'not selected', never 'outdated'.")
@click.option("--image", "images", multiple=True, metavar="IMAGE_NAME",
              help="Only these image-metadata entries (ci_alignment.upstream_image).")
@click.option("--live-test-mode", is_flag=True,
              help="Act on the live-test BuildConfigs (group label and tags with '.test').")
@click.option("--dry-run", is_flag=True,
              help="Read the cluster and the registries and say every copy, patch and build "
                   "it would make; write nothing anywhere.")
@click.option("--timeout", default="1h", show_default=True, metavar="DURATION",
              callback=_timeout,
              help="The whole wait for the builds (30m, 1h, 90s); a build still going then is "
                   "not promoted and the run exits 1.")
@click.option("--no-wait", is_flag=True,
              help="Start the builds and return: no watch, no promotion (check-upstream syncs "
                   "the imagestream tags later).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="json: one document with every BuildConfig, build and line, on standard "
                   "output, and nothing while it runs.")
@registry_options
@connection_options
@source_options
def start_builds(*, source: options.Source, connection: options.ConnectionOptions,
                 as_user: str | None, registries: RegistryOptions, streams: tuple[str, ...],
                 images: tuple[str, ...], live_test_mode: bool, dry_run: bool, timeout: float,
                 no_wait: bool, output_format: str) -> None:
    """Triggers a build for each buildconfig associated with this group, and promotes it.

    \b
    For each of the group's BuildConfigs (one LIST by its art-builder-group label):
      outdated (no longer in the build data) or not selected: left alone;
      with the art-builder-qci-tag label: the image CI serves now and the QCI tag's image
        kept under GC tags art-builder-<16 hex>, the imagestream tag pointed at
        <qci-proxy>@<digest> (or the QCI tag bootstrapped from CI), before the build;
      the build started (POST .../instantiate), up to --max-inflight at once;
      one WATCH of the group's Builds until each ends or --timeout passes; a Complete QCI
        build's image to its GC tag and the imagestream tag pointed at it.
    Exit status 0 only when every selected build completed and was promoted, 1 otherwise.
    """
    from cistreams.cibuilds import qci
    from cistreams.cibuilds.display import Display
    from cistreams.cibuilds.startbuilds import Request
    from cistreams.cibuilds.startbuilds import start_builds as run

    hosts = qci.Hosts(registries.ci_registry, registries.qci_repo, registries.qci_proxy)
    request = Request(source, streams, images, live_test_mode, dry_run, not no_wait, timeout,
                      hosts, registries.auth, registries.certs, connection, as_user)
    problems = Problems()
    text = output_format == "text"
    display = Display(quiet=not text)
    try:
        report = run(request, problems, display)
    finally:
        print_warnings(problems)
    if text:
        for line in summary_table(report):
            click.echo(line)
        click.echo(summary_line(report), err=True)
    else:
        click.echo(json.dumps(as_document(report, display.lines), indent=2, sort_keys=True))
    if not report.ok:
        raise click.exceptions.Exit(EXIT_USER)


def phase_of(item: Item, report: Report) -> str:
    """The PHASE cell: the build's phase, or why there is none."""
    if item.build is None:
        if report.dry_run and item.error is None:
            return "dry run"
        return "missing" if item.status == "missing" else "not started"
    if item.timed_out:
        return f"timed out ({item.build.phase})"
    return item.build.phase


def promoted_of(item: Item) -> str:
    """The PROMOTED cell."""
    if item.promoted:
        return item.promoted
    return "-" if item.route is not None or item.build is None else "(imagestream target)"


def summary_table(report: Report) -> list[str]:
    """The table of the selected BuildConfigs: build, phase, duration, promoted digest."""
    from cistreams.cibuilds import tables

    now = datetime.now(UTC)
    rows = [[item.build.name if item.build else item.buildconfig, phase_of(item, report),
             tables.duration(item.build.duration(now) if item.build else None),
             promoted_of(item)] for item in report.selected]
    if not rows:
        return []
    return tables.table(["BUILD", "PHASE", "DURATION", "PROMOTED"], rows)


def summary_line(report: Report) -> str:
    """The last line: what became of the selected builds, and what it cost."""
    selected = report.selected
    good = sum(item.ok for item in selected)
    left = {status: sum(item.status == status for item in report.items)
            for status in ("outdated", "not selected")}
    verb = "would be started" if report.dry_run else (
        "started" if not report.wait else "completed and promoted")
    return (f"start-builds {report.label}: {good} of {len(selected)} selected {verb}, "
            f"{len(selected) - good} failed; {left['outdated']} outdated and "
            f"{left['not selected']} not selected left alone ({report.requests} API requests, "
            f"{report.registry_runs} registry reads and copies, {report.elapsed:.1f}s)")


def as_document(report: Report, lines: list[str]) -> dict[str, Any]:
    """--format json."""
    now = datetime.now(UTC)
    chosen = [item.status in ("selected", "missing") for item in report.items]
    items = [{"buildconfig": item.buildconfig, "status": item.status,
              "build": item.build.name if item.build else None,
              "phase": phase_of(item, report) if selected else None,
              "duration_seconds": item.build.duration(now) if item.build else None,
              "promoted": item.promoted, "qci": bool(item.route),
              "ok": item.ok if selected else None, "error": item.error}
             for item, selected in zip(report.items, chosen, strict=True)]
    return {"group": report.label, "ok": report.ok, "dry_run": report.dry_run,
            "wait": report.wait, "buildconfigs": items, "requests": report.requests,
            "registry_runs": report.registry_runs, "log": lines,
            "summary": summary_line(report)}

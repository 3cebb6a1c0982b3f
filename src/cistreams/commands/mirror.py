"""`mirror`: ART's images to where CI reads them, by digest, in parallel (doozer's
`images:streams mirror`). The plan and the run are `registry.plan` and `registry.run`."""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cistreams import options
from cistreams.commands.registry_options import RegistryOptions, registry_options
from cistreams.commands.shared import (
    CONTEXT,
    EXIT_USER,
    connection_options_with,
    print_warnings,
    source_options,
)
from cistreams.errors import CistreamsError, Problems, one_line
from cistreams.registry import plan as planning
from cistreams.registry import run as running
from cistreams.registry.skopeo import DEFAULT_CERTS, Skopeo

if TYPE_CHECKING:
    from cistreams.cluster.api import Api


@dataclass(frozen=True)
class MirrorRequest:
    """Everything `mirror` was asked to do."""

    source: options.Source
    streams: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    only_if_missing: bool = False
    dry_run: bool = False
    settings: planning.Settings = field(default_factory=planning.Settings)
    registry_auth: Path | None = None
    registry_certs: Path = DEFAULT_CERTS
    max_inflight: int = 8
    connection: options.ConnectionOptions = field(default_factory=options.ConnectionOptions)
    as_user: str | None = None


@dataclass
class ClusterPatcher:
    """Patches imagestream tags over one connection, opened at the first patch (a run
    without QCI destinations, or a dry run, never connects)."""

    connection: options.ConnectionOptions
    as_user: str | None
    _api: Api | None = None
    _error: CistreamsError | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, step: planning.TagPatch, reference: str) -> str:
        from cistreams.cluster import imagestreams

        return imagestreams.point_tag(self.connected(), step.namespace, step.imagestream,
                                      step.tag, reference)

    def connected(self) -> Api:
        """The connection (opened now if it is not yet)."""
        with self._lock:
            if self._error is not None:
                raise self._error  # the same reason for every patch, without a new try
            if self._api is None:
                from cistreams.cluster.connection import connect

                try:
                    self._api = connect(self.connection, self.as_user)
                except CistreamsError as exc:
                    self._error = exc
                    raise
            return self._api

    def close(self) -> None:
        """Close the connection, if one was opened."""
        if self._api is not None:
            self._api.client.close()


def prepare(request: MirrorRequest, problems: Problems) -> list[planning.EntryPlan]:
    """Load, select and plan; raises CistreamsError on mistakes in the build data."""
    from cistreams import app  # imported here so that --help stays fast

    data, _ = app.load_build_data(request.source, False, problems)
    if request.streams or request.images:
        problems.check()  # an entry dropped for its own errors must not read as "no such stream"
    entries = app.select(data, request.streams, request.images, False, problems)
    plans = planning.plan(data.group, entries, request.settings, problems,
                          named=bool(request.streams or request.images))
    problems.check()
    return plans


def execute(request: MirrorRequest, plans: list[planning.EntryPlan],
            emit: running.Emit) -> list[running.EntryReport]:
    """Run the plan. What would fail every step fails first, before anything is copied: no
    skopeo on PATH, or (when the plan patches imagestreams) no usable kubeconfig."""
    tool = Skopeo(authfile=request.registry_auth, certs_dir=request.registry_certs)
    patcher = ClusterPatcher(request.connection, request.as_user)
    writes = not request.dry_run
    if (writes or request.only_if_missing) and plans and shutil.which(tool.binary) is None:
        raise CistreamsError(f"{tool.binary}: not found on PATH (apt-get install skopeo)")
    if writes and any(isinstance(step, planning.TagPatch) for entry in plans
                      for target in entry.targets for step in target.steps):
        patcher.connected()
    run_options = running.Options(request.only_if_missing, request.dry_run, request.max_inflight)
    try:
        return running.run(plans, tool, patcher, run_options, emit)
    finally:
        patcher.close()


def print_entry(report: running.EntryReport) -> None:
    """An entry's lines: results on standard output, warnings and errors on standard error."""
    for outcome in report.outcomes:
        if outcome.action == running.MISSING_SOURCE:
            click.echo(f"warning: {one_line(outcome.text)}", err=True)
        elif outcome.action == running.ERROR:
            click.echo(f"error: {one_line(outcome.text)}", err=True)
        else:
            click.echo(one_line(outcome.text))


def summary(reports: list[running.EntryReport], dry_run: bool) -> tuple[str, dict[str, int]]:
    """The closing line and the counts behind it."""
    counts = dict.fromkeys((running.COPIED, running.PRESENT, running.PATCHED, running.UNCHANGED,
                            running.MISSING_SOURCE, running.ERROR, running.PLANNED), 0)
    for report in reports:
        for outcome in report.outcomes:
            counts[outcome.action] += 1
    entries = _count(len(reports), "entry", "entries")
    errors = _count(counts[running.ERROR], "error", "errors")
    if dry_run:
        return (f"dry run, {entries}: {counts[running.PLANNED]} steps listed, "
                f"{counts[running.PRESENT]} present, {errors}; nothing was copied or patched"), \
            counts
    return (f"mirror, {entries}: {counts[running.COPIED]} copied, {counts[running.PRESENT]} "
            f"present, {counts[running.PATCHED]} imagestream tags patched "
            f"({counts[running.UNCHANGED]} already right), "
            f"{_count(counts[running.MISSING_SOURCE], 'source', 'sources')} missing, "
            f"{errors}"), counts


def _count(number: int, one: str, more: str) -> str:
    return f"{number} {one if number == 1 else more}"


def as_json(reports: list[running.EntryReport], dry_run: bool) -> str:
    """--format json: every entry's outcomes and the counts, one document."""
    line, counts = summary(reports, dry_run)
    document: dict[str, Any] = {
        "dry_run": dry_run, "ok": counts[running.ERROR] == 0, "summary": counts, "text": line,
        "entries": [{"name": r.name, "results": [o.as_dict() for o in r.outcomes]}
                    for r in reports]}
    return json.dumps(document, indent=2, sort_keys=True)


@click.command("mirror", context_settings=CONTEXT)
@click.option("--stream", "streams", multiple=True, metavar="STREAM_NAME",
              help="Only these streams (with --image: a union).")
@click.option("--image", "images", multiple=True, metavar="IMAGE_NAME",
              help="Only these image-metadata entries (ci_alignment.upstream_image).")
@click.option("--only-if-missing", is_flag=True,
              help="Read each destination first (one manifest read) and copy only to those "
                   "that hold no image yet.")
@click.option("--live-test-mode", is_flag=True,
              help="Append '.test' to the main and arm64 destinations (the names "
                   "--only-if-missing reads stay without it, as doozer's).")
@click.option("--force", is_flag=True,
              help="Mirror every selected entry, with or without mirror: true.")
@click.option("--dry-run", is_flag=True,
              help="List every copy and imagestream patch; copy and patch nothing (with "
                   "--only-if-missing the destinations are still read).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]),
              default="text", show_default=True,
              help="json: one document with every result, on standard output.")
@connection_options_with(8, "Copies in flight at once (entries side by side, each in order).")
@registry_options
@source_options
def mirror(*, source: options.Source, streams: tuple[str, ...], images: tuple[str, ...],
           only_if_missing: bool, live_test_mode: bool, force: bool, dry_run: bool,
           registries: RegistryOptions, output_format: str,
           connection: options.ConnectionOptions, as_user: str | None) -> None:
    """Reads streams.yml and mirrors out ART equivalent images to CI, by digest.

    \b
    For each entry with mirror: true (every selected entry with --force), skopeo copies:
      image (a pullspec, or a brew name)  ->  upstream_image_base, else upstream_image
      its linux/arm64 image               ->  <that>-arm64 (with a base, aarch64 in arches)
      upstream_image                      ->  each upstream_image_mirror
    A destination in the CI registry goes to QCI instead (floating tag art__NS_IS_TAG, then
    GC tag art__<16 hex>) and its imagestream tag is pointed at <qci-proxy>@<digest>. Exit
    status: 0, or 1 when any copy or patch failed (a missing source is only a warning).
    """
    settings = planning.Settings(live_test_mode, force, registries.ci_registry,
                                 registries.qci_repo, registries.qci_proxy)
    request = MirrorRequest(source, streams, images, only_if_missing, dry_run, settings,
                            registries.auth, registries.certs,
                            connection.max_inflight, connection, as_user)
    problems = Problems()
    text = output_format == "text"
    try:
        plans = prepare(request, problems)
    finally:
        print_warnings(problems)
    reports = execute(request, plans, print_entry if text else _quiet)
    line, counts = summary(reports, dry_run)
    if text:
        click.echo(line, err=True)
    else:
        click.echo(as_json(reports, dry_run))
    if counts[running.ERROR]:
        raise click.exceptions.Exit(EXIT_USER)


def _quiet(report: running.EntryReport) -> None:
    """--format json prints everything at the end."""

"""start-builds: preserve, start, watch and promote the group's CI builds.

In order, each stage only when the one before went through:
1. one LIST of the group's BuildConfigs (by the art-builder-group label); each listed one is
   selected, `not selected` (--stream/--image) or `outdated` (the build data no longer
   renders it, left alone); a selected one the cluster lacks is an error;
2. the rights, asked of the server (SelfSubjectAccessReviews): `create
   buildconfigs/instantiate` and builds list/watch in `ci`, imagestreams get/patch where
   the QCI BuildConfigs promote to; a missing right stops the run with nothing written;
3. for every QCI BuildConfig, the preservation of `qci.Promoter.preserve`; any failure stops
   the run before a build is started (a rerun is safe);
4. a LIST of the group's Builds (the resourceVersion to watch from), then the builds
   started, up to --max-inflight at once;
5. one WATCH of the group's Builds until every started build ended or --timeout passed; each
   Complete build of a QCI BuildConfig is promoted at once, while the others still run.
--dry-run stops after 3 with every write said as `would ...`; --no-wait after 4.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from cistreams import options
from cistreams.cibuilds import qci, selection, tables
from cistreams.cibuilds.display import Display
from cistreams.cluster import builds, imagestreams, rights
from cistreams.cluster.api import Api
from cistreams.errors import CistreamsError, ErrorList, Problems
from cistreams.registry.run import in_order
from cistreams.registry.skopeo import Skopeo
from cistreams.render.names import GROUP_LABEL, NAMESPACE

MISSING = "missing"  # selected, rendered, but not on the cluster
TRIGGER = "Triggered by cistreams start-builds"


@dataclass(frozen=True)
class Request:
    """Everything `start-builds` was asked to do."""

    source: options.Source
    streams: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    live_test: bool = False
    dry_run: bool = False
    wait: bool = True
    timeout: float = 3600.0
    hosts: qci.Hosts = field(default_factory=qci.Hosts)
    registry_auth: Path | None = None
    registry_certs: Path | None = None
    connection: options.ConnectionOptions = field(default_factory=options.ConnectionOptions)
    as_user: str | None = None


@dataclass
class Item:
    """One BuildConfig of the run and what became of it."""

    buildconfig: str
    status: str  # selection.SELECTED, NOT_SELECTED, OUTDATED, or MISSING
    route: qci.Route | None = None
    build: builds.BuildState | None = None
    promoted: str | None = None
    error: str | None = None
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        """Selected and done as asked: Complete and promoted (QCI), Complete (imagestream
        target); or, when the run does not wait, started."""
        return self.status == selection.SELECTED and self.error is None and not self.timed_out


@dataclass
class Report:
    """The run, for the summary table and --format json."""

    label: str
    dry_run: bool
    wait: bool
    items: list[Item] = field(default_factory=list)
    requests: int = 0
    registry_runs: int = 0
    elapsed: float = 0.0

    @property
    def selected(self) -> list[Item]:
        """The BuildConfigs the run was about (missing ones included)."""
        return [i for i in self.items if i.status in (selection.SELECTED, MISSING)]

    @property
    def ok(self) -> bool:
        """Exit 0: every selected BuildConfig went through."""
        return all(item.ok for item in self.selected)


def start_builds(request: Request, problems: Problems, display: Display) -> Report:
    """Run the stages of the module doc; raises CistreamsError on a mistake in the build
    data, a refused list, or a missing right (nothing written in those cases)."""
    from cistreams.cluster.connection import connect

    chosen = selection.load(request.source, request.streams, request.images, request.live_test,
                            problems)
    tool = Skopeo(authfile=request.registry_auth, certs_dir=request.registry_certs)
    api = connect(request.connection, request.as_user)
    began = time.monotonic()
    report = Report(chosen.label, request.dry_run, request.wait)
    try:
        _Run(api, tool, request, chosen, display, report).run()
    finally:
        api.client.close()
        report.requests, report.registry_runs = api.requests, tool.runs
        report.elapsed = time.monotonic() - began
    return report


@dataclass
class _Run:
    api: Api
    tool: Skopeo
    request: Request
    chosen: selection.Selection
    display: Display
    report: Report

    @property
    def selector(self) -> str:
        return f"{GROUP_LABEL}={self.chosen.label}"

    def run(self) -> None:
        listed = builds.list_buildconfigs(self.api, NAMESPACE, self.selector)
        targets = self._classify(listed)
        if not targets:
            self.display.say(f"no BuildConfig of {self.chosen.label} to build")
            return
        self._check_rights(targets)
        if not self._preserve(targets):
            self.display.say("nothing was started: a preservation failed (a rerun is safe)")
            return
        if self.request.dry_run:
            for item in targets:
                self.display.say(f"would start a build of {item.buildconfig}")
            return
        # the watch starts from before the builds, so it misses none of their changes
        version = builds.list_builds(self.api, NAMESPACE, self.selector)[1] \
            if self.request.wait else ""
        started = self._instantiate(targets)
        if self.request.wait and started:
            try:
                self._wait(started, version)
            except KeyboardInterrupt:
                self.display.say(f"interrupted: {len(started)} builds started, not followed to "
                                 "their end and not promoted (they run on; check-upstream "
                                 "syncs the imagestream tags to their images)")
                raise

    def _classify(self, listed: list[dict[str, object]]) -> list[Item]:
        """Items for every listed and every selected BuildConfig; the ones to build."""
        by_name = {str(_meta(bc).get("name")): bc for bc in listed}
        for name in sorted(by_name):
            status = self.chosen.status(name)
            if status != selection.SELECTED:
                self.report.items.append(Item(name, status))
                self.display.say(f"skipped ({status}): {name}")
        targets = []
        for name in self.chosen.selected:
            if name not in by_name:
                error = (f"{name}: not on the cluster (namespace {NAMESPACE}, label "
                         f"{self.selector}); apply it with gen-buildconfigs --apply")
                self.report.items.append(Item(name, MISSING, error=error))
                self.display.say(f"error: {error}")
                continue
            item = Item(name, selection.SELECTED)
            try:
                item.route = qci.route_of(by_name[name], self.request.hosts)
            except CistreamsError as exc:
                item.error = str(exc)
            self.report.items.append(item)
            targets.append(item)
        return targets

    def _check_rights(self, targets: list[Item]) -> None:
        group = builds.GROUP_VERSION.split("/")[0]
        needed = [rights.Right(NAMESPACE, group, "buildconfigs/instantiate", "create")]
        if self.request.wait:
            needed += [rights.Right(NAMESPACE, group, "builds", verb) for verb in ("list", "watch")]
        for item in targets:
            if item.route is not None:
                needed += [rights.Right(item.route.namespace, "image.openshift.io",
                                        "imagestreams", verb) for verb in ("get", "patch")]
        lacking = rights.missing(self.api, needed)
        if lacking:
            lines = [*lacking, "nothing was written or started"]
            raise ErrorList([CistreamsError(line) for line in lines], len(lines))

    def _preserve(self, targets: list[Item]) -> bool:
        """Every QCI BuildConfig's preservation, side by side, lines in order; True when
        all went through."""
        promoter = self._promoter()

        def work(item: Item) -> tuple[Item, list[str]]:
            lines: list[str] = []
            if item.route is not None and item.error is None:
                try:
                    promoter.preserve(item.route, lines.append)
                except CistreamsError as exc:
                    item.error = f"{item.buildconfig}: preservation failed: {exc}"
            return item, lines

        def emit(done: tuple[Item, list[str]]) -> None:
            item, lines = done
            for line in lines:
                self.display.say(f"{item.buildconfig}: {line}")
            if item.error:  # a route without its annotations, or the preservation
                self.display.say(f"error: {item.error}")

        in_order(targets, work, self.request.connection.max_inflight, emit)
        return all(item.error is None for item in targets)

    def _promoter(self) -> qci.Promoter:
        def patch(namespace: str, imagestream: str, tag: str, pullspec: str) -> str:
            return imagestreams.point_tag(self.api, namespace, imagestream, tag, pullspec)

        return qci.Promoter(self.tool, patch, self.request.dry_run)

    def _instantiate(self, targets: list[Item]) -> list[Item]:
        """Start every build; the items whose build started."""
        def work(item: Item) -> Item:
            try:
                item.build = builds.instantiate(self.api, NAMESPACE, item.buildconfig, TRIGGER)
            except CistreamsError as exc:
                item.error = str(exc)
            return item

        def emit(item: Item) -> None:
            if item.build is not None:
                self.display.say(f"started {item.build.name}")
            else:
                self.display.say(f"error: {item.error}")

        in_order(targets, work, self.request.connection.max_inflight, emit)
        return [item for item in targets if item.build is not None]

    def _wait(self, started: list[Item], version: str) -> None:
        """The watch (stage 5); promotions run beside it."""
        pending = {item.build.name: item for item in started if item.build is not None}
        promotions: list[threading.Thread] = []
        slots = threading.BoundedSemaphore(self.request.connection.max_inflight)
        began = time.monotonic()
        deadline = began + self.request.timeout
        self.display.live(lambda: _progress(started, began, self.request.timeout))
        watch_error = ""
        try:
            for state in builds.watch(self.api, NAMESPACE, self.selector, version, deadline):
                item = pending.get(state.name)
                if item is None:
                    continue
                self._changed(item, state)
                if state.done:
                    del pending[state.name]
                    if state.phase == "Complete" and item.route is not None:
                        promotions.append(self._promote_beside(item, slots))
                if not pending:
                    break
        except builds.BuildsRefused as exc:  # the builds run on; this run can no longer see them
            watch_error = str(exc)
            self.display.say(f"error: {watch_error}")
        finally:
            self.display.done()
        for item in pending.values():
            self._not_seen_to_end(item, watch_error)
        for thread in promotions:
            thread.join()

    def _not_seen_to_end(self, item: Item, watch_error: str) -> None:
        """A build still going when the watch ended: never promoted."""
        assert item.build is not None
        if watch_error:
            item.error = f"{item.build.name}: its end was not seen (the watch failed)"
            return
        item.timed_out = True
        self.display.say(f"error: {item.build.name}: still {item.build.phase} after --timeout "
                         f"{tables.duration(self.request.timeout)}; not promoted")

    def _changed(self, item: Item, state: builds.BuildState) -> None:
        """Record a build's new state; one line when its phase changed."""
        before = item.build.phase if item.build else ""
        item.build = state
        if state.phase == before:
            return
        text = f"{state.name}: {state.phase}"
        if state.done:
            text += f" after {tables.duration(state.duration())}"
        if state.phase == "Complete":
            self.display.say(text)
            return
        if state.done:
            why = ": ".join(part for part in (state.reason, state.message) if part)
            item.error = f"{state.name} ended {state.phase}" + (f" ({why})" if why else "") + \
                "; not promoted"
            self.display.say(f"error: {item.error}")
            return
        self.display.say(text)

    def _promote_beside(self, item: Item, slots: threading.BoundedSemaphore) -> threading.Thread:
        """Promote a Complete build in a thread of its own (at most --max-inflight at once)."""
        assert item.build is not None and item.route is not None
        build, route = item.build, item.route
        promoter = self._promoter()

        def promote() -> None:
            with slots:
                try:
                    item.promoted = promoter.promote(
                        route, build.digest, lambda text: self.display.say(f"{build.name}: {text}"))
                except CistreamsError as exc:
                    item.error = f"{build.name}: promotion failed: {exc}"
                    self.display.say(f"error: {item.error}")

        thread = threading.Thread(target=promote, daemon=True, name=f"promote-{build.name}")
        thread.start()
        return thread


def _meta(obj: dict[str, object]) -> dict[str, object]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _progress(started: list[Item], began: float, timeout: float) -> str:
    """The status line: how many builds are where, and the time against the timeout."""
    counts: dict[str, int] = {}
    for item in started:
        phase = item.build.phase if item.build else "New"
        counts[phase] = counts.get(phase, 0) + 1
    done = sum(n for phase, n in counts.items() if phase in builds.TERMINAL)
    parts = ", ".join(f"{n} {phase}" for phase, n in sorted(counts.items()))
    elapsed = tables.duration(time.monotonic() - began)
    return f"{done} of {len(started)} builds done ({parts}); {elapsed} of " \
           f"{tables.duration(timeout)}"


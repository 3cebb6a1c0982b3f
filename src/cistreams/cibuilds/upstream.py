"""check-upstream: what CI serves for each entry, truthfully, and the QCI tags synced to it.

For each selected entry with a transform or `mirror: true`:
- its imagestream tag (`upstream_image`, `.test` appended in live-test mode), read from its
  ImageStream (one GET per imagestream, however many tags it holds): OK when it names the
  QCI repository or its proxy by digest with `referencePolicy: Source`; WARNING for any
  other reference or policy (doozer 2026 also flagged the proxy reference its own verbs
  write, art-tools PR 3416); ERROR when the tag or the imagestream is missing; SKIP when
  `upstream_image` is outside the CI registry;
- with a transform, its QCI tag `<qci-repo>:art-builder-MAJOR.MINOR-TAG`: ERROR when it
  holds no image; when the imagestream tag names another digest, both images are preserved
  and the tag pointed at `<qci-proxy>@<digest>` (doozer's sync, which the job relies on),
  SYNCED (NOT SYNCED with --dry-run, which writes nothing); the tag's check is made after
  the sync, on what the imagestream then says.
Then the group's BuildConfigs with their last builds (phase, age, duration): one LIST of
each. The run fails (exit 1) when any ERROR remains.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cistreams import options
from cistreams.builddata.model import Entry
from cistreams.cibuilds import qci, selection
from cistreams.cibuilds.display import Display
from cistreams.cluster import builds, imagestreams
from cistreams.cluster.api import Api
from cistreams.errors import CistreamsError, Problems
from cistreams.registry.refs import parse
from cistreams.registry.run import in_order
from cistreams.registry.skopeo import Skopeo
from cistreams.render.names import GROUP_LABEL, NAMESPACE

OK, WARNING, ERROR, SKIP, SYNCED, NOT_SYNCED = (
    "OK", "WARNING", "ERROR", "SKIP", "SYNCED", "NOT SYNCED")
ISTAG, QCI_IMAGE = "imagestream tag", "QCI image"
LEGACY_CI_REGISTRY = "registry.svc.ci.openshift.org"  # doozer still accepts it


@dataclass(frozen=True)
class Request:
    """Everything `check-upstream` was asked to do."""

    source: options.Source
    streams: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    live_test: bool = False
    dry_run: bool = False
    hosts: qci.Hosts = field(default_factory=qci.Hosts)
    registry_auth: Path | None = None
    registry_certs: Path | None = None
    connection: options.ConnectionOptions = field(default_factory=options.ConnectionOptions)
    as_user: str | None = None


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    entry: str
    what: str  # ISTAG or QCI_IMAGE
    status: str
    subject: str  # NAMESPACE/IMAGESTREAM:TAG, or the QCI pullspec
    detail: str


@dataclass(frozen=True)
class LastBuild:
    """A BuildConfig of the group and its newest build."""

    buildconfig: str
    build: builds.BuildState | None


@dataclass
class Report:
    """Everything check-upstream found."""

    checks: list[Check] = field(default_factory=list)
    buildconfigs: list[LastBuild] = field(default_factory=list)
    requests: int = 0
    registry_runs: int = 0
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        """Exit 0: no ERROR."""
        return all(check.status != ERROR for check in self.checks)

    def counts(self) -> dict[str, int]:
        """How many checks have each status."""
        counted = dict.fromkeys((OK, WARNING, ERROR, SKIP, SYNCED, NOT_SYNCED), 0)
        for check in self.checks:
            counted[check.status] += 1
        return counted


@dataclass(frozen=True)
class _Target:
    """One entry to check: its imagestream tag (None: outside the CI registry)."""

    entry: Entry
    upstream: str
    route: qci.Route | None  # the imagestream tag and, with a transform, the QCI tag
    problem: str = ""  # why its upstream_image cannot be checked


def check_upstream(request: Request, problems: Problems, display: Display) -> Report:
    """The checks of the module doc; raises CistreamsError on a mistake in the build data
    or a refused list."""
    from cistreams.cluster.connection import connect

    chosen = selection.load(request.source, request.streams, request.images, request.live_test,
                            problems)
    targets = [_target(e, chosen, request.hosts) for e in chosen.entries
               if (e.transform or e.mirror.enabled) and e.upstream_image]
    tool = Skopeo(authfile=request.registry_auth, certs_dir=request.registry_certs)
    api = connect(request.connection, request.as_user)
    report, began = Report(), time.monotonic()
    try:
        streams = _read_imagestreams(api, targets, request.connection.max_inflight)
        promoter = qci.Promoter(tool, _patcher(api), request.dry_run)
        for target in targets:
            report.checks.extend(_check(target, streams, tool, promoter, display))
        report.buildconfigs = _last_builds(api, chosen.label)
    finally:
        api.client.close()
        report.requests, report.registry_runs = api.requests, tool.runs
        report.elapsed = time.monotonic() - began
    return report


def _target(entry: Entry, chosen: selection.Selection, hosts: qci.Hosts) -> _Target:
    upstream = entry.upstream_image or ""
    try:
        ref = parse(upstream)
    except ValueError as exc:
        return _Target(entry, upstream, None, f"upstream_image '{upstream}': {exc}")
    if ref.host not in (hosts.ci_registry, LEGACY_CI_REGISTRY):
        return _Target(entry, upstream, None)
    namespace, _, imagestream = ref.repository.rpartition("/")
    tag = (ref.tag or "") + (selection.LIVE_TEST_SUFFIX if chosen.live_test else "")
    if not namespace or "/" in namespace or not ref.tag:
        return _Target(entry, upstream, None, f"upstream_image '{upstream}' is not "
                                              "REGISTRY/NAMESPACE/IMAGESTREAM:TAG")
    qci_tag = f"{qci.GC_PREFIX}{chosen.major}.{chosen.minor}-{tag}"
    try:
        return _Target(entry, upstream, qci.route(qci_tag, namespace, imagestream, tag, hosts))
    except ValueError as exc:
        return _Target(entry, upstream, None, f"upstream_image '{upstream}': {exc}")


Streams = dict[tuple[str, str], dict[str, Any] | str]  # the ImageStream, or why it is not there


def _read_imagestreams(api: Api, targets: list[_Target], inflight: int) -> Streams:
    """One GET per ImageStream the targets name, side by side."""
    wanted = sorted({(t.route.namespace, t.route.imagestream) for t in targets if t.route})
    read: Streams = {}

    def get(key: tuple[str, str]) -> tuple[tuple[str, str], dict[str, Any] | str]:
        answer = api.get(imagestreams.path(*key))
        if answer.ok:
            return key, answer.body
        if answer.status == 404:
            return key, f"imagestream {key[0]}/{key[1]} does not exist"
        return key, f"cannot read imagestream {key[0]}/{key[1]}: HTTP {answer.status}: " \
                    f"{answer.reason}"

    in_order(wanted, get, inflight, lambda done: read.__setitem__(*done))
    return read


def _patcher(api: Api) -> qci.Patch:
    def patch(namespace: str, imagestream: str, tag: str, pullspec: str) -> str:
        return imagestreams.point_tag(api, namespace, imagestream, tag, pullspec)

    return patch


def _check(target: _Target, streams: Streams, tool: Skopeo, promoter: qci.Promoter,
           display: Display) -> list[Check]:
    """The checks of one entry, QCI first (a sync changes what the tag then says)."""
    name = target.entry.name
    if target.problem:
        return [Check(name, ISTAG, ERROR, target.upstream, target.problem)]
    route = target.route
    if route is None:
        return [Check(name, ISTAG, SKIP, target.upstream,
                      "not an OpenShift imagestream target (outside the CI registry)")]
    found: list[Check] = []
    if target.entry.transform:
        found.append(_check_qci(name, route, streams, tool, promoter, display))
    found.insert(0, _check_tag(name, route, streams.get((route.namespace, route.imagestream))))
    return found


def tag_of(stream: dict[str, Any] | str | None, tag: str) -> dict[str, Any] | None:
    """The `spec.tags` item named `tag`, or None."""
    if not isinstance(stream, dict):
        return None
    for item in (stream.get("spec") or {}).get("tags") or []:
        if isinstance(item, dict) and item.get("name") == tag:
            return item
    return None


def _check_tag(name: str, route: qci.Route, stream: dict[str, Any] | str | None) -> Check:
    subject = route.istag
    if isinstance(stream, str) or stream is None:
        return Check(name, ISTAG, ERROR, subject, str(stream or "not read"))
    item = tag_of(stream, route.tag)
    if item is None:
        return Check(name, ISTAG, ERROR, subject, "the imagestream tag does not exist")
    source = item.get("from") or {}
    reference = str(source.get("name") or "")
    policy = str((item.get("referencePolicy") or {}).get("type") or "")
    repo, _, digest = reference.partition("@")
    by_digest = source.get("kind") == "DockerImage" and re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
    expected = {route.qci.host + "/" + route.qci.repository, route.proxy}
    if not (by_digest and repo in expected):
        return Check(name, ISTAG, WARNING, subject, f"references {source.get('kind')} "
                     f"{reference or '(nothing)'}; expected {' or '.join(sorted(expected))} "
                     "by digest")
    if policy != "Source":
        return Check(name, ISTAG, WARNING, subject, f"{reference} with referencePolicy "
                     f"{policy or '(none)'}; expected Source")
    return Check(name, ISTAG, OK, subject, f"{reference} (referencePolicy Source)")


def _check_qci(name: str, route: qci.Route, streams: Streams, tool: Skopeo,
               promoter: qci.Promoter, display: Display) -> Check:
    subject = str(route.qci)
    try:
        digest = tool.digest(route.qci)
    except CistreamsError as exc:
        return Check(name, QCI_IMAGE, ERROR, subject, str(exc))
    if digest is None:
        return Check(name, QCI_IMAGE, ERROR, subject, "the QCI image does not exist")
    key = (route.namespace, route.imagestream)
    item = tag_of(streams.get(key), route.tag)
    named = str(((item or {}).get("from") or {}).get("name") or "")
    if named.partition("@")[2] == digest:
        return Check(name, QCI_IMAGE, OK, subject, f"{digest}; the imagestream tag names it")
    lines: list[str] = []
    try:
        promoter.sync(route, digest, lines.append)
    except CistreamsError as exc:
        return Check(name, QCI_IMAGE, ERROR, subject, f"{digest}; sync failed: {exc}")
    finally:
        for line in lines:
            display.say(f"{name}: {line}")
    if promoter.dry_run:
        return Check(name, QCI_IMAGE, NOT_SYNCED, subject, f"{digest}; the imagestream tag "
                     f"names {named or 'nothing'} (dry run: nothing changed)")
    stream = streams.get(key)
    if isinstance(stream, dict):  # what the patch made of it, for the tag's own check
        _set_tag(stream, imagestreams.tag_reference(route.tag, route.reference(digest)))
    return Check(name, QCI_IMAGE, SYNCED, subject, f"{digest}; the imagestream tag pointed at "
                 f"{route.reference(digest)} (it named {named or 'nothing'})")


def _set_tag(stream: dict[str, Any], wanted: dict[str, Any]) -> None:
    tags = stream.setdefault("spec", {}).setdefault("tags", [])
    for index, item in enumerate(tags):
        if isinstance(item, dict) and item.get("name") == wanted["name"]:
            tags[index] = wanted
            return
    tags.append(wanted)


def _last_builds(api: Api, label: str) -> list[LastBuild]:
    """The group's BuildConfigs (one LIST) and their newest builds (one LIST)."""
    selector = f"{GROUP_LABEL}={label}"
    listed = builds.list_buildconfigs(api, NAMESPACE, selector)
    states, _ = builds.list_builds(api, NAMESPACE, selector)
    latest = builds.latest_by_buildconfig(states)
    names = sorted(str((bc.get("metadata") or {}).get("name")) for bc in listed)
    return [LastBuild(name, latest.get(name)) for name in names]


def age(state: builds.BuildState, now: datetime | None = None) -> float | None:
    """Seconds since the build ended (since it was created, while it runs)."""
    when = builds.parse_time(state.completed) or builds.parse_time(state.created)
    if when is None:
        return None
    return max(0.0, ((now or datetime.now(UTC)) - when).total_seconds())

"""The mirror plan: which copies and imagestream patches the build data asks for (pure).

For each selected entry with `mirror: true` (every selected entry with --force), as doozer's
`images:streams mirror` in 2026:
- the source is `image` when it is a pullspec (more than two `/`-separated parts), else a
  brew name resolved through group.yml's `urls.brew_image_host` / `urls.brew_image_namespace`
  (`openshift/golang-builder:v1` -> `HOST/NAMESPACE/openshift-golang-builder:v1`);
- the main destination is `upstream_image_base` when set, else `upstream_image`, with
  `.test` appended in live-test mode; `mirror_manifest_list: true` copies the whole manifest
  list, otherwise the linux/amd64 image (what `oc image mirror` does without flags);
- with `upstream_image_base` and `aarch64` among the group's arches, the linux/arm64 image
  goes to `<main destination>-arm64` too;
- then `upstream_image` to each `upstream_image_mirror` destination;
- a destination in the CI registry (`REGISTRY/NS/IS:TAG`) is not pushed there: the image
  goes to the floating QCI tag `art__NS_IS_TAG`, then by its digest to the GC tag
  `art__<16 hex of the digest>`, then the imagestream tag NS/IS:TAG is pointed at
  `<qci proxy>@<digest>`.
Each destination (a `Target`) keeps the name --only-if-missing reads: the one before `.test`
is appended, as doozer checks it. Mistakes are file:line errors; an image-metadata entry
without `image` is a warning (its source is ART's latest build, which only ART's build
database knows).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cistreams.errors import Location, Problems
from cistreams.registry.refs import Pullspec, is_tag, parse, parse_repository
from cistreams.registry.skopeo import AMD64, ARM64, KEEP_LIST, Selection

if TYPE_CHECKING:  # the types only: --help must not load the build-data stage
    from cistreams.builddata.model import Entry, Group, GroupMirror

CI_REGISTRY = "registry.ci.openshift.org"
QCI_REPO = "quay.io/openshift/ci"
QCI_PROXY = "quay-proxy.ci.openshift.org/openshift/ci"
LIVE_TEST_SUFFIX = ".test"
ARM_SUFFIX = "-arm64"


@dataclass(frozen=True)
class Settings:
    """The options that shape the plan (hosts default to ART's)."""

    live_test: bool = False
    force: bool = False
    ci_registry: str = CI_REGISTRY
    qci_repo: str = QCI_REPO
    qci_proxy: str = QCI_PROXY


@dataclass(frozen=True)
class Copy:
    """Copy `source` to `dest`, taking `selection` of a manifest list."""

    source: Pullspec
    dest: Pullspec
    selection: Selection


@dataclass(frozen=True)
class GcTag:
    """Tag what the previous copy pushed to the QCI repository, by digest, as
    `art__<16 hex>`, so that QCI's garbage collection keeps it."""

    repository: Pullspec

    def dest(self, digest: str) -> Pullspec:
        """The GC tag of `digest`."""
        return self.repository.with_tag(gc_tag(digest))


@dataclass(frozen=True)
class TagPatch:
    """Point imagestream tag NAMESPACE/IMAGESTREAM:TAG at `<proxy>@<digest of the copy>`."""

    namespace: str
    imagestream: str
    tag: str
    proxy: str

    def reference(self, digest: str) -> str:
        """The pullspec the tag will name."""
        return f"{self.proxy}@{digest}"

    def __str__(self) -> str:
        return f"{self.namespace}/{self.imagestream}:{self.tag}"


Step = Copy | GcTag | TagPatch


@dataclass(frozen=True)
class Target:
    """One destination and the steps that fill it, in order."""

    dest: str  # as the build data names it, `.test` included
    check: Pullspec  # what --only-if-missing reads
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class EntryPlan:
    """Everything one entry asks for: main, arm64, then each upstream_image_mirror."""

    name: str
    location: Location
    targets: tuple[Target, ...]


def gc_tag(digest: str) -> str:
    """`art__` and the first 16 hex digits of a sha256 digest."""
    return f"art__{digest[7:23]}"


def floating_tag(namespace: str, imagestream: str, tag: str) -> str:
    """The QCI tag that stands for imagestream tag NAMESPACE/IMAGESTREAM:TAG."""
    return "art__" + re.sub(r"[:/]", "_", f"{namespace}/{imagestream}:{tag}")


def resolve_source(image: str, group: GroupMirror) -> str | None:
    """`image` as a pullspec, as doozer resolves brew names; None when the group has no
    brew_image_host to resolve a short name with."""
    if len(image.split("/")) > 2:
        return image  # a pullspec already, like quay.io/centos/centos:stream9
    host, namespace = group.brew_image_host, group.brew_image_namespace
    if host is None:
        return None
    if host in image:
        url = image
    elif namespace:
        url = f"{host}/{namespace}/{image.replace('/', '-')}"
    else:
        url = f"{host}/{image}"
    return url if ":" in url.rsplit("/", 1)[-1] else f"{url}:latest"


def plan(group: Group, entries: Sequence[Entry], settings: Settings, problems: Problems,
         named: bool = False) -> list[EntryPlan]:
    """The plan of every entry to mirror, in the order given; `named` when the entries
    were chosen with --stream/--image (then --force makes a missing upstream_image an
    error, as for `mirror: true`)."""
    plans = []
    for entry in entries:
        if not (entry.mirror.enabled or settings.force):
            continue
        if entry.upstream_image is None:
            if entry.mirror.enabled or named:
                problems.error("needed to mirror this entry (the destination)",
                               entry.where("upstream_image"))
            continue  # with --force alone: not an entry that goes upstream at all
        found = _entry_plan(group, entry, settings, problems)
        if found is not None:
            plans.append(found)
    return plans


def _entry_plan(group: Group, entry: Entry, settings: Settings,
                problems: Problems) -> EntryPlan | None:
    source = _source(group, entry, problems)
    errors = len(problems.errors)
    base_key = "upstream_image_base" if entry.upstream_image_base else "upstream_image"
    base = entry.upstream_image_base or entry.upstream_image or ""
    suffix = LIVE_TEST_SUFFIX if settings.live_test else ""
    build = _Builder(settings, problems)
    main = KEEP_LIST if entry.mirror.manifest_list else AMD64
    targets = [build.target(source, base + suffix, base, main, entry.where(base_key))]
    arches = group.mirror.arches if group.mirror else ()
    if entry.upstream_image_base and "aarch64" in arches:
        targets.append(build.target(source, base + suffix + ARM_SUFFIX, base + ARM_SUFFIX, ARM64,
                                    entry.where(base_key)))
    # without upstream_image_base, upstream_image was the main destination: read (and any
    # mistake reported) already
    upstream = pullspec_at(entry.upstream_image or "", entry.where("upstream_image"), problems) \
        if entry.upstream_image_base and entry.mirror.extra_destinations \
        else parse_or_none(entry.upstream_image or "")
    for extra in entry.mirror.extra_destinations:
        targets.append(build.target(upstream, extra, extra, AMD64,
                                    entry.where("upstream_image_mirror")))
    if source is None or len(problems.errors) > errors:
        return None
    return EntryPlan(entry.name, entry.location, tuple(t for t in targets if t is not None))


def _source(group: Group, entry: Entry, problems: Problems) -> Pullspec | None:
    image = entry.mirror.image
    if image is None:
        if entry.kind == "image":
            problems.warn("not mirrored: without `image` in ci_alignment the source is ART's "
                          "latest build of the image, which only ART's build database knows",
                          entry.where("image"))
        else:
            problems.error("needed to mirror this entry (the source image)", entry.where("image"))
        return None
    from cistreams.builddata.model import GroupMirror  # here: see the imports above

    mirror = group.mirror or GroupMirror(None, None, (), group.location)
    resolved = resolve_source(image, mirror)
    if resolved is None:
        problems.error(f"urls.brew_image_host is needed to resolve image '{image}' of "
                       f"{entry.name}", mirror.location)
        return None
    return pullspec_at(resolved, entry.where("image"), problems)


class _Builder:
    """Turns destination names into Targets, recording mistakes at `where`."""

    def __init__(self, settings: Settings, problems: Problems) -> None:
        self.settings = settings
        self.problems = problems

    def target(self, source: Pullspec | None, dest_text: str, check_text: str,
               selection: Selection, where: Location) -> Target | None:
        dest, check = pullspec_at(dest_text, where, self.problems), parse_or_none(check_text)
        if dest is None or check is None or source is None:
            return None
        if dest.digest:
            self.problems.error(f"'{dest_text}': a destination needs a tag, not a digest", where)
            return None
        if dest.host != self.settings.ci_registry:
            return Target(dest_text, check, (Copy(source, dest, selection),))
        steps = self._qci_route(source, dest, selection, where)
        return Target(dest_text, check, steps) if steps else None

    def _qci_route(self, source: Pullspec, dest: Pullspec, selection: Selection,
                   where: Location) -> tuple[Step, ...]:
        path = dest.repository.split("/")
        if len(path) != 2 or dest.tag is None:
            self.problems.error(f"'{dest}': a destination in {self.settings.ci_registry} must "
                                "be REGISTRY/NAMESPACE/IMAGESTREAM:TAG", where)
            return ()
        namespace, imagestream = path
        floating = floating_tag(namespace, imagestream, dest.tag)
        if not is_tag(floating):
            self.problems.error(f"'{dest}': its QCI tag {floating} is longer than the 128 "
                                "characters a tag may have", where)
            return ()
        qci = parse_repository(self.settings.qci_repo)
        return (Copy(source, qci.with_tag(floating), selection), GcTag(qci),
                TagPatch(namespace, imagestream, dest.tag, self.settings.qci_proxy))


def pullspec_at(text: str, where: Location, problems: Problems) -> Pullspec | None:
    """A pullspec, or None with the mistake recorded at `where`."""
    try:
        return parse(text)
    except ValueError as exc:
        problems.error(f"'{text}': {exc}", where)
        return None


def parse_or_none(text: str) -> Pullspec | None:
    """A pullspec, or None when it is not one (the mistake is reported elsewhere)."""
    try:
        return parse(text)
    except ValueError:
        return None

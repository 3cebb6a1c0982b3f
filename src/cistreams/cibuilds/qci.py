"""The QCI route of one BuildConfig: keep what CI serves before a build, promote what the
build pushed after it (doozer's start-builds and check-upstream, 2026).

A BuildConfig labelled `art-builder-qci-tag: T` pushes to `<qci-repo>:T`; its annotations
name the CI imagestream tag NS/IS:TAG the image is promoted to, which the CI registry serves
as `<ci-registry>/NS/IS:TAG`. Every image that CI may still pull is kept from QCI's garbage
collection under the GC-prevention tag `art-builder-<16 hex of its digest>`.

- `preserve`, before the build: the image the CI tag serves now, by digest, to its GC tag;
  then, when the QCI tag holds an image, that one to its GC tag and the imagestream tag
  pointed at `<qci-proxy>@<digest>`; when it holds none, the QCI tag bootstrapped from what
  CI serves (copied to it by digest, then the tag pointed at it); with neither, the build
  will create the first image.
- `promote`, after a Complete build: the digest it pushed (its status, else the QCI tag's)
  to its GC tag, then the imagestream tag pointed at it.

Copies keep manifest lists and digests as they are (so the digest a tag is pointed at is the
digest that was copied), and the imagestream patch is mirror's guarded one. With `dry_run`
the registries are read and nothing is written: each write is said as `would ...`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cistreams.errors import CistreamsError
from cistreams.registry.plan import CI_REGISTRY, QCI_PROXY, QCI_REPO
from cistreams.registry.refs import Pullspec, is_tag, parse, parse_repository
from cistreams.registry.skopeo import KEEP_LIST, Skopeo

QCI_LABEL = "art-builder-qci-tag"
NAMESPACE_ANNOTATION = "art-builder-imagestream-namespace"
NAME_ANNOTATION = "art-builder-imagestream-name"
TAG_ANNOTATION = "art-builder-imagestream-tag"
GC_PREFIX = "art-builder-"

Say = Callable[[str], None]
# Points NAMESPACE/IMAGESTREAM:TAG at a pullspec; what it did (patched, added, unchanged).
Patch = Callable[[str, str, str, str], str]


def gc_tag(digest: str) -> str:
    """`art-builder-` and the first 16 hex digits of a sha256 digest."""
    return f"{GC_PREFIX}{digest[7:23]}"


@dataclass(frozen=True)
class Hosts:
    """Where the route's images live (ART's defaults, or test registries)."""

    ci_registry: str = CI_REGISTRY
    qci_repo: str = QCI_REPO
    qci_proxy: str = QCI_PROXY


@dataclass(frozen=True)
class Route:
    """Where one BuildConfig's image is pushed, and the CI imagestream tag it is promoted to."""

    qci: Pullspec  # the floating QCI tag the build pushes to
    current: Pullspec  # the imagestream tag, as the CI registry serves it
    namespace: str
    imagestream: str
    tag: str
    proxy: str

    @property
    def istag(self) -> str:
        """NAMESPACE/IMAGESTREAM:TAG."""
        return f"{self.namespace}/{self.imagestream}:{self.tag}"

    def gc(self, digest: str) -> Pullspec:
        """The GC-prevention tag of `digest` in the QCI repository."""
        return self.qci.with_tag(gc_tag(digest))

    def reference(self, digest: str) -> str:
        """What the imagestream tag names: the image by digest, through the proxy."""
        return f"{self.proxy}@{digest}"


def route(qci_tag: str, namespace: str, imagestream: str, tag: str, hosts: Hosts) -> Route:
    """The route of a QCI tag and an imagestream tag; ValueError when a name cannot be
    part of a pullspec."""
    if not is_tag(qci_tag):
        raise ValueError(f"'{qci_tag}' is not a valid image tag")
    current = parse(f"{hosts.ci_registry}/{namespace}/{imagestream}:{tag}")
    return Route(parse_repository(hosts.qci_repo).with_tag(qci_tag), current, namespace,
                 imagestream, tag, hosts.qci_proxy)


def route_of(buildconfig: dict[str, object], hosts: Hosts) -> Route | None:
    """The route of a live BuildConfig, None without the QCI label (the imagestream target).
    Raises CistreamsError when the label is there but an annotation is not."""
    meta = buildconfig.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    label = labels.get(QCI_LABEL)
    if not label:
        return None
    keys = (NAMESPACE_ANNOTATION, NAME_ANNOTATION, TAG_ANNOTATION)
    absent = [key for key in keys if not annotations.get(key)]
    name = meta.get("name")
    if absent:
        raise CistreamsError(f"{name}: has the {QCI_LABEL} label but not the annotation "
                             f"{', '.join(absent)}, so its imagestream tag is unknown; apply "
                             "it again with gen-buildconfigs --apply")
    try:
        namespace, imagestream, tag = (str(annotations[key]) for key in keys)
        return route(str(label), namespace, imagestream, tag, hosts)
    except ValueError as exc:
        raise CistreamsError(f"{name}: its QCI label and annotations make no pullspec: "
                             f"{exc}") from None


@dataclass
class Promoter:
    """Registry copies and imagestream patches of the route (see the module doc)."""

    tool: Skopeo
    patch: Patch
    dry_run: bool = False

    def preserve(self, route: Route, say: Say) -> None:
        """Before a build; raises CistreamsError (RegistryError) when a read or write fails."""
        current = self._keep_current(route, say)
        digest = self.tool.digest(route.qci)
        if digest:
            self._keep(route, route.qci, digest, say)
            self._point(route, digest, say)
        elif current:
            self._copy(route.current.with_digest(current), route.qci, say, "bootstrapped")
            self._point(route, current, say)
        else:
            say(f"{route.qci}: no image yet; the build will create it")

    def sync(self, route: Route, digest: str, say: Say) -> None:
        """Point the imagestream tag at the QCI image `digest`, preserving both images
        first (check-upstream, when the tag names another image)."""
        self._keep_current(route, say)
        self._keep(route, route.qci, digest, say)
        self._point(route, digest, say)

    def _keep_current(self, route: Route, say: Say) -> str | None:
        """What the CI tag serves now to its GC tag; its digest (None: it serves nothing)."""
        current = self.tool.digest(route.current)
        if current:
            self._keep(route, route.current, current, say)
        else:
            say(f"{route.current}: no image yet, nothing to preserve")
        return current

    def promote(self, route: Route, digest: str | None, say: Say) -> str:
        """After a Complete build that pushed `digest` (None: read the QCI tag's); the
        digest the imagestream tag now names."""
        found = digest or self.tool.digest(route.qci)
        if not found:
            raise CistreamsError(f"{route.qci} holds no image after the build")
        self._keep(route, route.qci, found, say)
        self._point(route, found, say)
        return found

    def _keep(self, route: Route, source: Pullspec, digest: str, say: Say) -> None:
        """`source`'s image, by digest, to its GC-prevention tag in the QCI repository."""
        self._copy(source.with_digest(digest), route.gc(digest), say, "preserved")

    def _copy(self, source: Pullspec, dest: Pullspec, say: Say, verb: str) -> None:
        if self.dry_run:
            say(f"would copy {source} -> {dest}")
            return
        pushed = self.tool.copy(source, dest, KEEP_LIST)
        say(f"{verb} {source} -> {dest}")
        if pushed != source.digest:
            raise CistreamsError(f"copied {source} to {dest}, but the registry holds {pushed}")

    def _point(self, route: Route, digest: str, say: Say) -> None:
        reference = route.reference(digest)
        if self.dry_run:
            say(f"would point imagestream tag {route.istag} at {reference}")
            return
        done = self.patch(route.namespace, route.imagestream, route.tag, reference)
        say(f"{done} imagestream tag {route.istag} -> {reference}")

"""Image references (pullspecs) and how they map onto OpenShift ImageStreamTags."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The distribution reference grammar, reduced to what a pullspec in build data can hold.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
_REFERENCE = re.compile(
    rf"^(?:(?P<registry>{_HOST}(?::[0-9]+)?)/)??"
    rf"(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$"
)


class ImageRefError(ValueError):
    """A pullspec that is malformed or that a BuildConfig cannot express."""


@dataclass(frozen=True)
class ImageRef:
    """A pullspec split the way a BuildConfig needs it: registry, namespace, stream, tag."""

    registry: str
    namespace: str
    name: str
    tag: str

    @property
    def istag(self) -> str:
        """`name:tag`, the ImageStreamTag name."""
        return f"{self.name}:{self.tag}"

    def with_tag_suffix(self, suffix: str) -> ImageRef:
        """The same reference with `suffix` appended to the tag (live-test mode's `.test`)."""
        return ImageRef(self.registry, self.namespace, self.name, self.tag + suffix)


def parse(pullspec: str) -> ImageRef:
    """Parse a pullspec with the real grammar and require `[registry/]namespace/name:tag`."""
    match = _REFERENCE.match(pullspec)
    if match is None:
        raise ImageRefError(f"'{pullspec}' is not a valid image reference")
    registry, path = match["registry"] or "", match["path"]
    if not registry and "/" in path:
        first, rest = path.split("/", 1)
        if "." in first or first == "localhost":
            registry, path = first, rest
    if match["digest"]:
        raise ImageRefError(
            f"'{pullspec}' names a digest; an ImageStreamTag needs a tag (name:tag)"
        )
    if not match["tag"]:
        raise ImageRefError(f"'{pullspec}' has no tag; write it as [registry/]namespace/name:tag")
    parts = path.split("/")
    if len(parts) != 2:
        raise ImageRefError(
            f"'{pullspec}' must have exactly one namespace before the image name "
            "(registry/namespace/name:tag), because it maps to an ImageStreamTag"
        )
    return ImageRef(registry, parts[0], parts[1], match["tag"])


def parse_doozer(pullspec: str) -> ImageRef:
    """Split a pullspec exactly as doozer 2020 did: `rsplit('/', 2)` then `split(':')`.

    The registry host is kept (doozer discarded it) but nothing else differs, so the
    namespace is the path segment before the last one, whatever comes before it.
    """
    segments = pullspec.rsplit("/", maxsplit=2)
    if len(segments) != 3:
        raise ImageRefError(
            f"'{pullspec}' must look like registry/namespace/name:tag (doozer needs two '/')"
        )
    registry, namespace, istag = segments
    parts = istag.split(":")
    if len(parts) != 2 or "@" in istag:
        raise ImageRefError(f"'{pullspec}' must end in name:tag (exactly one ':' and no digest)")
    return ImageRef(registry, namespace, parts[0], parts[1])

"""The kinds cistreams writes to a cluster: the one registry of their API paths and names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cistreams.render.names import GROUP_LABEL


@dataclass(frozen=True)
class Kind:
    """One namespaced resource type, as the API server serves it."""

    group: str  # "" for the core group
    version: str
    kind: str
    plural: str

    @property
    def api_version(self) -> str:
        """`group/version`, or just `version` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def display(self) -> str:
        """The resource as kubectl names it in its reports: `buildconfig.build.openshift.io`."""
        singular = self.kind.lower()
        return f"{singular}.{self.group}" if self.group else singular

    def collection_path(self, namespace: str) -> str:
        """The URL path of the resource's collection in `namespace`."""
        prefix = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        return f"{prefix}/namespaces/{namespace}/{self.plural}"

    def path(self, namespace: str, name: str) -> str:
        """The URL path of one object."""
        return f"{self.collection_path(namespace)}/{name}"


BUILDCONFIG = Kind("build.openshift.io", "v1", "BuildConfig", "buildconfigs")
DAEMONSET = Kind("apps", "v1", "DaemonSet", "daemonsets")
KINDS = {(k.api_version, k.kind): k for k in (BUILDCONFIG, DAEMONSET)}


@dataclass(frozen=True)
class Ref:
    """One object: its kind, namespace and name."""

    kind: Kind
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind.display}/{self.name}"

    @property
    def path(self) -> str:
        """The object's URL path."""
        return self.kind.path(self.namespace, self.name)


def ref_of(obj: dict[str, Any]) -> Ref:
    """The Ref of a generated object; only the kinds of KINDS can be applied."""
    key = (obj.get("apiVersion"), obj.get("kind"))
    kind = KINDS.get(key)  # type: ignore[arg-type]
    if kind is None:
        known = ", ".join(f"{v} {k}" for v, k in KINDS)
        raise ValueError(f"cannot apply {key[0]} {key[1]} (known: {known})")
    metadata = obj["metadata"]
    return Ref(kind, metadata["namespace"], metadata["name"])


def group_of(objects: Sequence[dict[str, Any]]) -> tuple[str, str] | None:
    """The (namespace, group label) every object shares, or None when they do not share
    one (or have no group label)."""
    pairs = {(o["metadata"]["namespace"], o["metadata"].get("labels", {}).get(GROUP_LABEL))
             for o in objects}
    if len(pairs) != 1:
        return None
    namespace, label = next(iter(pairs))
    return None if label is None else (namespace, label)

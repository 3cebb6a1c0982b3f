"""Pruning: deleting the group's objects that the build data no longer renders.

Only ever a BuildConfig or DaemonSet (the kinds of `kinds.KINDS`), in the one namespace the
render writes to, whose `art-builder-group` label equals the render's own, and whose name the
render does not contain. Each delete carries the uid that was listed, so an object deleted
and recreated meanwhile is left alone. The caller decides when pruning may run at all (a
whole-group render, after a clean apply, with no warning about what it renders unless
--prune-despite-warnings: `held_back`) and how many deletes are too many (`check_count`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cistreams.cluster import kinds
from cistreams.cluster.api import Api, ListRefused
from cistreams.cluster.kinds import KINDS, Ref, ref_of
from cistreams.errors import CistreamsError
from cistreams.render.names import GROUP_LABEL

OVERRIDE = "--prune-despite-warnings"


def held_back(warnings: int, override: bool) -> str | None:
    """Why --prune must not run, in one line, or None. A run with any warning about the
    build data it renders never prunes unless the user says so (OVERRIDE): a warning may
    mean that an entry was dropped, and its objects would then look stale."""
    if not warnings or override:
        return None
    return (f"not pruning: the build data gave {warnings} warning(s) (shown here), and an entry "
            f"dropped by one would look stale; fix them, or pass {OVERRIDE}")


class TooMany(CistreamsError):
    """--prune would delete more objects than --max-prune allows; nothing was done. The
    objects are listed (`details`) as what would be pruned, not as errors."""

    def __init__(self, stale: Sequence[Stale], limit: int) -> None:
        super().__init__(f"--prune would delete {len(stale)} objects, more than --max-prune "
                         f"{limit}; nothing was applied or deleted. If the build data is right, "
                         "rerun with a higher --max-prune")
        self.details = tuple(f"  would prune {item.ref}" for item in stale)


def check_count(stale: Sequence[Stale], limit: int) -> None:
    """Raise TooMany when more than `limit` objects would be pruned."""
    if len(stale) > limit:
        raise TooMany(stale, limit)


@dataclass(frozen=True)
class Stale:
    """A live object of the group that the render no longer contains."""

    ref: Ref
    uid: str
    live: dict[str, Any]


def group_of(objects: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """The (namespace, group label) every rendered object shares."""
    group = kinds.group_of(objects)
    if group is None:
        pairs = {(o["metadata"]["namespace"], o["metadata"].get("labels", {}).get(GROUP_LABEL))
                 for o in objects}
        raise CistreamsError("--prune needs every rendered object in one namespace with one "
                             f"{GROUP_LABEL} label; found {sorted(map(str, pairs))}")
    return group


def find_stale(api: Api, objects: Sequence[dict[str, Any]],
               whole: bool = False) -> list[Stale]:
    """The group's live objects that are not in `objects`, in a stable order: listed as
    metadata (all a delete needs), or `whole` (diff shows them)."""
    namespace, label = group_of(objects)
    keep = {ref_of(o) for o in objects}
    rendered = {ref.kind for ref in keep}
    stale: list[Stale] = []
    for kind in KINDS.values():
        try:
            items = api.get_all(kind.collection_path(namespace), f"{GROUP_LABEL}={label}",
                                metadata_only=not whole)
        except ListRefused:
            if kind in rendered:
                raise
            # A kind the render does not write (DaemonSets with the QCI target): a user who
            # may not list them needs no rights on them, and cannot own one to delete.
            continue
        for item in items:
            metadata = item.get("metadata", {})
            name, uid = metadata.get("name"), metadata.get("uid")
            if not (isinstance(name, str) and name and isinstance(uid, str) and uid):
                continue  # without a name the delete path would be the whole collection's
            ref = Ref(kind, namespace, name)
            # the server filtered already; checking again costs nothing and guards a proxy
            if (metadata.get("namespace") == namespace and ref not in keep
                    and metadata.get("labels", {}).get(GROUP_LABEL) == label):
                stale.append(Stale(ref, uid, item))
    return sorted(stale, key=lambda s: (s.ref.kind.kind, s.ref.name))


def delete(api: Api, stale: Stale, dry_run: bool) -> str:
    """Delete one stale object; its report line."""
    answer = api.delete(stale.ref.path, stale.uid, dry_run)
    suffix = " (server dry run)" if dry_run else ""
    if answer.ok:
        return f"{stale.ref} pruned{suffix}"
    if answer.status == 404:
        return f"{stale.ref} already gone"
    if answer.status == 409:
        return f"{stale.ref} left alone: recreated since it was listed ({answer.reason})"
    raise CistreamsError(f"{stale.ref}: cannot prune: HTTP {answer.status}: {answer.reason}")

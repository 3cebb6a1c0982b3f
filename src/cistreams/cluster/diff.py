"""`cistreams diff`: each live object against what an apply would make it.

The right side is the server's own dry-run result, so defaults, admission and field
ownership are the server's, not a guess. Server-managed fields (managedFields,
resourceVersion, uid, generation, creationTimestamp, status) are left out; an object that
does not exist yet diffs against nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cistreams.cluster import ownership
from cistreams.cluster.api import Api
from cistreams.cluster.apply import Planned, Progress, by_cause, plan, refused, several
from cistreams.cluster.prune import Stale


@dataclass
class DiffReport:
    """The unified diff of every object that would change, and how many would."""

    text: str
    changed: int
    objects: int


def diff(api: Api, objects: Sequence[dict[str, Any]], inflight: int,
         progress: Progress | None = None) -> DiffReport:
    """Plan every object (dry run only) and diff live against the dry-run result."""
    planned = plan(api, objects, inflight, progress, keep_bodies=True)
    failures = refused(planned)
    if failures:
        raise several(f"the server refused {len(failures)} of {len(planned)} objects in a "
                      "dry run", by_cause(failures))
    chunks = [d for d in (_object_diff(p) for p in planned) if d]
    return DiffReport("".join(chunks), len(chunks), len(planned))


def add_removals(report: DiffReport, stale: Sequence[Stale]) -> None:
    """Show each object --prune would delete as a removal, and count it as a change."""
    for item in stale:
        old = _text(item.live)
        lines = difflib.unified_diff(old.splitlines(keepends=True), [],
                                     fromfile=f"live/{item.ref}", tofile=f"pruned/{item.ref}")
        report.text += "".join(lines)
    report.changed += len(stale)
    report.objects += len(stale)


def _object_diff(planned: Planned) -> str:
    assert planned.preview is not None  # refused objects stopped the diff above
    after = planned.preview
    if planned.live is not None and planned.hand_tools:
        after = ownership.drop_hand_tool_map_fields(after, planned.live, planned.desired)
    old = _text(planned.live)
    new = _text(after)
    if old == new:
        return ""
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile=f"live/{planned.ref}", tofile=f"applied/{planned.ref}")
    return "".join(lines)


def _text(obj: dict[str, Any] | None) -> str:
    if obj is None:
        return ""
    from cistreams import yamlio

    text = yamlio.dump_readable([ownership.without_server_fields(obj)])
    return text.removeprefix("---\n")

"""Field ownership (metadata.managedFields): taking objects over from kubectl and hand edits.

Server-side apply records which manager set each field. Objects doozer wrote with `oc apply`
belong to `kubectl-client-side-apply`; a hand edit belongs to `kubectl-edit`, `kubectl-patch`
and the like. Build data is the source of truth, so before applying, the fields of those
hand tools (never their status, and never a controller's fields) are moved into cistreams'
own entry: the apply that follows then sets every field back to the build data and removes
what only the hand tools had added, such as kubectl's last-applied annotation.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from cistreams.cluster.api import FIELD_MANAGER

CLIENT_SIDE_APPLY = "kubectl-client-side-apply"
# Servers older than 1.18 recorded fields set before managedFields existed under this name.
BEFORE_FIRST_APPLY = "before-first-apply"
SERVER_FIELDS = ("managedFields", "resourceVersion", "uid", "generation", "creationTimestamp",
                 "selfLink")


def is_hand_tool(entry: dict[str, Any]) -> bool:
    """True for a managedFields entry written by kubectl/oc by hand (not a controller)."""
    if entry.get("operation") != "Update" or entry.get("subresource"):
        return False
    manager = str(entry.get("manager", ""))
    return (manager in {"kubectl", "oc", BEFORE_FIRST_APPLY}
            or manager.startswith(("kubectl-", "oc-")))


def hand_tools(live: dict[str, Any]) -> list[str]:
    """The hand-tool managers that own fields of `live`, sorted."""
    entries = live.get("metadata", {}).get("managedFields") or []
    return sorted({str(e["manager"]) for e in entries if is_hand_tool(e)})


def takeover_patch(live: dict[str, Any], api_version: str) -> list[dict[str, Any]]:
    """A JSON patch moving the hand tools' fields into cistreams' entry, guarded by the
    resourceVersion the plan saw (a concurrent change makes it fail, not overwrite)."""
    metadata = live["metadata"]
    kept: list[dict[str, Any]] = []
    taken: list[dict[str, Any]] = []
    for entry in copy.deepcopy(metadata.get("managedFields") or []):  # live stays as read
        (taken if is_hand_tool(entry) else kept).append(entry)
    ours = next((e for e in kept if e.get("manager") == FIELD_MANAGER
                 and e.get("operation") == "Apply"), None)
    if ours is None:
        ours = {"manager": FIELD_MANAGER, "operation": "Apply", "apiVersion": api_version,
                "fieldsType": "FieldsV1", "fieldsV1": {}}
        kept.append(ours)
    merged = copy.deepcopy(ours.get("fieldsV1") or {})
    for entry in taken:
        fields = {k: v for k, v in (entry.get("fieldsV1") or {}).items() if k != "f:status"}
        merge_fields(merged, fields)
    ours.update(fieldsV1=merged, time=_now())
    return [{"op": "test", "path": "/metadata/resourceVersion",
             "value": metadata["resourceVersion"]},
            {"op": "replace", "path": "/metadata/managedFields", "value": kept}]


def merge_fields(into: dict[str, Any], other: dict[str, Any]) -> None:
    """Union of two FieldsV1 trees, in place."""
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge_fields(into[key], value)
        elif key not in into:
            into[key] = copy.deepcopy(value)


def without_server_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as a user sees it: no managedFields, resourceVersion, uid, generation,
    creationTimestamp or status."""
    clean = {k: v for k, v in obj.items() if k != "status"}
    metadata = {k: v for k, v in obj.get("metadata", {}).items() if k not in SERVER_FIELDS}
    clean["metadata"] = metadata
    return clean


def ownership(obj: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """managedFields without their timestamps, comparable between two versions."""
    entries = obj.get("metadata", {}).get("managedFields") or []
    return sorted((str(e.get("manager")), str(e.get("operation")), str(e.get("subresource", "")),
                   json.dumps(e.get("fieldsV1"), sort_keys=True)) for e in entries)


def drop_hand_tool_map_fields(preview: dict[str, Any], live: dict[str, Any],
                              desired: dict[str, Any]) -> dict[str, Any]:
    """`preview` (a dry-run result) as the takeover will leave it, for diff: a map field
    that hand tools set, that the build data does not set and no controller owns, is
    removed (labels, annotations, kubectl's last-applied annotation, a hand-set option; the
    server may then default it again). List items are left to the real apply."""
    entries = live.get("metadata", {}).get("managedFields") or []
    taken: dict[str, Any] = {}
    others: dict[str, Any] = {}
    for entry in entries:
        if entry.get("manager") == FIELD_MANAGER:
            continue
        fields = {k: v for k, v in (entry.get("fieldsV1") or {}).items() if k != "f:status"}
        merge_fields(taken if is_hand_tool(entry) else others, fields)
    result = copy.deepcopy(preview)
    _drop(result, taken, others, desired)
    return result


def _drop(obj: dict[str, Any], taken: dict[str, Any], kept: dict[str, Any],
          desired: dict[str, Any]) -> None:
    for key, sub in taken.items():
        name = key[2:]
        if not key.startswith("f:") or name not in obj or (key in kept and not sub):
            continue  # list items ("k:", "v:") are left to the real apply
        wanted = desired.get(name)
        if name not in desired and key not in kept:
            del obj[name]
        elif isinstance(obj[name], dict) and isinstance(sub, dict) and sub:
            below = kept.get(key)
            _drop(obj[name], sub, below if isinstance(below, dict) else {},
                  wanted if isinstance(wanted, dict) else {})


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

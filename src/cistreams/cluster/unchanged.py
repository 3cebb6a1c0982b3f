"""Knowing, without asking the server, that applying an object would change nothing.

Every object cistreams applies carries an annotation with a hash of what was applied. When a
live object carries the hash of what we would apply now, no hand tool owns any of its fields,
no other applier owns any, and no other manager (a controller) owns a field the build data
sets, then a server-side apply would leave it exactly as it is: the plan skips its dry run.
On a re-apply of an unchanged group that turns one dry-run request per object into two list
requests in all. Whenever anything is in doubt, the answer is "not certain" and the object
gets its dry run as usual.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cistreams.cluster import ownership
from cistreams.cluster.api import FIELD_MANAGER

APPLIED_ANNOTATION = "cistreams.openshift.io/applied"


def stamped(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` with the annotation holding the hash of `obj` itself (as rendered)."""
    digest = hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":"))
                            .encode("utf-8")).hexdigest()
    # a shallow copy: the rendered object is not changed, and a big group is not doubled
    metadata = obj["metadata"]
    annotations = {**metadata.get("annotations", {}), APPLIED_ANNOTATION: f"sha256:{digest}"}
    return {**obj, "metadata": {**metadata, "annotations": annotations}}


def certainly_unchanged(live: dict[str, Any], desired: dict[str, Any]) -> bool:
    """True only when applying `desired` (a stamped object) to `live` changes nothing."""
    metadata = live.get("metadata", {})
    wanted = desired["metadata"]["annotations"][APPLIED_ANNOTATION]
    if (metadata.get("annotations") or {}).get(APPLIED_ANNOTATION) != wanted:
        return False
    entries = metadata.get("managedFields") or []
    if not any(e.get("manager") == FIELD_MANAGER and e.get("operation") == "Apply"
               for e in entries):
        return False
    for entry in entries:
        if entry.get("manager") == FIELD_MANAGER and entry.get("operation") == "Apply":
            continue
        if entry.get("subresource") == "status":
            continue
        if entry.get("operation") == "Apply" or ownership.is_hand_tool(entry):
            return False
        fields = {k: v for k, v in (entry.get("fieldsV1") or {}).items() if k != "f:status"}
        if overlaps(fields, desired):
            return False
    return True


def overlaps(fields: dict[str, Any], obj: Any) -> bool:
    """True when the FieldsV1 tree `fields` owns a field that `obj` sets (or might: anything
    not understood counts as an overlap)."""
    for key, sub in fields.items():
        if key == ".":
            return True  # the item itself
        if key.startswith("f:"):
            if isinstance(obj, dict) and key[2:] in obj and (not sub or overlaps(sub, obj[key[2:]])):
                return True
        elif key.startswith("k:"):
            keys = _keys(key[2:])
            if keys is None:
                return True  # a key we cannot read: be conservative
            item = _keyed_item(obj, keys)
            if item is not None and (not sub or overlaps(sub, item)):
                return True
        else:  # "v:" set members and anything newer: be conservative
            return True
    return False


def _keys(key_json: str) -> dict[str, Any] | None:
    try:
        keys = json.loads(key_json)
    except ValueError:
        return None
    return keys if isinstance(keys, dict) else None


def _keyed_item(items: Any, keys: dict[str, Any]) -> dict[str, Any] | None:
    """The list item that a `k:{...}` key names, if `items` holds one."""
    if not isinstance(items, list):
        return None
    for item in items:
        if isinstance(item, dict) and all(item.get(k) == v for k, v in keys.items()):
            return item
    return None

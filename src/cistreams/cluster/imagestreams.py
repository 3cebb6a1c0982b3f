"""Point one ImageStream tag at an image, safely under concurrent changes (for `mirror`).

The tag `NAME` of `spec.tags` becomes `{name, from: {kind: DockerImage, name: PULLSPEC},
referencePolicy: {type: Source}, importPolicy: {importMode: PreserveOriginal}}`, as doozer
writes it. The JSON patch carries a `test` of what it relies on: the name at the index it
replaces, or, when it adds the tag, the whole tag list it read (or the resourceVersion when
there is no list yet). If anything changed in between, the server refuses the patch (422,
nothing written); the ImageStream is read again and the patch rebuilt, up to ROUNDS times.
So a concurrent change can cost a retry, never land the tag on another one (doozer's
`replace /spec/tags/<index>` without a test could). A tag that already says all this is left
alone (no write).
"""

from __future__ import annotations

import random
import time
from typing import Any

from cistreams.cluster.api import Answer, Api
from cistreams.errors import CistreamsError

GROUP_VERSION = "image.openshift.io/v1"
ROUNDS = 5
PATCHED, ADDED, UNCHANGED = "patched", "added", "unchanged"


class PatchRefused(CistreamsError):
    """The server refused to read or patch the ImageStream."""


def path(namespace: str, name: str) -> str:
    """The API path of one ImageStream."""
    return f"/apis/{GROUP_VERSION}/namespaces/{namespace}/imagestreams/{name}"


def tag_reference(tag: str, pullspec: str) -> dict[str, Any]:
    """The `spec.tags` item mirror writes."""
    return {"name": tag, "from": {"kind": "DockerImage", "name": pullspec},
            "referencePolicy": {"type": "Source"},
            "importPolicy": {"importMode": "PreserveOriginal"}}


def _same(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """True when `current` already says what `wanted` says (fields the server adds, such as
    generation, aside)."""
    def field(item: dict[str, Any], key: str, inner: str) -> object:
        value = item.get(key)
        return value.get(inner) if isinstance(value, dict) else None

    return all(field(current, key, inner) == field(wanted, key, inner)
               for key, inner in (("from", "kind"), ("from", "name"),
                                  ("referencePolicy", "type"), ("importPolicy", "importMode")))


def operations(stream: dict[str, Any], tag: str, pullspec: str) -> list[dict[str, Any]] | None:
    """The JSON patch that points `tag` at `pullspec` in the ImageStream as read, with the
    `test` that makes it fail if the tag list changed; None when nothing needs to change."""
    wanted = tag_reference(tag, pullspec)
    spec = stream.get("spec")
    tags = spec.get("tags") if isinstance(spec, dict) else None
    if not isinstance(tags, list):
        version = (stream.get("metadata") or {}).get("resourceVersion", "")
        guard = {"op": "test", "path": "/metadata/resourceVersion", "value": version}
        if not isinstance(spec, dict):
            return [guard, {"op": "add", "path": "/spec", "value": {"tags": [wanted]}}]
        return [guard, {"op": "add", "path": "/spec/tags", "value": [wanted]}]
    for index, current in enumerate(tags):
        if isinstance(current, dict) and current.get("name") == tag:
            if _same(current, wanted):
                return None
            return [{"op": "test", "path": f"/spec/tags/{index}/name", "value": tag},
                    {"op": "replace", "path": f"/spec/tags/{index}", "value": wanted}]
    return [{"op": "test", "path": "/spec/tags", "value": tags},
            {"op": "add", "path": "/spec/tags/-", "value": wanted}]


def point_tag(api: Api, namespace: str, name: str, tag: str, pullspec: str) -> str:
    """Point `namespace/name:tag` at `pullspec`; PATCHED, ADDED or UNCHANGED. Raises
    PatchRefused when the server refuses, or the ImageStream keeps changing."""
    where = f"imagestream {namespace}/{name}"
    for attempt in range(ROUNDS):
        answer = api.get(path(namespace, name))
        if not answer.ok:
            raise PatchRefused(f"{where}: cannot read it: {_refusal(answer)}")
        ops = operations(answer.body, tag, pullspec)
        if ops is None:
            return UNCHANGED
        answer = api.json_patch(path(namespace, name), ops, dry_run=False)
        if answer.ok:
            return ADDED if ops[-1]["op"] == "add" else PATCHED
        if not _test_failed(answer):
            raise PatchRefused(f"{where}: tag {tag} not patched: {_refusal(answer)}")
        # the ImageStream changed since it was read: read it again, after a random pause so
        # that writers racing for the same ImageStream (groups side by side) fall apart
        time.sleep(random.uniform(0, 0.1 * 2 ** attempt))  # noqa: S311 (not a secret)
    raise PatchRefused(f"{where}: tag {tag} not patched: the imagestream changed under "
                       f"every one of {ROUNDS} tries; run again")


def _test_failed(answer: Answer) -> bool:
    """A patch refused because a `test` failed: 422 with no field causes (a schema refusal
    names its fields)."""
    details = answer.body.get("details") or {}
    return answer.status == 422 and not details.get("causes")


def _refusal(answer: Answer) -> str:
    if answer.status == 404:
        return "HTTP 404: it does not exist (mirror patches existing imagestreams only)"
    return f"HTTP {answer.status}: {answer.reason}"

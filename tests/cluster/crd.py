"""The BuildConfig CustomResourceDefinition of the test cluster, derived from the bundled schema.

A plain kube-apiserver does not serve `build.openshift.io/v1`; a CRD can. Its OpenAPI v3 schema
is derived from the JSON schema the project itself validates against
(`src/cistreams/schemas/buildconfig-build.openshift.io-v1.json`), so the server and the
project agree on what a BuildConfig is. A CRD schema must be *structural*: no `$ref`, a type
on every node, no `additionalProperties` beside `properties`, and a bare `metadata` at the
root. Unknown fields are pruned by the server, which stands in for `additionalProperties:
false`. Standard library only, so `scripts/test-cluster` runs without the project installed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_FILE = (Path(__file__).resolve().parents[2] / "src" / "cistreams" / "schemas"
               / "buildconfig-build.openshift.io-v1.json")

GROUP = "build.openshift.io"
VERSION = "v1"
PLURAL = "buildconfigs"

# Value keywords a structural schema may carry as they are. Everything else (`$schema`,
# `$defs`, `additionalProperties: false`, unknown keywords) is dropped.
_KEPT_KEYWORDS = ("enum", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                  "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "nullable")
# Formats the 1.20 server knows; another format would be ignored at best, so it is dropped.
_KNOWN_FORMATS = frozenset({"int32", "int64", "float", "double", "byte", "date", "date-time",
                            "duration", "uri", "email", "hostname", "ipv4", "ipv6", "uuid"})
ANYTHING: dict[str, Any] = {"x-kubernetes-preserve-unknown-fields": True}
INT_OR_STRING: dict[str, Any] = {"x-kubernetes-int-or-string": True,
                                 "anyOf": [{"type": "integer"}, {"type": "string"}]}

Schema = dict[str, Any]


def load_bundled_schema() -> Schema:
    """The project's BuildConfig JSON schema (2020-12, `$defs` and `$ref`), as bundled."""
    loaded: Schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def structural_schema(document: Schema) -> Schema:
    """The structural OpenAPI v3 schema of a CRD equivalent to the JSON schema `document`.

    `$ref`s are resolved against `document["$defs"]`; a definition that refers back to itself
    (directly or not) becomes an open object at the point of recursion, as a structural schema
    cannot be infinite. The root's `metadata` is reduced to `type: object`, the only form a
    CRD allows (the server validates ObjectMeta itself).
    """
    defs: dict[str, Schema] = document.get("$defs", {})
    root = _convert(document, defs, ())
    if "metadata" in root.get("properties", {}):
        root["properties"]["metadata"] = {"type": "object"}
    return root


def _convert(node: Schema, defs: dict[str, Schema], seen: tuple[str, ...]) -> Schema:
    """One node, references resolved; `seen` is the chain of definitions being expanded."""
    if "$ref" in node:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        if name in seen:
            return {"type": "object", **ANYTHING}
        return _convert(defs[name], defs, (*seen, name))
    types = _types(node)
    if len(types) != 1:
        # A union of types has no structural form except int-or-string; anything wider
        # (Quantity is string-or-number) is left open rather than narrowed.
        return dict(INT_OR_STRING) if types == {"integer", "string"} else dict(ANYTHING)
    (kind,) = types
    out: Schema = {"type": kind}
    for keyword in _KEPT_KEYWORDS:
        if keyword in node:
            out[keyword] = node[keyword]
    if node.get("format") in _KNOWN_FORMATS:
        out["format"] = node["format"]
    if kind == "object":
        out.update(_object_members(node, defs, seen))
    elif kind == "array":
        items = node.get("items")
        out["items"] = _convert(items, defs, seen) if isinstance(items, dict) else dict(ANYTHING)
    return out


def _types(node: Schema) -> set[str]:
    """The non-null types a node allows (`object` when it only lists properties)."""
    declared = node.get("type")
    if declared is None:
        return {"object"} if "properties" in node or "additionalProperties" in node else set()
    listed = [declared] if isinstance(declared, str) else list(declared)
    return {str(t) for t in listed if t != "null"}


def _object_members(node: Schema, defs: dict[str, Schema], seen: tuple[str, ...]) -> Schema:
    """`properties` (and `required`), a map's `additionalProperties`, or an open object."""
    properties = node.get("properties")
    if isinstance(properties, dict):
        members: Schema = {"properties": {key: _convert(value, defs, seen)
                                          for key, value in properties.items()}}
        if node.get("required"):
            members["required"] = list(node["required"])
        return members
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        return {"additionalProperties": _convert(extra, defs, seen)}
    if extra is False:
        return {"properties": {}}
    return dict(ANYTHING)


def _as_openshift_serves_it(schema: Schema) -> None:
    """Two differences between OpenShift's built-in BuildConfig API and a CRD, evened out.

    - OpenShift defaults `spec.strategy.type` from the strategy that is set (doozer's
      BuildConfigs, of 2020 and of 2026, never set it); a CRD cannot default it, so it is not
      required here either.
    - A field that server-side apply removes because its manager stopped setting it is
      dropped by a built-in type, but a CRD keeps it as `null` and then refuses the null
      unless the schema is nullable (kubernetes/kubernetes#103011). Switching a group from
      the QCI target back to imagestreams removes `spec.output.pushSecret` that way, so it
      may be null here (tests treat null as absent).
    """
    spec = schema.get("properties", {}).get("spec", {}).get("properties", {})
    strategy = spec.get("strategy")
    if isinstance(strategy, dict) and "type" in strategy.get("required", []):
        strategy["required"] = [k for k in strategy["required"] if k != "type"]
        if not strategy["required"]:
            del strategy["required"]
    push_secret = spec.get("output", {}).get("properties", {}).get("pushSecret")
    if isinstance(push_secret, dict):
        push_secret["nullable"] = True


def buildconfig_crd(document: Schema | None = None) -> Schema:
    """The `buildconfigs.build.openshift.io` CRD (apiextensions.k8s.io/v1) serving BuildConfig."""
    schema = structural_schema(load_bundled_schema() if document is None else document)
    _as_openshift_serves_it(schema)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": PLURAL, "singular": "buildconfig", "kind": "BuildConfig",
                      "listKind": "BuildConfigList", "shortNames": ["bc"]},
            "versions": [{"name": VERSION, "served": True, "storage": True,
                          "schema": {"openAPIV3Schema": schema}}],
        },
    }

"""A small, strict JSON Schema check that only ever says "certainly valid".

Importing jsonschema (with its metaschemas) costs about 70 ms, a third of a small run, and
our objects are valid in practice. This check understands the few keywords the bundled
schemas use (type, properties, additionalProperties, required, items, $ref, enum, oneOf of
plain types; format is an annotation, as in jsonschema without a format checker). It returns
True only when the instance is valid under those rules; anything else (an unknown keyword,
a float where an integer is expected, a violation) returns False, and jsonschema then gives
the verdict and its messages. So it can make a run faster, never more lenient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_KEYWORDS = frozenset({"type", "$ref", "$defs", "$schema", "properties", "additionalProperties",
                       "items", "required", "format", "enum", "oneOf", "description"})
_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: type(v) is str,
    "integer": lambda v: type(v) is int,
    "number": lambda v: type(v) is int or type(v) is float,
    "boolean": lambda v: type(v) is bool,
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
    "null": lambda v: v is None,
}
_PLAIN = frozenset({"type", "format", "description"})


def certainly_valid(schema: dict[str, Any], instance: Any) -> bool:
    """True only if `instance` is valid against `schema` (a root with `$defs`)."""
    return _valid(schema, instance, schema.get("$defs", {}))


def _valid(node: Any, value: Any, defs: dict[str, Any]) -> bool:
    if node is True:
        return True
    if not isinstance(node, dict) or not _KEYWORDS.issuperset(node):
        return False
    ref = node.get("$ref")
    if ref is not None:
        target = defs.get(str(ref).removeprefix("#/$defs/")) if str(ref).startswith("#/$defs/") \
            else None
        if target is None or not _valid(target, value, defs):
            return False
    return (_type_ok(node, value) and _enum_ok(node, value) and _one_of_ok(node, value, defs)
            and _object_ok(node, value, defs) and _array_ok(node, value, defs))


def _type_ok(node: dict[str, Any], value: Any) -> bool:
    kinds = node.get("type")
    if kinds is None:
        return True
    names = kinds if isinstance(kinds, list) else [kinds]
    return any(name in _TYPES and _TYPES[name](value) for name in names)


def _enum_ok(node: dict[str, Any], value: Any) -> bool:
    if "enum" not in node:
        return True
    return any(type(value) is type(choice) and value == choice for choice in node["enum"])


def _one_of_ok(node: dict[str, Any], value: Any, defs: dict[str, Any]) -> bool:
    options = node.get("oneOf")
    if options is None:
        return True
    # exactly one must match; decidable here only for plain type alternatives
    if not all(isinstance(o, dict) and _PLAIN.issuperset(o) for o in options):
        return False
    return sum(1 for option in options if _valid(option, value, defs)) == 1


def _object_ok(node: dict[str, Any], value: Any, defs: dict[str, Any]) -> bool:
    if type(value) is not dict:
        return True
    if any(name not in value for name in node.get("required", ())):
        return False
    properties = node.get("properties", {})
    extra = node.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            if not _valid(properties[key], item, defs):
                return False
        elif extra is not True and (extra is False or not _valid(extra, item, defs)):
            return False
    return True


def _array_ok(node: dict[str, Any], value: Any, defs: dict[str, Any]) -> bool:
    if type(value) is not list or "items" not in node:
        return True
    return all(_valid(node["items"], item, defs) for item in value)

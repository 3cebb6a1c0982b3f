"""Check generated objects against the bundled BuildConfig and DaemonSet schemas.

The schemas (see schemas/SOURCES.md) are JSON Schema documents extracted from OpenShift's and
Kubernetes' OpenAPI definitions, with `additionalProperties: false` added to every object
definition at extraction time, so an unknown (e.g. misspelt) field is an error.

Speed: jsonschema takes about 0.3 ms per BuildConfig, too slow for ten thousand of them.
All objects of one kind are built by the same code, so they share a *shape*: the same keys,
the same non-string values; only strings (names, image references, the Dockerfile) differ.
A schema that constrains strings by type alone gives the same verdict for every string, so
it is enough to validate one representative per shape (each string replaced by a
placeholder), caching the verdict by shape. Likewise, when no list length is constrained,
a list is valid exactly when each of its distinct item shapes is, so lists are shaped as
their distinct items (a DaemonSet with 10,000 alike containers validates one).

`ShapeValidator` proves these hold when it loads a schema, by walking every keyword
reachable from the root:

* strings below any property whose schema can tell strings apart (`enum`, `const`,
  `pattern`, `minLength`, `maxLength`, `uniqueItems`, or `format` where strings are allowed)
  keep their real value in the shape, so each distinct value is validated;
* lists are kept whole if the schema limits any list's length (`minItems`, `maxItems`,
  `uniqueItems`);
* any keyword not known to be value-blind, a reference outside `$defs`, or a value
  constraint on the root itself, makes it validate every object in full instead.

Before jsonschema is even imported, quick.py checks the representative with the few
keywords our schemas use and can only answer "certainly valid"; jsonschema decides (and
words the messages) otherwise.

Keys, numbers, booleans and nulls always stay in the shape. A failing shape's errors are
mapped back onto each object with that shape: real list indices, real values in messages.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from cistreams.schemas.quick import certainly_valid

if TYPE_CHECKING:  # jsonschema itself is imported only when an object needs its verdict
    from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped, unused-ignore]

_DEFAULT_SCHEMAS = {
    ("build.openshift.io/v1", "BuildConfig"): "buildconfig-build.openshift.io-v1.json",
    ("apps/v1", "DaemonSet"): "daemonset-apps-v1.json",
}
_INFERRED_STRATEGY_TYPE = "#strategy-type-inferred"
_BUILD_STRATEGY = "com.github.openshift.api.build.v1.BuildStrategy"
_DOOZER_2020_SCHEMAS = {
    # The legacy group-less v1 BuildConfig is served from the same Go type. doozer never
    # wrote strategy.type, which the API server infers from dockerStrategy: not required.
    ("v1", "BuildConfig"): "buildconfig-build.openshift.io-v1.json" + _INFERRED_STRATEGY_TYPE,
    ("extensions/v1beta1", "DaemonSet"): "daemonset-extensions-v1beta1.json",
}
# Keywords that cannot tell one string from another (the placeholder passes iff any string does).
_VALUE_BLIND = frozenset({
    "$schema", "$ref", "$defs", "$id", "type", "properties", "additionalProperties", "items",
    "required", "oneOf", "anyOf", "allOf", "not", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "minProperties", "maxProperties", "description", "title",
    "default", "examples",
})
_STRING_KEYWORDS = frozenset({"enum", "const", "pattern", "minLength", "maxLength",
                              "uniqueItems"})
_LENGTH_KEYWORDS = frozenset({"minItems", "maxItems", "uniqueItems"})
_KNOWN = _VALUE_BLIND | _STRING_KEYWORDS | _LENGTH_KEYWORDS | {"format"}
_PLACEHOLDER = ""
_MAX_VALUE_CHARS = 60
Path = tuple[str | int, ...]
Tokens = tuple[object, ...]


class _Token:
    """A shape marker that no JSON value or key can equal."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


_DICT, _LIST, _END, _STR, _KEPT = (_Token(n) for n in ("dict", "list", "end", "str", "kept"))


@dataclass(frozen=True)
class Violation:
    """One schema problem in one object."""

    kind: str
    name: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.kind} {self.name}: {where}{self.message}"


@dataclass(frozen=True)
class _Rules:
    """What the schema allows a shape to forget (see the module docstring)."""

    kept_keys: frozenset[str]
    shapes: bool
    merge_lists: bool


class ShapeValidator:
    """A compiled schema that validates one representative object per shape (see module doc)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        # No check_schema() here: it costs 0.1-0.2 s per schema; tests check the bundled ones.
        self.schema = schema
        self._compiled: Any = None
        self.rules = _analyse(schema)
        self._cache: dict[Tokens, list[ValidationError]] = {}

    @property
    def _validator(self) -> Any:
        if self._compiled is None:
            from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

            self._compiled = Draft202012Validator(self.schema)
        return self._compiled

    def _iter_errors(self, instance: Any) -> list[ValidationError]:
        if certainly_valid(self.schema, instance):
            return []
        return sorted(self._validator.iter_errors(instance), key=_error_key)

    def errors(self, instance: Any) -> Iterator[tuple[str, str]]:
        """(JSON path, message) for every problem in `instance`."""
        tokens = self._tokens(instance, False) if self.rules.shapes else None
        if tokens is None or not _hashable(tokens):
            for error in self._iter_errors(instance):
                yield _path(error.absolute_path), _message(error, instance,
                                                           tuple(error.absolute_path))
            return
        found = self._cache.get(tokens)
        if found is None:
            representative = _build(tokens, 0)[0]
            found = self._iter_errors(representative)
            self._cache[tokens] = found
        for error in found:
            for path in self._real_paths(instance, tuple(error.absolute_path), False):
                yield _path(path), _message(error, instance, path)

    def _tokens(self, value: Any, keep: bool) -> Tokens:
        out: list[object] = []
        _shape(value, keep, self.rules, out)
        return tuple(out)

    def _real_paths(self, value: Any, path: Path, keep: bool) -> list[Path]:
        """The paths in `value` that `path` (in its shape, where lists are merged) stands for."""
        if not path:
            return [()]
        head, rest = path[0], path[1:]
        if isinstance(value, dict):
            below = self._real_paths(value[head], rest, keep or head in self.rules.kept_keys)
            return [(head, *tail) for tail in below]
        if not self.rules.merge_lists:
            return [(head, *tail) for tail in self._real_paths(value[head], rest, keep)]
        shapes = [self._tokens(item, keep) for item in value]
        wanted = list(dict.fromkeys(shapes))[int(head)]
        return [(index, *tail) for index, item in enumerate(value) if shapes[index] == wanted
                for tail in self._real_paths(item, rest, keep)]


def validate_objects(objects: Sequence[dict[str, Any]], doozer_2020: bool) -> list[str]:
    """One readable message per schema problem, identical problems of several objects merged.

    Objects are checked against the schema of their apiVersion and kind as written in the
    given mode (default: build.openshift.io/v1 BuildConfig, apps/v1 DaemonSet; doozer-2020:
    v1 BuildConfig, extensions/v1beta1 DaemonSet). An empty list means every object is valid.
    """
    return summarise(find_violations(objects, doozer_2020))


def find_violations(objects: Sequence[dict[str, Any]], doozer_2020: bool) -> list[Violation]:
    """Every schema problem of every object, in object order."""
    table = _DOOZER_2020_SCHEMAS if doozer_2020 else _DEFAULT_SCHEMAS
    found: list[Violation] = []
    for obj in objects:
        kind, name = _identity(obj)
        file_name = table.get((str(obj.get("apiVersion")), kind))
        if file_name is None:
            known = ", ".join(f"{api} {k}" for api, k in table)
            found.append(Violation(kind, name, "", f"no schema for apiVersion "
                                   f"'{obj.get('apiVersion')}' kind '{kind}' (known: {known})"))
            continue
        found.extend(Violation(kind, name, path, message)
                     for path, message in load(file_name).errors(obj))
    return found


def summarise(violations: Sequence[Violation], names_shown: int = 3) -> list[str]:
    """Messages in first-seen order; a problem shared by several objects is reported once."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for v in violations:
        groups.setdefault((v.kind, v.path, v.message), []).append(v.name)
    lines = []
    for (kind, path, message), names in groups.items():
        shown = ", ".join(names[:names_shown])
        if len(names) > names_shown:
            shown += f" and {len(names) - names_shown} more"
        lines.append(str(Violation(kind, shown, path, message)))
    return lines


@functools.cache
def load(file_name: str) -> ShapeValidator:
    """The compiled validator for one bundled schema file (compiled once per process)."""
    base, _, variant = file_name.partition("#")
    text = resources.files("cistreams").joinpath("schemas", base).read_text("utf-8")
    schema = json.loads(text)
    if variant:
        strategy = schema["$defs"][_BUILD_STRATEGY]
        strategy["required"] = [r for r in strategy.get("required", []) if r != "type"]
    return ShapeValidator(schema)


def _identity(obj: dict[str, Any]) -> tuple[str, str]:
    metadata = obj.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return str(obj.get("kind", "object")), name if isinstance(name, str) else "<unnamed>"


def _shape(value: Any, keep: bool, rules: _Rules, out: list[object]) -> None:
    """Append the shape of `value` to `out` as a flat token sequence (cheap to hash).

    Written for speed (it runs on every node of every object): scalars below a mapping are
    handled inline rather than by a call.
    """
    kind = type(value)
    if kind is dict:
        _shape_dict(value, keep, rules, out)
    elif kind is list:
        out.append(_LIST)
        if not rules.merge_lists:
            for item in value:
                _shape(item, keep, rules, out)
        else:
            for shape in dict.fromkeys(_item_shapes(value, keep, rules)):
                out.extend(shape)
        out.append(_END)
    elif kind is str:
        out.extend((_KEPT, value) if keep else (_STR,))
    else:
        out.extend((kind, value))


def _shape_dict(value: dict[Any, Any], keep: bool, rules: _Rules, out: list[object]) -> None:
    append, kept = out.append, rules.kept_keys
    append(_DICT)
    for key, item in value.items():
        append(key)
        kind = type(item)
        if kind is str and not keep and key not in kept:
            append(_STR)
        elif kind is dict:
            _shape_dict(item, keep or key in kept, rules, out)
        elif kind is int:
            append(int)
            append(item)
        else:
            _shape(item, keep or key in kept, rules, out)
    append(_END)


def _item_shapes(items: list[Any], keep: bool, rules: _Rules) -> Iterator[Tokens]:
    for item in items:
        if type(item) is str and not keep:
            yield (_STR,)
        else:
            out: list[object] = []
            _shape(item, keep, rules, out)
            yield tuple(out)


def _hashable(tokens: Tokens) -> bool:
    """False for shapes holding a value JSON cannot (a set, say); those skip the cache."""
    try:
        hash(tokens)
    except TypeError:
        return False
    return True


def _build(tokens: Tokens, at: int) -> tuple[Any, int]:
    """The representative value whose shape starts at `tokens[at]`, and where it ends."""
    token = tokens[at]
    if token is _STR:
        return _PLACEHOLDER, at + 1
    if token is _DICT:
        mapping: dict[Any, Any] = {}
        at += 1
        while tokens[at] is not _END:
            mapping[tokens[at]], at = _build(tokens, at + 1)
        return mapping, at + 1
    if token is _LIST:
        items: list[Any] = []
        at += 1
        while tokens[at] is not _END:
            item, at = _build(tokens, at)
            items.append(item)
        return items, at + 1
    return tokens[at + 1], at + 2  # _KEPT or a scalar's type, then the value


def _analyse(schema: dict[str, Any]) -> _Rules:
    """Walk every schema node reachable from the root and decide what shapes may forget."""
    defs = schema.get("$defs", {})
    kept: set[str] = set()
    seen: set[tuple[int, str | None]] = set()
    todo: list[tuple[Any, str | None]] = [(schema, None)]
    merge_lists = True
    while todo:
        node, prop = todo.pop()
        if not isinstance(node, dict) or (id(node), prop) in seen:
            continue
        seen.add((id(node), prop))
        ref = node.get("$ref")
        dangling = ref is not None and str(ref).removeprefix("#/$defs/") not in defs
        if set(node) - _KNOWN or dangling or (prop is None and _constrains_strings(node)):
            return _Rules(frozenset(), shapes=False, merge_lists=False)
        if _constrains_strings(node):
            kept.add(str(prop))
        merge_lists = merge_lists and not _LENGTH_KEYWORDS & set(node)
        todo.extend(_children(node, prop, defs))
    return _Rules(frozenset(kept), shapes=True, merge_lists=merge_lists)


def _constrains_strings(node: dict[str, Any]) -> bool:
    """True when `node` can accept one string and reject another."""
    types = node.get("type", "string")
    admits_strings = "string" in (types if isinstance(types, list) else [types])
    return bool(_STRING_KEYWORDS & set(node)) or ("format" in node and admits_strings)


def _children(node: dict[str, Any], prop: str | None,
              defs: dict[str, Any]) -> Iterator[tuple[Any, str | None]]:
    """Sub-schemas of `node`, each with the property name its instances sit under."""
    if "$ref" in node:
        yield defs[str(node["$ref"]).removeprefix("#/$defs/")], prop
    for name, sub in node.get("properties", {}).items():
        yield sub, name
    for keyword in ("additionalProperties", "items", "not"):
        yield node.get(keyword), prop
    for keyword in ("oneOf", "anyOf", "allOf"):
        for sub in node.get(keyword, []):
            yield sub, prop


def _error_key(error: ValidationError) -> tuple[str, str]:
    return _path(error.absolute_path), str(error.message)


def _path(parts: Sequence[str | int]) -> str:
    """`spec.template.spec.containers[0].name` from a jsonschema path."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: ValidationError, instance: Any, path: Path) -> str:
    """The error's message about the real value at `path` (not the representative's)."""
    message = str(error.message)
    shown = repr(error.instance)
    if shown not in message:
        return message
    real = instance
    for part in path:
        real = real[part]
    real_text = repr(real)
    if len(real_text) > _MAX_VALUE_CHARS:
        real_text = real_text[:_MAX_VALUE_CHARS - 3] + "..."
    return message.replace(shown, real_text, 1)

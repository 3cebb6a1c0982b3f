"""Check generated objects against the bundled BuildConfig and DaemonSet schemas.

The schemas (see schemas/SOURCES.md) are JSON Schema documents extracted from OpenShift's and
Kubernetes' OpenAPI definitions, with `additionalProperties: false` added to every object
definition at extraction time, so an unknown (e.g. misspelt) field is an error. Each is
compiled once per process by jsonschema-rs, which checks a BuildConfig in microseconds.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema_rs

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
_DOOZER_2026_SCHEMAS = {
    ("build.openshift.io/v1", "BuildConfig"):
        "buildconfig-build.openshift.io-v1.json" + _INFERRED_STRATEGY_TYPE,
}
_MAX_VALUE_CHARS = 60  # a value quoted in a message (a whole Dockerfile, say) is cut here


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


def validate_objects(objects: Sequence[dict[str, Any]], doozer_2020: bool) -> list[str]:
    """One readable message per schema problem, identical problems of several objects merged.

    Objects are checked against the schema of their apiVersion and kind as written in the
    given mode (default: build.openshift.io/v1 BuildConfig, apps/v1 DaemonSet; doozer-2020:
    v1 BuildConfig, extensions/v1beta1 DaemonSet). An empty list means every object is valid.
    """
    return summarise(find_violations(objects, doozer_2020))


def find_violations(objects: Sequence[dict[str, Any]], doozer_2020: bool, *,
                    doozer_2026: bool = False) -> list[Violation]:
    """Every schema problem of every object, in object order (by path within an object).
    `doozer_2026`: build.openshift.io/v1 BuildConfigs as doozer writes them today, without
    strategy.type (the API server infers it from dockerStrategy, as for doozer 2020)."""
    table = _DOOZER_2020_SCHEMAS if doozer_2020 else \
        _DOOZER_2026_SCHEMAS if doozer_2026 else _DEFAULT_SCHEMAS
    found: list[Violation] = []
    for obj in objects:
        kind, name = _identity(obj)
        file_name = table.get((str(obj.get("apiVersion")), kind))
        if file_name is None:
            known = ", ".join(f"{api} {k}" for api, k in table)
            found.append(Violation(kind, name, "", f"no schema for apiVersion "
                                   f"'{obj.get('apiVersion')}' kind '{kind}' (known: {known})"))
            continue
        errors = ((_path(e.instance_path), _message(e)) for e in load(file_name).iter_errors(obj))
        found.extend(Violation(kind, name, path, message) for path, message in sorted(errors))
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


def schema(file_name: str) -> dict[str, Any]:
    """One bundled schema as JSON data (`#strategy-type-inferred`: doozer 2020's variant)."""
    base, _, variant = file_name.partition("#")
    text = resources.files("cistreams").joinpath("schemas", base).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    if variant:
        strategy = loaded["$defs"][_BUILD_STRATEGY]
        strategy["required"] = [r for r in strategy.get("required", []) if r != "type"]
    return loaded


@functools.cache
def load(file_name: str) -> jsonschema_rs.Draft202012Validator:
    """The compiled validator for one bundled schema (compiled once per process)."""
    return jsonschema_rs.Draft202012Validator(schema(file_name))


def _identity(obj: dict[str, Any]) -> tuple[str, str]:
    metadata = obj.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return str(obj.get("kind", "object")), name if isinstance(name, str) else "<unnamed>"


def _path(parts: Sequence[str | int]) -> str:
    """`spec.template.spec.containers[0].name` from a JSON Schema instance path."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: jsonschema_rs.ValidationError) -> str:
    """The validator's message, with a long quoted value cut short."""
    message = str(error.message)
    shown = json.dumps(error.instance, ensure_ascii=False)
    if len(shown) <= _MAX_VALUE_CHARS or shown not in message:
        return message
    return message.replace(shown, shown[:_MAX_VALUE_CHARS - 3] + "...", 1)

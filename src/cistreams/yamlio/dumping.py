"""The two output formats, each one PyYAML call: the readable layout and doozer's bytes."""

from __future__ import annotations

from typing import Any

import yaml

_BaseSafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _ReadableDumper(_BaseSafeDumper):  # type: ignore[valid-type,misc]
    """Keeps insertion order and writes multi-line strings (Dockerfiles) as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_str(value)


_ReadableDumper.add_representer(str, _represent_str)


def dump_readable(objects: list[dict[str, Any]]) -> str:
    """Multi-document YAML for people: keys in insertion order, Dockerfiles as literal
    blocks, `---` before every document, no line wrapping."""
    return yaml.dump_all(objects, Dumper=_ReadableDumper, default_flow_style=False,
                         sort_keys=False, width=4096, allow_unicode=True, explicit_start=True)


def dump_doozer(objects: list[dict[str, Any]]) -> str:
    """Exactly what doozer wrote: its own call, `yaml.dump_all(objects, f,
    default_flow_style=False)`, whose default Dumper is PyYAML's pure-Python one (libyaml's
    emitter differs from it on some scalars, so it is not used here)."""
    return yaml.dump_all(objects, Dumper=yaml.Dumper, default_flow_style=False)

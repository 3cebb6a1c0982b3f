"""The two output formats: PyYAML calls that define the bytes, and the fast writers.

The fast writers live in writers.py; the PyYAML calls below define the bytes and remain the
fallback for anything the fast writers are not proven on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from cistreams.yamlengine import forkjoin, writers
from cistreams.yamlengine.forkjoin import Piece


def dump_doozer(objects: list[dict[str, Any]], jobs: int = 2,
                meanwhile: Callable[[], None] | None = None) -> str:
    """Exactly what doozer's `yaml.dump_all(objects, f, default_flow_style=False)` writes
    (`jobs` and `meanwhile`: see writers)."""
    return forkjoin.join(dump_pieces(objects, True, jobs, meanwhile))


def dump_pieces(objects: list[dict[str, Any]], doozer_2020: bool, jobs: int = 2,
                meanwhile: Callable[[], None] | None = None) -> list[Piece]:
    """`dump_doozer` or `dump_readable` as pieces to write one after another (a big dump
    then never exists as one string, nor as one encoded copy of it)."""
    if doozer_2020:
        return writers.dump_doozer(objects, reference_dump_doozer, jobs, meanwhile)
    return writers.dump_readable(objects, reference_dump_readable, jobs, meanwhile)


def reference_dump_doozer(objects: list[dict[str, Any]]) -> str:
    """doozer's own call, with PyYAML's pure-Python emitter (slow; the definition)."""
    return yaml.dump_all(objects, Dumper=yaml.Dumper, default_flow_style=False)


_BaseSafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _ReadableDumper(_BaseSafeDumper):  # type: ignore[valid-type,misc]
    """Keeps insertion order and writes multi-line strings as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_str(value)


_ReadableDumper.add_representer(str, _represent_str)


def dump_readable(objects: list[dict[str, Any]], jobs: int = 2,
                  meanwhile: Callable[[], None] | None = None) -> str:
    """Multi-document YAML for people: keys in insertion order, Dockerfiles as literal blocks
    (`jobs` and `meanwhile`: see writers)."""
    return forkjoin.join(dump_pieces(objects, False, jobs, meanwhile))


def reference_dump_readable(objects: list[dict[str, Any]]) -> str:
    """The readable bytes as libyaml writes them (the definition of dump_readable)."""
    return yaml.dump_all(
        objects,
        Dumper=_ReadableDumper,
        default_flow_style=False,
        sort_keys=False,
        width=4096,
        allow_unicode=True,
        explicit_start=True,
    )

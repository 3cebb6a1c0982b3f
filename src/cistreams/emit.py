"""Fast YAML writers for our output objects, with PyYAML as the fallback and the reference.

`dump_doozer` writes what `yaml.dump_all(objects, Dumper=yaml.Dumper,
default_flow_style=False)` writes and `dump_readable` what the libyaml-based readable dumper
in yamlio writes, but without building PyYAML's node graph and events per value. Whenever the
objects fall outside what the fast writers are proven on (see emit_tree.Unsupported), the
PyYAML call runs instead, so the bytes never depend on which path was taken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cistreams.emit_tree import Unsupported, dump_documents

Dump = Callable[[list[dict[str, Any]]], str]


def dump_doozer(objects: list[dict[str, Any]], reference: Dump) -> str:
    """doozer's bytes; `reference` (yaml.dump_all) runs when the fast path cannot."""
    from cistreams.emit_pyyaml import PyYamlScalars

    try:
        return dump_documents(objects, PyYamlScalars(), sort_keys=True,
                              separator="---\n", first_separator="")
    except Unsupported:
        return reference(objects)


def dump_readable(objects: list[dict[str, Any]], reference: Dump) -> str:
    """The readable bytes; `reference` (the libyaml dumper) runs when the fast path cannot."""
    from cistreams.emit_libyaml import LibYamlScalars

    try:
        return dump_documents(objects, LibYamlScalars(), sort_keys=False,
                              separator="---\n", first_separator="---\n")
    except Unsupported:
        return reference(objects)

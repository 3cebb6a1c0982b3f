"""Fast YAML writers for our output objects, with PyYAML as the fallback and the reference.

`dump_doozer` writes what `yaml.dump_all(objects, Dumper=yaml.Dumper,
default_flow_style=False)` writes and `dump_readable` what the libyaml-based readable dumper
in yamlio writes, but without building PyYAML's node graph and events per value. Whenever the
objects fall outside what the fast writers are proven on (see emit_tree.Unsupported), the
PyYAML call runs instead, so the bytes never depend on which path was taken.

Both take `jobs` (how many processes may write; see forkjoin) and `meanwhile` (work for this
process while a second one starts writing, such as validating the objects; it runs exactly
once, before anything is returned, whichever path writes), and return the text as pieces
(forkjoin.collect; forkjoin.join makes them one string).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cistreams.emit_tree import ScalarWriter, Unsupported, document_pieces
from cistreams.forkjoin import Piece

Dump = Callable[[list[dict[str, Any]]], str]
Meanwhile = Callable[[], None]
Pieces = list[Piece]  # see forkjoin.collect


def dump_doozer(objects: list[dict[str, Any]], reference: Dump, jobs: int = 2,
                meanwhile: Meanwhile | None = None) -> Pieces:
    """doozer's bytes; `reference` (yaml.dump_all) runs when the fast path cannot."""
    from cistreams.emit_pyyaml import PyYamlScalars

    return _dump(objects, reference, PyYamlScalars(), True, "", jobs, meanwhile)


def dump_readable(objects: list[dict[str, Any]], reference: Dump, jobs: int = 2,
                  meanwhile: Meanwhile | None = None) -> Pieces:
    """The readable bytes; `reference` (the libyaml dumper) runs when the fast path cannot."""
    from cistreams.emit_libyaml import LibYamlScalars

    return _dump(objects, reference, LibYamlScalars(), False, "---\n", jobs, meanwhile)


def _dump(objects: list[dict[str, Any]], reference: Dump, scalar: ScalarWriter,
          sort_keys: bool, first_separator: str, jobs: int, meanwhile: Meanwhile | None) -> Pieces:
    ran = False

    def once() -> None:
        nonlocal ran
        if not ran:
            ran = True
            if meanwhile is not None:
                meanwhile()

    try:
        return document_pieces(objects, scalar, sort_keys, separator="---\n",
                               first_separator=first_separator, jobs=jobs, meanwhile=once)
    except Unsupported:
        once()
        return [reference(objects)]

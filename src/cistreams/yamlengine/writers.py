"""Fast YAML writers for our output objects, with PyYAML as the fallback and the reference.

`dump_doozer` writes what `yaml.dump_all(objects, Dumper=yaml.Dumper,
default_flow_style=False)` writes and `dump_readable` what the libyaml-based readable dumper
in dumping writes, but without building PyYAML's node graph and events per value. Whenever the
objects fall outside what the fast writers are proven on (see layout.Unsupported), the
PyYAML call runs instead, so the bytes never depend on which path was taken.

Both take `jobs` (how many processes may write; see forkjoin) and `meanwhile` (work for this
process while a second one starts writing, such as validating the objects; it runs exactly
once, before anything is returned, whichever path writes), and return the text as pieces
(forkjoin.collect; forkjoin.join makes them one string).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cistreams.yamlengine import forkjoin
from cistreams.yamlengine.forkjoin import Piece
from cistreams.yamlengine.layout import ScalarWriter, Unsupported
from cistreams.yamlengine.template import TemplateWriter

Dump = Callable[[list[dict[str, Any]]], str]
Meanwhile = Callable[[], None]
Pieces = list[Piece]  # see forkjoin.collect


def dump_doozer(objects: list[dict[str, Any]], reference: Dump, jobs: int = 2,
                meanwhile: Meanwhile | None = None) -> Pieces:
    """doozer's bytes; `reference` (yaml.dump_all) runs when the fast path cannot."""
    from cistreams.yamlengine.pyyaml_scalars import PyYamlScalars

    return _dump(objects, reference, PyYamlScalars(), True, "", jobs, meanwhile)


def dump_readable(objects: list[dict[str, Any]], reference: Dump, jobs: int = 2,
                  meanwhile: Meanwhile | None = None) -> Pieces:
    """The readable bytes; `reference` (the libyaml dumper) runs when the fast path cannot."""
    from cistreams.yamlengine.libyaml_scalars import LibYamlScalars

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


def dump_documents(objects: list[Any], scalar: ScalarWriter, sort_keys: bool,
                   separator: str, first_separator: str) -> str:
    """All documents, each preceded by `separator` (`first_separator` for the first)."""
    return forkjoin.join(document_pieces(objects, scalar, sort_keys, separator,
                                         first_separator, jobs=1))


def document_pieces(objects: list[Any], scalar: ScalarWriter, sort_keys: bool,
                    separator: str, first_separator: str, jobs: int = 2,
                    meanwhile: Callable[[], None] | None = None) -> list[Piece]:
    """`dump_documents` as pieces (forkjoin.collect), written by up to `jobs` (1 or 2)
    processes, with the same bytes either way. `meanwhile` runs before the first document
    is written here (see forkjoin)."""
    writer = TemplateWriter(scalar, sort_keys)

    def text_of(index: int) -> str:
        return (separator if index else first_separator) + writer.document(objects[index])

    return forkjoin.collect(text_of, len(objects), jobs, meanwhile)

"""The fast path of YAML loading: marked dicts and lists built straight from parser events.

Build data is plain YAML: mappings, sequences and scalars, no anchors, aliases, merge keys
or tags. For such a document the node graph that PyYAML composes first (and the alias-bomb
check over it) is pure overhead, so this builds the result from libyaml's events instead,
about twice as fast on a 10,000-stream file. Anything beyond plain YAML returns `FALLBACK`
and is loaded by the general path in yamlio, which handles (or rejects) it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from cistreams.errors import CistreamsError, Location

FALLBACK: Any = object()
_Parser: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "<<"
_UNSET: Any = object()


class _Fallback(Exception):
    """The document uses something the fast path does not build."""


def load(text: str, display_name: str, map_type: type[dict[Any, Any]],
         seq_type: type[list[Any]]) -> Any:
    """The document built as `map_type`/`seq_type` with lines, or FALLBACK."""
    parser = _Parser(text)
    try:
        return _Builder(parser, display_name, map_type, seq_type).run()
    except _Fallback:
        return FALLBACK
    finally:
        parser.dispose()


class _Builder:
    def __init__(self, parser: yaml.SafeLoader, display_name: str,
                 map_type: type[dict[Any, Any]], seq_type: type[list[Any]]) -> None:
        self.parser = parser
        self.name = display_name
        self.map_type, self.seq_type = map_type, seq_type
        self.scalars: dict[tuple[str, bool, bool], Any] = {}
        # each frame: [container, pending key, line of the pending key]
        self.stack: list[list[Any]] = []
        self.root: Any = None

    def run(self) -> Any:
        """Consume the whole event stream and return the document's root."""
        get: Callable[[], Any] = self.parser.get_event
        get()  # StreamStart
        event = get()
        if isinstance(event, yaml.StreamEndEvent):
            return None
        while True:
            event = get()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                self._add(self._scalar(event), event.start_mark.line + 1, True)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self._open(event, kind is yaml.MappingStartEvent)
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                self.stack.pop()
            elif kind is yaml.DocumentEndEvent:
                break
            else:  # an alias
                raise _Fallback
        if not isinstance(get(), yaml.StreamEndEvent):
            raise _Fallback  # several documents: the general path reports it
        return self.root

    def _open(self, event: Any, mapping: bool) -> None:
        if event.anchor is not None or event.tag is not None:
            raise _Fallback
        line = event.start_mark.line + 1
        container: Any
        if mapping:
            container = self.map_type()
            container.line, container.key_lines, container.source = line, {}, self.name
        else:
            container = self.seq_type()
            container.line, container.item_lines = line, []
        self._add(container, line, False)
        self.stack.append([container, _UNSET, 0])

    def _scalar(self, event: Any) -> Any:
        if event.anchor is not None or event.tag is not None:
            raise _Fallback
        plain = event.implicit[0]
        key = (event.value, plain, event.implicit[1])
        if key in self.scalars:
            return self.scalars[key]
        text = event.value
        if not plain or (text and text[0] not in self.parser.yaml_implicit_resolvers):
            value: Any = text  # quoted, or no implicit type (int, bool, null...) starts so
        else:
            tag = self.parser.resolve(  # type: ignore[no-untyped-call]
                yaml.ScalarNode, event.value, event.implicit)
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
            value = self.parser.construct_object(node, deep=True)
        if plain and event.value == _MERGE:
            raise _Fallback
        self.scalars[key] = value
        return value

    def _add(self, value: Any, line: int, scalar: bool) -> None:
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        container = frame[0]
        if isinstance(container, list):
            container.append(value)
            container.item_lines.append(line)  # type: ignore[attr-defined]
        elif frame[1] is _UNSET:
            if not scalar:
                raise _Fallback  # a complex key: the general path rejects it with a line
            if value in container:
                raise CistreamsError(f"duplicate key {value!r} (first defined on line "
                                     f"{container.key_lines[value]})", Location(self.name, line))
            frame[1], frame[2] = value, line
        else:
            container[frame[1]] = value
            container.key_lines[frame[1]] = frame[2]
            frame[1] = _UNSET

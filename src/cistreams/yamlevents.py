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


Formatter = Callable[[str, Location], str]


def load(text: str, display_name: str, map_type: type[dict[Any, Any]],
         seq_type: type[list[Any]], formatter: Formatter | None = None) -> Any:
    """The document built as `map_type`/`seq_type` with lines, or FALLBACK.

    `formatter`, when given, rewrites every key and value that contains a brace (the
    `{VAR}` substitution) as it is read, with the location of that key or value.
    """
    parser = _Parser(text)
    try:
        return _Builder(parser, display_name, map_type, seq_type, formatter).run()
    except _Fallback:
        return FALLBACK
    finally:
        parser.dispose()


class _Builder:
    def __init__(self, parser: yaml.SafeLoader, display_name: str,
                 map_type: type[dict[Any, Any]], seq_type: type[list[Any]],
                 formatter: Formatter | None) -> None:
        self.parser = parser
        self.formatter = formatter
        self.name = display_name
        self.map_type, self.seq_type = map_type, seq_type
        self.scalars: dict[tuple[str, bool, bool], Any] = {}
        # each frame: [container, pending key, line of the pending key, last key stored]
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
        self.stack.append([container, _UNSET, 0, None])

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
            if self.formatter is not None and type(value) is str and ("{" in value or "}" in value):
                value = self.formatter(value, Location(self.name, line))
            self.root = value
            return
        frame = self.stack[-1]
        container = frame[0]
        if self.formatter is not None and type(value) is str and ("{" in value or "}" in value):
            value = self._format(value, line)
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
            frame[1], frame[3] = _UNSET, frame[1]

    def _format(self, text: str, line: int) -> str:
        """Substitute `text` where it stands (the key path as substitution.substitute_tree
        names it: a value or a key by its key, an item by its index)."""
        assert self.formatter is not None
        parts: list[str] = []
        for frame in self.stack[:-1]:
            container = frame[0]
            parts.append(str(len(container) - 1 if isinstance(container, list) else frame[3]))
        last = self.stack[-1]
        if isinstance(last[0], list):
            parts.append(str(len(last[0])))
        else:
            parts.append(str(text if last[1] is _UNSET else last[1]))
            line = line if last[1] is _UNSET else last[2]
        return self.formatter(text, Location(self.name, line, ".".join(parts)))

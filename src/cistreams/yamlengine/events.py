"""The fast path of YAML loading: marked dicts and lists built straight from parser events.

Build data is plain YAML: mappings, sequences and scalars, no anchors, aliases, merge keys
or tags. For such a document the node graph that PyYAML composes first (and the alias-bomb
check over it) is pure overhead, so this builds the result from libyaml's events instead,
about twice as fast on a 10,000-stream file. Anything beyond plain YAML returns `FALLBACK`
and is loaded by the general path in loading, which handles (or rejects) it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from cistreams.errors import CistreamsError, Location
from cistreams.yamlengine import halves

FALLBACK: Any = object()
_Parser: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "<<"
_LONGEST_WORD = len("false")  # the longest word a safe loader resolves to a bool or null
_UNSET: Any = object()


class _Fallback(Exception):
    """The document uses something the fast path does not build."""


Formatter = Callable[[str, Location], str]


def load(text: str, display_name: str, map_type: type[dict[Any, Any]],
         seq_type: type[list[Any]], formatter: Formatter | None = None, jobs: int = 2) -> Any:
    """The document built as `map_type`/`seq_type` with lines, or FALLBACK.

    `formatter`, when given, rewrites every key and value that contains a brace (the
    `{VAR}` substitution) as it is read, with the location of that key or value. With
    `jobs` >= 2 a big file is read in two halves at once (see halves; same result).
    """
    if jobs >= 2 and len(text) >= halves.MIN_CHARS:
        def load_part(part: str, part_formatter: Formatter | None) -> Any:
            return _load(part, display_name, map_type, seq_type, part_formatter)

        joined = halves.load(text, load_part, map_type, formatter)
        if joined is not halves.UNSUITED:
            return joined
    return _load(text, display_name, map_type, seq_type, formatter)


def _load(text: str, display_name: str, map_type: type[dict[Any, Any]],
          seq_type: type[list[Any]], formatter: Formatter | None) -> Any:
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
        self.scalars: dict[str, Any] = {}  # plain scalar text -> its typed value
        # each frame: [container, pending key, line of the pending key, last key stored]
        self.stack: list[list[Any]] = []
        self.root: Any = None

    def run(self) -> Any:  # noqa: C901 (one flat loop on purpose: see the docstring)
        """Consume the whole event stream and return the document's root.

        One loop with everything in local variables: it runs once per event (about twenty
        per stream), so each attribute lookup or call saved here is visible on big files.
        """
        get: Callable[[], Any] = self.parser.get_event
        get()  # StreamStart
        if isinstance(get(), yaml.StreamEndEvent):
            return None
        scalar_event, end_events = yaml.ScalarEvent, (yaml.MappingEndEvent, yaml.SequenceEndEvent)
        mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        plain_values, formatter, stack = self.scalars, self.formatter, self.stack
        seq_type = self.seq_type
        quick: Callable[[str], str | None] | None = getattr(formatter, "quick", None)
        top: list[Any] | None = None  # stack[-1]: [container, pending key, its line, last key]
        while True:
            event = get()
            kind = type(event)
            if kind is scalar_event:
                if event.anchor is not None or event.tag is not None:
                    raise _Fallback
                value = event.value
                if event.implicit[0]:  # plain: may be an int, a bool, null...
                    value = plain_values.get(value, _UNSET)
                    if value is _UNSET:
                        value = plain_values[event.value] = self._plain(event)
                container = None
            elif kind is mapping_start or kind is sequence_start:
                value = container = self._open(event, kind is mapping_start)
            elif kind in end_events:
                stack.pop()
                top = stack[-1] if stack else None
                continue
            elif kind is yaml.DocumentEndEvent:
                break
            else:  # an alias
                raise _Fallback
            if formatter is not None and type(value) is str and ("{" in value or "}" in value):
                done = quick(value) if quick is not None else None
                value = done if done is not None else \
                    self._substitute(value, event.start_mark.line + 1)
            if top is None:
                self.root = value
            elif type(top[0]) is seq_type:
                items: Any = top[0]
                items.append(value)
                items.item_lines.append(event.start_mark.line + 1)
            elif top[1] is _UNSET:
                if container is not None:
                    raise _Fallback  # a complex key: the general path rejects it with a line
                self._key(top, value, event.start_mark.line + 1)
            else:
                key = top[1]
                top[0][key] = value
                top[0].key_lines[key] = top[2]
                top[1], top[3] = _UNSET, key
            if container is not None:
                top = [container, _UNSET, 0, None]
                stack.append(top)
        if not isinstance(get(), yaml.StreamEndEvent):
            raise _Fallback  # several documents: the general path reports it
        return self.root

    def _open(self, event: Any, mapping: bool) -> Any:
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
        return container

    def _plain(self, event: Any) -> Any:
        """The value of a plain scalar, typed by PyYAML's implicit resolvers."""
        text = event.value
        if text == _MERGE:
            raise _Fallback
        if text and text[0] not in self.parser.yaml_implicit_resolvers:
            return text  # no implicit type (int, bool, null...) starts with this character
        if len(text) > _LONGEST_WORD and text[0].isalpha():
            return text  # letters start only the bool and null words (yes, False, null...)
        tag = self.parser.resolve(yaml.ScalarNode, text, event.implicit)  # type: ignore[no-untyped-call]
        return self.parser.construct_object(
            yaml.ScalarNode(tag, text, event.start_mark, event.end_mark), deep=True)

    def _key(self, frame: list[Any], key: Any, line: int) -> None:
        container = frame[0]
        if key in container:
            raise CistreamsError(f"duplicate key {key!r} (first defined on line "
                                 f"{container.key_lines[key]})", Location(self.name, line))
        frame[1], frame[2] = key, line

    def _substitute(self, text: str, line: int) -> str:
        assert self.formatter is not None
        if not self.stack:
            return self.formatter(text, Location(self.name, line))
        return self._format(text, line)

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

"""Documents of one shape share a layout: compile it once, then only fill in the scalars.

A block-style document's text is fixed by its shape (the keys, nesting and which values are
scalars) except for the scalars themselves, and each scalar's column and indent are fixed by
the shape too. So the first document of a shape is laid out by layout's writer with every
scalar replaced by a hole, and later documents of that shape (8,750 BuildConfigs in a
10,000-stream run share one or two) are written by filling the holes with the very same
scalar writer. The bytes are those of layout; tests compare both with PyYAML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cistreams.yamlengine.layout import BOOL_TAG, INT_TAG, STR_TAG, ScalarWriter, TreeWriter, Unsupported

_HOLE = "\x00"  # never part of a key the writer accepts (keys must be plain text)
Shape = Any
Slot = tuple[int, int]


class _NoCache(dict[Any, Any]):
    def get(self, *_: Any) -> None:
        return None


class _Recorder(TreeWriter):
    """layout's layout with a hole, and its (column, indent), for every scalar."""

    def __init__(self, scalar: ScalarWriter, sort_keys: bool,
                 shape_of: Callable[[Any], Shape]) -> None:
        super().__init__(scalar, sort_keys)
        self._strings = _NoCache()
        self.slots: list[Slot] = []
        self._shape_of = shape_of
        self._memo: dict[tuple[Shape, int, bool], tuple[str, list[Slot]]] = {}

    def _mapping(self, node: dict[Any, Any], indent: int, first_inline: bool) -> None:
        """Sequence items of one shape lay out alike (with holes): a DaemonSet's thousands
        of containers are laid out once. (Only items: the shape of an enclosing mapping
        would cost a walk of everything below it.)"""
        if not first_inline or indent == 0:  # a mapping value, or the document itself
            super()._mapping(node, indent, first_inline)
            return
        key = (self._shape_of(node), indent, first_inline)
        known = self._memo.get(key)
        if known is not None:
            self._out.append(known[0])
            self.slots.extend(known[1])
            return
        out_start, slots_start = len(self._out), len(self.slots)
        super()._mapping(node, indent, first_inline)
        text = "".join(self._out[out_start:])
        del self._out[out_start:]
        self._out.append(text)
        self._memo[key] = (text, self.slots[slots_start:])

    def _string(self, value: str, column: int, indent: int) -> str:
        self.slots.append((column, indent))
        return _HOLE

    def _leaf(self, value: Any, column: int, indent: int) -> None:
        if type(value) in (dict, list):
            super()._leaf(value, column, indent)  # an empty collection: fixed text
            return
        if type(value) not in (str, int, bool):
            raise Unsupported(f"values of type {type(value).__name__}")
        self.slots.append((column, indent))
        self._out.append(_HOLE)


class TemplateWriter:
    """Writes documents through per-shape templates; one instance per dump."""

    def __init__(self, scalar: ScalarWriter, sort_keys: bool) -> None:
        self._scalar = scalar
        self._sort_keys = sort_keys
        self._templates: dict[Shape, tuple[list[str], list[Slot]]] = {}
        self._strings: dict[tuple[str, int, int], str] = {}
        self._orders: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def document(self, root: Any) -> str:
        """The text of one document (no separator), as layout's TreeWriter writes it."""
        leaves: list[Any] = []
        shape = self._shape(root, leaves, set())
        template = self._templates.get(shape)
        if template is None:
            template = self._compile(root)
            self._templates[shape] = template
        fragments, slots = template
        parts = [fragments[0]]
        strings = self._strings
        for value, slot, fragment in zip(leaves, slots, fragments[1:], strict=True):
            text = strings.get((value, *slot)) if type(value) is str else None
            parts.append(text if text is not None else self._fill(value, *slot))
            parts.append(fragment)
        return "".join(parts)

    def _compile(self, root: Any) -> tuple[list[str], list[Slot]]:
        recorder = _Recorder(self._scalar, self._sort_keys,
                             lambda node: self._shape(node, [], set()))
        fragments = recorder.document(root).split(_HOLE)
        if len(fragments) != len(recorder.slots) + 1:
            raise Unsupported("a hole marker inside the text")
        return fragments, recorder.slots

    def _fill(self, value: Any, column: int, indent: int) -> str:
        kind = type(value)
        if kind is str:
            text = self._strings.get((value, column, indent))
            if text is None:
                text = self._scalar(value, STR_TAG, column, indent, False)[0]
                if len(value) < 256:  # long values (Dockerfiles) are unique
                    self._strings[(value, column, indent)] = text
            return text
        if kind is bool:
            return self._scalar("true" if value else "false", BOOL_TAG, column, indent, False)[0]
        return self._scalar(str(value), INT_TAG, column, indent, False)[0]

    def _shape(self, node: Any, leaves: list[Any], seen: set[int]) -> Shape:
        """The layout-relevant structure of `node`; scalars go to `leaves` in writing order."""
        kind = type(node)
        if kind is str or kind is int or kind is bool:
            leaves.append(node)
            return kind
        if kind is dict or kind is list:
            if id(node) in seen:
                raise Unsupported("an object appears twice (PyYAML would write an alias)")
            seen.add(id(node))
            if kind is list:
                return ("L", *[self._shape(item, leaves, seen) for item in node])
            shape: list[Any] = ["D"]
            for key, value in self._items(node):
                value_kind = type(value)
                if value_kind is str or value_kind is int or value_kind is bool:
                    leaves.append(value)  # inline: most values are scalars
                    shape.append((key, value_kind))
                else:
                    shape.append((key, self._shape(value, leaves, seen)))
            return tuple(shape)
        raise Unsupported(f"values of type {kind.__name__}")

    def _items(self, node: dict[Any, Any]) -> Any:
        if not self._sort_keys:
            return node.items()
        keys = tuple(node)
        order = self._orders.get(keys)  # objects of one kind repeat their key sets
        if order is None:
            try:
                order = tuple(sorted(keys))
            except TypeError:
                raise Unsupported("keys that cannot be sorted") from None
            self._orders[keys] = order
        return [(key, node[key]) for key in order]

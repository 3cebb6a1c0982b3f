"""The block-style layout both YAML writers share: mappings, sequences, `{}` and `[]`.

PyYAML's emitters (the pure-Python one and libyaml) lay out block collections the same way
for the shapes we write: a mapping's keys start at its indent, a sequence under a mapping
key is not indented ("indentless"), the first entry of a collection that is a sequence item
follows the "- " on the same line, and empty collections are written in flow style. Only
scalars differ between the two writers, so the scalar writer is a parameter.

Anything outside our shapes (a value of another type, a key that is not a short plain
string, an object reachable twice in one document, which PyYAML would write as an anchor
and alias) raises `Unsupported`, and the caller falls back to PyYAML itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from yaml import ScalarNode
from yaml.resolver import Resolver

_SIMPLE = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*\Z")
# Letter-initial words PyYAML's resolver reads as booleans or null (any capitalisation).
_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "null"})


def is_simple_plain(text: str) -> bool:
    """True for text both writers always write plain, as a string, with no analysis: a
    letter, then letters, digits and `_./-` (no spaces, indicators or resolvable words)."""
    return _SIMPLE.match(text) is not None and text.lower() not in _WORDS


class Unsupported(Exception):
    """The fast writer cannot prove its output equals PyYAML's; use PyYAML instead."""


# (text, tag, column, indent, is_key) -> the characters written and the column after them.
ScalarWriter = Callable[[str, str, int, int, bool], tuple[str, int]]

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
BOOL_TAG = "tag:yaml.org,2002:bool"
# Deeper nesting than this never happens in our objects; the folding rules near the line
# width get subtle there, so PyYAML handles it.
MAX_INDENT = 40


class TreeWriter:
    """Writes one document's block collections, delegating every scalar to `scalar`."""

    def __init__(self, scalar: ScalarWriter, sort_keys: bool) -> None:
        self._scalar = scalar
        self._sort_keys = sort_keys
        self._out: list[str] = []
        self._seen: set[int] = set()
        self._keys: dict[tuple[str, int], str] = {}
        self._strings: dict[tuple[str, int, int], str] = {}

    def document(self, root: Any) -> str:
        """The text of one document whose root is a non-empty mapping (no separator)."""
        if type(root) is not dict or not root:
            raise Unsupported("a document must be a non-empty mapping")
        self._out = []
        self._seen = set()
        self._mapping(root, 0, first_inline=True)
        self._out.append("\n")
        return "".join(self._out)

    def _enter(self, node: dict[Any, Any] | list[Any]) -> None:
        if id(node) in self._seen:
            raise Unsupported("an object appears twice (PyYAML would write an alias)")
        self._seen.add(id(node))

    def _key(self, key: Any, indent: int) -> str:
        """`key:` for a block mapping at `indent`; keys must come out as short plain text."""
        cached = self._keys.get((key, indent)) if type(key) is str else None
        if cached is not None:
            return cached
        if type(key) is not str or not key or len(key) > 100:
            raise Unsupported("mapping keys must be short non-empty strings")
        text, _ = self._scalar(key, STR_TAG, indent, indent + 2, True)
        if text != key:
            raise Unsupported("a mapping key that is not plain text")
        self._keys[(key, indent)] = text + ":"
        return text + ":"

    def _items(self, node: dict[Any, Any]) -> list[tuple[Any, Any]]:
        if not self._sort_keys:
            return list(node.items())
        try:  # keys are unique, so the values are never compared
            return sorted(node.items())
        except TypeError:
            raise Unsupported("keys that cannot be sorted") from None

    def _mapping(self, node: dict[Any, Any], indent: int, first_inline: bool) -> None:
        if indent > MAX_INDENT or id(node) in self._seen:
            raise Unsupported("nesting too deep, or an object PyYAML would write as an alias")
        self._seen.add(id(node))
        out, keys, strings = self._out, self._keys, self._strings
        pad = "\n" + " " * indent
        for number, (key, value) in enumerate(self._items(node)):
            if number or not first_inline:
                out.append(pad)
            head = keys.get((key, indent)) if type(key) is str else None
            if head is None:
                head = self._key(key, indent)
            out.append(head)
            if type(value) is str:  # most values: one cached lookup
                column = indent + len(head)
                text = strings.get((value, column, indent + 2))
                if text is None:
                    text = self._string(value, column, indent + 2)
                out.append(text)
            else:
                self._value(value, indent, indent + len(head))

    def _string(self, value: str, column: int, indent: int) -> str:
        text, _ = self._scalar(value, STR_TAG, column, indent, False)
        if len(value) < 256:  # long values (Dockerfiles) are unique; do not keep them
            self._strings[(value, column, indent)] = text
        return text

    def _value(self, value: Any, indent: int, column: int) -> None:
        """A mapping value after `key:` (the key starts at `indent`, `:` ends at `column`)."""
        kind = type(value)
        if kind is dict and value:
            self._mapping(value, indent + 2, first_inline=False)
        elif kind is list and value:
            self._sequence(value, indent, first_inline=False)  # indentless, as PyYAML does
        else:
            self._leaf(value, column, indent + 2)

    def _sequence(self, node: list[Any], indent: int, first_inline: bool) -> None:
        if indent > MAX_INDENT:
            raise Unsupported("nesting too deep")
        self._enter(node)
        out = self._out
        pad = "\n" + " " * indent
        for number, item in enumerate(node):
            out.append("-" if number == 0 and first_inline else pad + "-")
            kind = type(item)
            if kind is dict and item:
                out.append(" ")
                self._mapping(item, indent + 2, first_inline=True)
            elif kind is list and item:
                out.append(" ")
                self._sequence(item, indent + 2, first_inline=True)
            else:
                self._leaf(item, indent + 1, indent + 2)

    def _leaf(self, value: Any, column: int, indent: int) -> None:
        """A scalar or an empty collection written after an indicator ending at `column`."""
        kind = type(value)
        if kind is str:
            text, _ = self._scalar(value, STR_TAG, column, indent, False)
        elif kind is bool:
            text, _ = self._scalar("true" if value else "false", BOOL_TAG, column, indent, False)
        elif kind is int:
            text, _ = self._scalar(str(value), INT_TAG, column, indent, False)
        elif kind is dict:
            self._enter(value)
            text = " {}"
        elif kind is list:
            self._enter(value)
            text = " []"
        else:
            raise Unsupported(f"values of type {kind.__name__}")
        self._out.append(text)


# --- scalar rules both writers share (PyYAML and libyaml agree on these) -------------------

_LEADING_INDICATOR = "#,[]{}&*!|>'\"%@`"
_BLANKZ = "\0 \t\r\n\x85\u2028\u2029"
_BLOCK_INDICATOR = re.compile(r":(?=[\0 \t\r\n\x85\u2028\u2029]|\Z)|(?<=[\0 \t\r\n\x85\u2028\u2029])#")
_ESCAPES = {"\0": "0", "\x07": "a", "\x08": "b", "\t": "t", "\n": "n", "\x0b": "v",
            "\x0c": "f", "\r": "r", "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N",
            "\xa0": "_", "\u2028": "L", "\u2029": "P"}
_RESOLVER = Resolver()


def plain_tag(text: str) -> str:
    """The tag PyYAML's resolver gives `text` written as a plain scalar."""
    tag: str = _RESOLVER.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return tag


def has_block_indicator(text: str) -> bool:
    """True when non-empty `text` cannot be a plain scalar in block context (indicators)."""
    if text.startswith(("---", "...")) or text[0] in _LEADING_INDICATOR:
        return True
    if text[0] in "?:-" and (len(text) == 1 or text[1] in _BLANKZ):
        return True
    return _BLOCK_INDICATOR.search(text) is not None


def escape_char(ch: str) -> str:
    """A character as a double-quoted YAML escape."""
    if ch in _ESCAPES:
        return "\\" + _ESCAPES[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"

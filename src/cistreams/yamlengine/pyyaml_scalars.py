"""Scalars exactly as PyYAML's pure-Python emitter writes them for `yaml.Dumper` defaults.

doozer wrote its output with `yaml.dump_all(objects, default_flow_style=False)`: line width
80, indent 2, ASCII only. This module reproduces that emitter's choice between plain,
single-quoted and double-quoted styles and its folding of long lines, but works on runs of
characters (with caches for repeated lines) instead of one character at a time. PyYAML's
own resolver decides whether a plain scalar would read back as a string. The rules are
checked against `yaml.dump_all` by the tests; nothing here is copied from PyYAML.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from cistreams.yamlengine.layout import (
    STR_TAG,
    Unsupported,
    escape_char,
    has_block_indicator,
    is_simple_plain,
    plain_tag,
)

WIDTH = 80
_BREAKS = "\n\x85\u2028\u2029"
_SPECIAL = re.compile(r"[^\n\x20-\x7e]")  # anything else needs a double-quoted escape
_BREAK_SPACE = re.compile(r"\n ")
_SPACE_BREAK = re.compile(r" \n")
_LINE_PIECES = re.compile(r" +|[^ ]+")
_DQ_PIECES = re.compile(r"[^\x20-\x7e]|[\"\\]| |[\x21\x23-\x5b\x5d-\x7e]+")


class Analysis(NamedTuple):
    """What PyYAML's analyze_scalar decides, reduced to what block context needs."""

    multiline: bool
    plain: bool  # allowed as a block plain scalar
    single: bool  # allowed single-quoted


def analyze(text: str) -> Analysis:
    """The styles PyYAML allows for `text` in block context (allow_unicode off)."""
    if not text:
        return Analysis(False, True, True)
    multiline = any(ch in text for ch in _BREAKS)
    if text.isascii():  # the common case, without a regex scan of a whole Dockerfile
        special = not text.replace("\n", "").isprintable()
    else:
        special = _SPECIAL.search(text) is not None
    single = not (special or _SPACE_BREAK.search(text) or _BREAK_SPACE.search(text))
    plain = single and not multiline and text[0] != " " and text[-1] != " "
    if plain and has_block_indicator(text):
        plain = False
    return Analysis(multiline, plain, single)



def choose_style(text: str, tag: str, is_key: bool) -> str:
    """'' (plain), "'" or '"', as PyYAML's choose_scalar_style picks in block context."""
    if tag == STR_TAG and is_simple_plain(text):
        return ""
    analysis = analyze(text)
    implicit_plain = plain_tag(text) == tag
    if implicit_plain and analysis.plain and not (is_key and not text):
        return ""
    if tag != STR_TAG:
        raise Unsupported("a non-string scalar that needs a tag")
    if analysis.single and not (is_key and analysis.multiline):
        return "'"
    return '"'


class PyYamlScalars:
    """A scalar writer for layout with caches that live as long as one dump."""

    def __init__(self) -> None:
        self._whole: dict[tuple[str, str, int, int, bool], tuple[str, int]] = {}
        self._lines: dict[tuple[str, object, int, int, bool, bool], tuple[str, int]] = {}

    def __call__(self, text: str, tag: str, column: int, indent: int,
                 is_key: bool) -> tuple[str, int]:
        """The characters written for `text` after `column`, and the column after them."""
        cacheable = len(text) < 256
        key = (text, tag, column, indent, is_key)
        if cacheable and key in self._whole:
            return self._whole[key]
        style = choose_style(text, tag, is_key)
        # A key comes right after an indent (whitespace), a value after ':' or '-'.
        lead = "" if is_key else " "
        if style == "":
            result = self._plain(text, column + len(lead), indent, not is_key)
            result = (lead + result[0], result[1])
        elif style == "'":
            result = self._single(text, column + len(lead) + 1, indent, not is_key)
            result = (lead + "'" + result[0] + "'", result[1] + 1)
        else:
            result = self._double(text, column + len(lead) + 1, indent, not is_key)
            result = (lead + '"' + result[0] + '"', result[1] + 1)
        if cacheable:
            self._whole[key] = result
        return result

    @staticmethod
    def _plain(text: str, column: int, indent: int, split: bool) -> tuple[str, int]:
        """write_plain: a single space after column WIDTH becomes a line break."""
        if not split or column + len(text) <= WIDTH + 1:
            return text, column + len(text)
        return _fold_line(text, column, indent, at_start=True, at_end=True, quote=False)

    def _single(self, text: str, column: int, indent: int, split: bool) -> tuple[str, int]:
        """write_single_quoted, one line at a time; a run of n breaks writes n+1 breaks."""
        parts: list[str] = []
        lines = re.split(r"(\n+)", text)
        last = len(lines) - 1
        for number, piece in enumerate(lines):
            if number % 2:
                parts.append("\n" * (len(piece) + 1) + " " * indent)
                column = indent
                continue
            key = (piece, "'", column, indent, number == 0, number == last)
            done = self._lines.get(key) if split else None
            if done is None:
                done = (_fold_line(piece, column, indent, number == 0, number == last, True)
                        if split else _quote_line(piece, column))
                if split:
                    self._lines[key] = done
            parts.append(done[0])
            column = done[1]
        return "".join(parts), column

    def _double(self, text: str, column: int, indent: int, split: bool) -> tuple[str, int]:
        """write_double_quoted, one segment per escaped line break (the state resets there)."""
        if not split:
            escaped = "".join(escape_char(ch) if _needs_escape(ch) else ch for ch in text)
            return escaped, column + len(escaped)
        parts: list[str] = []
        pieces = [line + "\n" for line in text.split("\n")]
        pieces[-1] = pieces[-1][:-1]
        if not pieces[-1]:
            pieces.pop()
        last = len(pieces) - 1
        for number, piece in enumerate(pieces):
            # A break after the segment's last escape escapes a space that starts the next.
            space_next = number < last and pieces[number + 1][0] == " "
            key = (piece, space_next, column, indent, number == 0, number == last)
            done = self._lines.get(key)
            if done is None:
                done = _double_segment(piece, space_next, column, indent, number == 0,
                                       number == last)
                self._lines[key] = done
            parts.append(done[0])
            column = done[1]
        return "".join(parts), column


def _quote_line(line: str, column: int) -> tuple[str, int]:
    written = line.replace("'", "''")
    return written, column + len(written)


def _fold_line(line: str, column: int, indent: int, at_start: bool, at_end: bool,
               quote: bool) -> tuple[str, int]:
    """One line of a plain or single-quoted scalar: a lone space is replaced by a line
    break when the text before it ends past column WIDTH (never at the scalar's ends)."""
    parts: list[str] = []
    pieces = _LINE_PIECES.findall(line)
    last = len(pieces) - 1
    for number, piece in enumerate(pieces):
        if piece[0] == " ":
            ends = (at_start and number == 0) or (at_end and number == last)
            if len(piece) == 1 and column > WIDTH and not ends:
                parts.append("\n" + " " * indent)
                column = indent
                continue
        elif quote:
            piece = piece.replace("'", "''")
        parts.append(piece)
        column += len(piece)
    return "".join(parts), column


def _needs_escape(ch: str) -> bool:
    return not ("\x20" <= ch <= "\x7e") or ch in '"\\'


def _double_segment(piece: str, space_next: bool, column: int, indent: int,
                    is_first: bool, is_last: bool) -> tuple[str, int]:
    """One segment of a double-quoted scalar, ending just after an escaped line break.

    PyYAML may break the line (writing `\\` and continuing on the next line at `indent`) at
    a space, right after an escape, or before the first character following an escape, when
    the text so far passes column WIDTH; never at the scalar's first or last character.
    """
    parts: list[str] = []
    start = 0  # index in `piece` of the first character not written yet
    size = len(piece)
    for match in _DQ_PIECES.finditer(piece):
        pos, token = match.start(), match.group()
        checkable = (pos > 0 or not is_first) and (pos < size - 1 or not is_last)
        if len(token) == 1 and _needs_escape(token):
            escaped = escape_char(token)
            parts.append(piece[start:pos] + escaped)
            column += pos - start + len(escaped)
            start = pos + 1
            if checkable and column - 1 > WIDTH:
                spaced = piece[start] == " " if start < size else space_next
                column = _double_break(parts, indent, spaced)
        elif token == " ":  # noqa: S105 (a space, not a password)
            if checkable and column + pos - start > WIDTH:
                parts.append(piece[start:pos])
                start = pos
                column = _double_break(parts, indent, True)
        elif start == pos and checkable and column > WIDTH:
            column = _double_break(parts, indent, False)
    parts.append(piece[start:])
    return "".join(parts), column + size - start


def _double_break(parts: list[str], indent: int, spaced: bool) -> int:
    """End the line with `\\`, continue at `indent`; a space starting it gets a `\\`."""
    parts.append("\\\n" + " " * indent + ("\\" if spaced else ""))
    return indent + 1 if spaced else indent

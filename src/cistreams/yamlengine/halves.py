"""A big YAML mapping read in two halves at once: the second by a forked child.

Parsing is the longest step that cannot wait for anything else, and a 10,000-stream
streams.yml is one top-level mapping of entries that do not depend on each other. So the
text is cut at a top-level key near its middle, a child parses the second half (preceded by
as many empty lines as the first half has, so that every line number stays the same) while
this process parses the first, and the two mappings are joined.

Both halves parse exactly as they would inside the whole text when:

* the cut line starts a plain top-level key at column 0: a block scalar, a plain scalar's
  continuation or a nested collection of the first half cannot extend past it, and a quoted
  scalar or flow collection still open would make the first half fail to parse;
* no line other than the first starts a document (`---`), ends one (`...`) or is a
  directive (`%`), and no line break other than `\\n` and `\\r\\n` appears (libyaml counts
  those as line breaks too, which would shift the line numbers);
* nothing in either half needs the formatter to report a problem, since a child's report
  would be lost: substitution in the halves takes only the quick path;
* the halves share no key (the whole file would be a duplicate-key error).

Whenever any of that is not so, or either side fails in any way, `UNSUITED` is returned and
the caller parses the whole text as usual, which reports every problem in its own words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cistreams.errors import Location
from cistreams.yamlengine import forkjoin

UNSUITED: Any = object()
# Below this size (about 1,800 streams) a fork costs more than half a parse saves.
MIN_CHARS = 1_000_000
_TOP_LEVEL_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*:(?:[ \t]|$)", re.MULTILINE)
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.|%)", re.MULTILINE)
_LEADING_BLANKS = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*")  # blank and comment lines
_ODD_BREAKS = ("\x85", "\u2028", "\u2029")

Formatter = Callable[[str, Location], str]
# (text, formatter) -> the parsed document (a mapping), or something else if it is not one
LoadPart = Callable[[str, Formatter | None], Any]


class _NeedsWholeText(Exception):
    """A half needs what only a parse of the whole text may do (report a problem)."""


def split(text: str) -> tuple[str, str] | None:
    """The two halves (the second padded with empty lines), or None if no safe cut exists."""
    if text.startswith("%") or _DOCUMENT_MARKER.search(text, 1) is not None:
        return None
    if ("\r" in text and "\r" in text.replace("\r\n", "")) or any(b in text for b in _ODD_BREAKS):
        return None
    content = _LEADING_BLANKS.match(text)
    if content is None or _TOP_LEVEL_KEY.match(text, content.end()) is None:
        return None  # the document is not a block mapping at column 0
    cut = _TOP_LEVEL_KEY.search(text, len(text) // 2)
    if cut is None or cut.start() == 0:
        return None
    first = text[:cut.start()]
    return first, "\n" * first.count("\n") + text[cut.start():]


def load(text: str, load_part: LoadPart, map_type: type[dict[Any, Any]],
         formatter: Formatter | None) -> Any:
    """The whole text's top-level mapping, from two halves parsed at once; or UNSUITED."""
    quick = getattr(formatter, "quick", None)
    if len(text) < MIN_CHARS or (formatter is not None and quick is None):
        return UNSUITED
    halves = split(text)
    if halves is None or not forkjoin.can_fork():
        return UNSUITED
    strict = _QuickOnly(quick) if quick is not None else None
    with forkjoin.Forked(lambda: load_part(halves[1], strict)) as child:
        try:
            first = load_part(halves[0], strict)
        except Exception:
            return UNSUITED  # the whole text is parsed again, and fails in its own words
        if type(first) is not map_type:
            return UNSUITED
        done, second = child.result()
    if not done or type(second) is not map_type:
        return UNSUITED
    return _joined(first, second)


class _QuickOnly:
    """A formatter for the halves: the quick path, or no answer at all."""

    def __init__(self, quick: Callable[[str], str | None]) -> None:
        self.quick = quick

    def __call__(self, text: str, where: Location) -> str:
        result = self.quick(text)
        if result is None:
            raise _NeedsWholeText
        return result


def _joined(first: Any, second: Any) -> Any:
    # Only text keys: a float NaN, say, is not equal to itself, so a duplicate could hide.
    if any(type(key) is not str or key in first for key in second):
        return UNSUITED  # a duplicate key (or an odd one): the whole parse reports it
    for key, value in second.items():
        first[key] = value
        first.key_lines[key] = second.key_lines[key]
    return first

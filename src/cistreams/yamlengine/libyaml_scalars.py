"""Scalars as the readable writer puts them: libyaml's choices, width 4096, unicode allowed.

The readable output used to come from PyYAML's libyaml dumper with strings containing a
newline requested as literal blocks. This writer makes the same choices for the scalars it
is sure about (plain, single-quoted and double-quoted text that fits on one line, literal
blocks with plain or `-` chomping) and raises Unsupported for the rest (lines long enough to
fold, unusual line breaks, `+` chomping, indentation indicators), so those dumps still go
through libyaml and the bytes never change.
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

WIDTH = 4096
# libyaml's printable set when unicode is allowed (no NEL, no astral planes, no BOM).
_SPECIAL = re.compile(r"[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
_ODD_BREAKS = re.compile(r"[\r\x85\u2028\u2029]")
_NEEDS_ESCAPE = re.compile(r'[^\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]|["\\]')


class Analysis(NamedTuple):
    """libyaml's analysis of a scalar, reduced to what block context needs."""

    multiline: bool
    plain: bool
    single: bool
    block: bool


def analyze(text: str) -> Analysis:
    """The styles libyaml allows for `text` in block context (unicode allowed)."""
    if not text:
        return Analysis(False, True, True, False)
    if text.isascii():  # the common case, without regex scans of a whole Dockerfile
        if "\r" in text:
            raise Unsupported("line breaks other than \\n")
        special = not text.replace("\n", "").isprintable()
    else:
        if _ODD_BREAKS.search(text):
            raise Unsupported("line breaks other than \\n")
        special = _SPECIAL.search(text) is not None
    multiline = "\n" in text
    # Spaces before a break, and special characters, leave only double quotes.
    hopeless = " \n" in text or special
    single = not hopeless and "\n " not in text
    block = not hopeless and text[-1] != " "
    plain = (single and not multiline and text[0] != " " and text[-1] != " "
             and not has_block_indicator(text))
    return Analysis(multiline, plain, single, block)



class LibYamlScalars:
    """A scalar writer for layout; the cache lives as long as one dump."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, int, bool], str] = {}

    def __call__(self, text: str, tag: str, column: int, indent: int,
                 is_key: bool) -> tuple[str, int]:
        """The characters written for `text` after `column`; the column is not tracked
        after a literal block (nothing follows one on its line)."""
        key = (text, tag, indent, is_key)
        written = self._cache.get(key) if len(text) < 256 else None
        if written is None:
            written = _scalar(text, tag, indent, is_key)
            if len(text) < 256:
                self._cache[key] = written
        if "\n" not in written and column + len(written) > WIDTH:
            raise Unsupported("a line long enough for libyaml to fold")
        return written, column + len(written)


def _scalar(text: str, tag: str, indent: int, is_key: bool) -> str:
    lead = "" if is_key else " "
    if tag == STR_TAG and is_simple_plain(text):
        return lead + text
    analysis = analyze(text)
    literal = tag == STR_TAG and "\n" in text  # the readable representer asks for "|"
    if literal and not is_key:
        if analysis.block:
            return lead + _literal(text, indent)
        return lead + _double(text)
    implicit = plain_tag(text) == tag
    if implicit and analysis.plain and (text or not is_key):
        return lead + text
    if tag != STR_TAG:
        raise Unsupported("a non-string scalar that needs a tag")
    if analysis.single and not analysis.multiline:
        return lead + "'" + text.replace("'", "''") + "'"
    if analysis.multiline:
        raise Unsupported("a multi-line key")
    return lead + _double(text)


def _literal(text: str, indent: int) -> str:
    """A `|` block: clip chomping for one final newline, `-` for none, else libyaml."""
    if text[0] in " \n":
        raise Unsupported("a literal block that needs an indentation indicator")
    if text.endswith("\n\n"):
        raise Unsupported("a literal block that needs keep chomping")
    body = text[:-1] if text.endswith("\n") else text
    pad = " " * indent
    lines = "\n".join(pad + line if line else "" for line in body.split("\n"))
    return ("|\n" if text.endswith("\n") else "|-\n") + lines


def _double(text: str) -> str:
    """A double-quoted scalar on one line with libyaml's escapes."""
    return '"' + _NEEDS_ESCAPE.sub(lambda m: escape_char(m.group()), text) + '"'

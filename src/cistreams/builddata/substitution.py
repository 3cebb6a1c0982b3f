"""`{MAJOR}.{MINOR}`-style placeholders in build data, the doozer way and the safe way."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from cistreams import yamlio
from cistreams.errors import CistreamsError, Location, Problems
from cistreams.yamlio import MarkedMap, MarkedSeq, line_of

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")

Formatter = Callable[[str, Location], str]


def safe_formatter(variables: Mapping[str, Any], problems: Problems,
                   unknown_is_error: bool) -> SafeFormatter:
    """Replace `{NAME}` for known names; `{{`/`}}` become braces; others stay as written.

    An unknown placeholder is a warning (streams.yml, as later doozer) or an error
    (group.yml, where a half-substituted URL would silently reach every Dockerfile).
    """
    return SafeFormatter(variables, problems, unknown_is_error)


class SafeFormatter:
    """The formatter `safe_formatter` returns: call it with the text and its location."""

    def __init__(self, variables: Mapping[str, Any], problems: Problems,
                 unknown_is_error: bool) -> None:
        self._variables = dict(variables)
        self._problems = problems
        self._unknown_is_error = unknown_is_error
        # names with braces can never match the regex, so they cannot be known here either
        self._known = [("{" + name + "}", str(value)) for name, value in self._variables.items()
                       if isinstance(name, str) and "{" not in name and "}" not in name]
        # plain replaces equal the regex pass only when no value brings braces of its own
        self._replaces_suffice = not any("{" in v or "}" in v for _, v in self._known)

    def quick(self, text: str) -> str | None:
        """The result when every brace in `text` belongs to a known placeholder (the common
        case, which cannot produce a problem and so needs no location); else None.

        Then the text is brace-free pieces and `{NAME}` tokens, and brace-free values cannot
        form a new token, so replacing one name after another equals the regex's one pass.
        """
        if not self._replaces_suffice:
            return None
        present = [(token, value, text.count(token)) for token, value in self._known
                   if token in text]
        opened = sum(count for _, _, count in present)
        if opened != text.count("{") or opened != text.count("}"):
            return None  # an unknown placeholder, {{, }}, or a stray brace: the regex pass
        for token, value, _ in present:
            text = text.replace(token, value)
        return text

    def __call__(self, text: str, where: Location) -> str:
        if "{" not in text and "}" not in text:
            return text
        quick = self.quick(text)
        return quick if quick is not None else _PLACEHOLDER.sub(
            lambda match: self._one(match, where), text)

    def _one(self, match: re.Match[str], where: Location) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name in self._variables:
            return str(self._variables[name])
        message = f"unknown placeholder {token}; left as written (known: " \
                  f"{', '.join(sorted(map(str, self._variables))) or 'none'})"  # YAML keys: 12 too
        if self._unknown_is_error:
            self._problems.error(message.replace("; left as written", ""), where)
        else:
            self._problems.warn(message, where)
        return token


def doozer_formatter(variables: Mapping[str, Any]) -> Formatter:
    """Python's `str.format(**vars)`, as doozer 2020 applied it to group.yml (hard errors)."""
    def replace(text: str, where: Location) -> str:
        try:
            return text.format(**variables)
        except KeyError as exc:
            raise CistreamsError(f"template key {{{exc.args[0]}}} but no value was provided "
                                 "in vars", where) from None
        except (ValueError, IndexError, AttributeError) as exc:
            raise CistreamsError(f"cannot substitute vars: {exc} (write literal braces as "
                                 "{{ and }})", where) from None
    return replace


def substitute_tree(data: Any, fmt: Formatter, where: Location, *, sort_keys: bool = False) -> Any:
    """A copy of loaded YAML with `fmt` applied to every string key and value.

    Line marks are kept. `sort_keys` reproduces doozer 2020, which re-dumped group.yml with
    sorted keys before substituting (the reason local-dev repos come out alphabetically).
    """
    if isinstance(data, str):
        return fmt(data, where) if _has_brace(data) else data
    if isinstance(data, list):
        items = MarkedSeq(_child(v, fmt, where, i, line_of(data, i), sort_keys)
                          for i, v in enumerate(data))
        items.line = getattr(data, "line", where.line or 0)
        items.item_lines = list(getattr(data, "item_lines", []))
        return items
    if isinstance(data, dict):
        result = MarkedMap()
        result.line = getattr(data, "line", where.line or 0)
        result.key_lines = {}
        result.source = getattr(data, "source", where.file)
        pairs = sorted(data.items(), key=_sort_key) if sort_keys else data.items()
        for key, value in pairs:
            line = line_of(data, key)
            new_key = key
            if isinstance(key, str) and _has_brace(key):
                new_key = fmt(key, where.child(key, line))
            result[new_key] = _child(value, fmt, where, new_key, line, sort_keys)
            result.key_lines[new_key] = line or result.line
        return result
    return data


def _has_brace(text: str) -> bool:
    return "{" in text or "}" in text


def _child(value: Any, fmt: Formatter, where: Location, key: Any, line: int | None,
           sort_keys: bool) -> Any:
    """substitute_tree one level down; plain strings (the bulk of a file) skip the Location."""
    if isinstance(value, str) and not _has_brace(value):
        return value
    if not isinstance(value, str | list | dict):
        return value
    return substitute_tree(value, fmt, where.child(key, line), sort_keys=sort_keys)


def _sort_key(item: tuple[Any, Any]) -> tuple[str, str]:
    key = item[0]
    return (type(key).__name__, str(key)) if not isinstance(key, str) else ("", key)


def doozer_redump(raw: Any, variables: Mapping[str, Any], substituted: Any,
                  where: Location) -> Any:
    """group.yml as doozer 2020 really loaded it: safe_dump (sorted), str.format, reload.

    `substituted` (the same substitution applied value by value, keeping line marks) is
    returned whenever the real text round trip yields the same data in the same order. It
    does not always: an empty mapping is dumped as `{}`, a positional placeholder that
    str.format rejects; a var holding a quote ends its quoted scalar; a plain scalar such as
    `1{E}` may read back as a number. Then doozer's result (or failure) wins.
    """
    try:
        text = yaml.safe_dump(_plain(raw), default_flow_style=False).format(**variables)
    except KeyError as exc:
        raise CistreamsError(f"template key {{{exc.args[0]}}} but no value was provided "
                             "in vars", where) from None
    except (ValueError, IndexError, AttributeError, TypeError) as exc:
        hint = " (an empty mapping {} anywhere in group.yml did this to doozer 2020)" \
            if isinstance(exc, IndexError) else ""
        raise CistreamsError(f"doozer 2020 re-dumped group.yml and str.format'ed it with "
                             f"vars, which fails: {exc}{hint}", where) from None
    try:
        reloaded = yamlio.load(text, where.file)
    except CistreamsError as exc:
        raise CistreamsError(f"doozer 2020 re-dumped group.yml and substituted vars into the "
                             f"text, which is then no longer valid YAML ({exc.message})",
                             where) from None
    return substituted if _same(substituted, reloaded) else reloaded


def _plain(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_plain(value) for value in data]
    return data


def _same(a: Any, b: Any) -> bool:
    """Equal data, key order and scalar types included."""
    if isinstance(a, dict) and isinstance(b, dict):
        return ([(type(k), k) for k in a] == [(type(k), k) for k in b]
                and all(_same(a[k], b[k]) for k in a))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b

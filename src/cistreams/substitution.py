"""`{MAJOR}.{MINOR}`-style placeholders in build data, the doozer way and the safe way."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from cistreams.errors import CistreamsError, Location, Problems
from cistreams.yamlio import MarkedMap, MarkedSeq, line_of

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")

Formatter = Callable[[str, Location], str]


def safe_formatter(variables: Mapping[str, Any], problems: Problems,
                   unknown_is_error: bool) -> Formatter:
    """Replace `{NAME}` for known names; `{{`/`}}` become braces; others stay as written.

    An unknown placeholder is a warning (streams.yml, as later doozer) or an error
    (group.yml, where a half-substituted URL would silently reach every Dockerfile).
    """
    def replace(text: str, where: Location) -> str:
        if "{" not in text and "}" not in text:
            return text

        def one(match: re.Match[str]) -> str:
            token = match.group(0)
            if token in ("{{", "}}"):
                return token[0]
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            message = f"unknown placeholder {token}; left as written (known: " \
                      f"{', '.join(sorted(variables)) or 'none'})"
            if unknown_is_error:
                problems.error(message.replace("; left as written", ""), where)
            else:
                problems.warn(message, where)
            return token

        return _PLACEHOLDER.sub(one, text)

    return replace


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
        return fmt(data, where)
    if isinstance(data, list):
        items = MarkedSeq(substitute_tree(v, fmt, where.child(i, line_of(data, i)),
                                          sort_keys=sort_keys) for i, v in enumerate(data))
        items.line = getattr(data, "line", where.line or 0)
        items.item_lines = list(getattr(data, "item_lines", []))
        return items
    if isinstance(data, dict):
        result = MarkedMap()
        result.line = getattr(data, "line", where.line or 0)
        result.key_lines = {}
        pairs = sorted(data.items(), key=_sort_key) if sort_keys else data.items()
        for key, value in pairs:
            line = line_of(data, key)
            new_key = fmt(key, where.child(key, line)) if isinstance(key, str) else key
            result[new_key] = substitute_tree(value, fmt, where.child(new_key, line),
                                              sort_keys=sort_keys)
            result.key_lines[new_key] = line or result.line
        return result
    return data


def _sort_key(item: tuple[Any, Any]) -> tuple[str, str]:
    key = item[0]
    return (type(key).__name__, str(key)) if not isinstance(key, str) else ("", key)

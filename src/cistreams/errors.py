"""One family of exceptions for mistakes a user can fix, each pointing at where it happened."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

# Everything that could end a line of output (str.splitlines breaks on all of these) or move
# the cursor: C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """`text` with control characters shown as backslash escapes (a newline as `\\n`).

    A name from the build data may hold a newline; escaped, one problem stays one line of
    output and a crafted name cannot forge a line of its own. Backslashes are left alone, so
    escaping twice changes nothing.
    """
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    return f"\\x{ord(char):02x}" if ord(char) <= 0xFF else f"\\u{ord(char):04x}"


class FileRead(NamedTuple):
    """A build-data file a run read: its name as the user knows it, its resolved path and
    its identity (st_dev, st_ino), so that the output can never overwrite it."""

    display: str
    path: str
    dev: int
    ino: int


@dataclass(frozen=True, order=True)
class Location:
    """Where a value came from: a file (as the user knows it), a 1-based line, a key path."""

    file: str
    line: int | None = None
    keypath: str = ""

    def child(self, key: object, line: int | None = None) -> Location:
        """The location of `key` below this one (on `line` when known)."""
        path = f"{self.keypath}.{key}" if self.keypath else str(key)
        return Location(self.file, line if line is not None else self.line, path)

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return one_line(f"{where}: {self.keypath}" if self.keypath else where)


class CistreamsError(Exception):
    """A mistake in the input or the command line that the user can fix (exit code 1)."""

    # lines shown after the error as they are, not as errors (the objects --prune would delete)
    details: tuple[str, ...] = ()

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return one_line(f"{self.location}: {self.message}" if self.location else self.message)


def as_dict(error: CistreamsError) -> dict[str, object]:
    """A JSON-friendly view of one problem (for `cistreams check --format json`)."""
    loc = error.location
    return {"file": loc.file if loc else None, "line": loc.line if loc else None,
            "key": loc.keypath if loc and loc.keypath else None, "message": error.message}


def flatten(error: CistreamsError) -> list[CistreamsError]:
    """The individual errors inside `error` (itself, unless it is an ErrorList)."""
    return list(error.errors) if isinstance(error, ErrorList) else [error]


class ErrorList(CistreamsError):
    """Several independent mistakes found in one pass, reported together."""

    def __init__(self, errors: list[CistreamsError], limit: int) -> None:
        shown = errors[:limit]
        more = len(errors) - len(shown)
        lines = [str(e) for e in shown]
        if more:
            lines.append(f"... and {more} more error(s)")
        super().__init__("\n".join(lines))
        self.errors = errors

    def __str__(self) -> str:
        return self.message  # one line per error, each already escaped


class Problems:
    """Collects errors and warnings so that one run reports every problem at once."""

    def __init__(self, limit: int = 25) -> None:
        self.errors: list[CistreamsError] = []
        self.warnings: list[str] = []
        self.warning_items: list[CistreamsError] = []
        self.limit = limit
        # every build-data file read (the loading stages add them), for the output check

    def error(self, message: str, location: Location | None = None) -> None:
        """Record a mistake; the run stops at the next `check()`."""
        self.errors.append(CistreamsError(message, location))

    def warn(self, message: str, location: Location | None = None) -> None:
        """Record something suspicious that does not stop the run."""
        item = CistreamsError(message, location)
        self.warnings.append(str(item))  # escaped: one warning, one line
        self.warning_items.append(item)

    def add(self, error: CistreamsError) -> None:
        """Record an error raised elsewhere."""
        self.errors.append(error)

    def check(self) -> None:
        """Raise every recorded error at once, sorted by file and line, if there is any."""
        if not self.errors:
            return
        ordered = sorted(self.errors, key=_error_sort_key)
        if len(ordered) == 1:
            raise ordered[0]
        raise ErrorList(ordered, self.limit)


def _error_sort_key(error: CistreamsError) -> tuple[str, int, str]:
    loc = error.location
    if loc is None:
        return ("", 0, error.message)
    return (loc.file, loc.line or 0, loc.keypath)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice `word` is most likely a misspelling of, or None."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.7)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' suffix when a close match exists, else ''."""
    close = closest(word, choices)
    return f" (did you mean '{close}'?)" if close else ""


def safe(exc: BaseException) -> str:
    """An exception's text on one line, with nothing that looks like a credential."""
    if isinstance(exc, KeyError) and exc.args:  # str() of a KeyError is just the key
        return f"'{exc.args[0]}' is missing"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return re.sub(r"(?i)(token|password|key)[\w-]*\s*[:=]\s*\S+", r"\1: <hidden>", text)

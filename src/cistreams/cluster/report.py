"""What an apply did, shown as it happens: one line per object as kubectl prints them,
written (and flushed, for a CI log on a pipe) as each object is done, in the plan's order;
then a summary. A run cut short (Ctrl-C, SIGTERM) says what it had written."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cistreams.cluster.apply import CONFIGURED, CREATED, UNCHANGED, Planned, WriteLog
from cistreams.cluster.kinds import Ref
from cistreams.errors import CistreamsError

NAMED = 10  # objects named in the message of a run cut short; the lines above name them all


class Interrupted(CistreamsError):
    """The run was cut short (Ctrl-C or SIGTERM, the KeyboardInterrupt it is raised from)
    after writing part of the objects; the message says which."""


def echo_stderr(line: str) -> None:
    """One line on standard error, flushed at once."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


@dataclass
class Report:
    """What an apply did (or, in a dry run, would do), object by object."""

    planned: list[Planned]
    dry_run: bool
    server: str
    requests: int = 0
    pruned: list[str] = field(default_factory=list)  # one line per stale object
    shown: set[int] = field(default_factory=set)  # the lines shown as they happened

    def line(self, planned: Planned) -> str:
        """One object's line."""
        suffix = " (server dry run)" if self.dry_run else ""
        return f"{planned.ref} {planned.action}{planned.note}{suffix}"

    def all_lines(self) -> list[str]:
        """One line per object, then one per stale object."""
        return [self.line(p) for p in self.planned] + self.pruned

    def lines(self) -> list[str]:
        """The lines not shown yet (ApplySession.commit shows each as its object is done)."""
        return [line for index, line in enumerate(self.all_lines()) if index not in self.shown]

    def summary(self) -> str:
        """One line: how many objects of each outcome, and how many drifted."""
        counts = {a: sum(p.action == a for p in self.planned)
                  for a in (CREATED, CONFIGURED, UNCHANGED)}
        drifted = sum(1 for p in self.planned if p.note)
        verb = "would apply" if self.dry_run else "applied"
        if self.pruned:
            counts["pruned"] = sum(" pruned" in line for line in self.pruned)
        parts = ", ".join(f"{n} {a}" for a, n in counts.items())
        extra = f" ({drifted} taken over or set back)" if drifted else ""
        return (f"{verb} {_count(len(self.planned), 'object')} to {self.server}: {parts}{extra}; "
                f"{_count(self.requests, 'request')}")


class Shown(WriteLog):
    """The write log that shows each object's line once its turn in the plan has come: the
    unchanged objects before it, then its own (a failed write is reported at the end)."""

    def __init__(self, report: Report, echo: Callable[[str], None] = echo_stderr) -> None:
        super().__init__()
        self.report = report
        self.echo = echo
        self.turn = 0  # the objects before this index in the plan had their turn
        self.position = {id(p): index for index, p in enumerate(report.planned)}
        self.stale = 0  # how many stale objects are to be pruned
        self.pruning = False

    def done(self, item: Planned, problem: str) -> None:
        """Show the lines up to `item` (its own unless it failed)."""
        index = self.position[id(item)]
        self._show_until(index)
        if not problem:
            self._show(index, self.report.line(item))
        self.turn = index + 1

    def objects_done(self) -> None:
        """Every object had its turn: show the rest (all unchanged)."""
        self._show_until(len(self.report.planned))
        self.turn = len(self.report.planned)
        self.pruning = True

    def pruned(self, _: object, line: str) -> None:
        """One stale object pruned (or left alone): its line."""
        self.report.pruned.append(line)
        self._show(len(self.report.planned) + len(self.report.pruned) - 1, line)

    def _show_until(self, index: int) -> None:
        for between in range(self.turn, index):  # unchanged: nothing to wait for
            self._show(between, self.report.line(self.report.planned[between]))

    def _show(self, index: int, line: str) -> None:
        self.echo(line)
        self.report.shown.add(index)

    def interrupted(self) -> str:
        """What was written before the run was cut short, in the house style."""
        if self.report.dry_run:
            return "interrupted during a server dry run: nothing was written"
        if self.pruning:
            pruned = [line.split(" ", 1)[0] for line in self.report.pruned]
            return (f"interrupted while pruning: all {self.writes} changed objects were "
                    f"written, {len(pruned)} of {self.stale} stale objects done"
                    f"{_named(pruned, ': ')}; run again to finish")
        in_flight = len(self.begun) - len(self.written) - len(self.failed)
        flying = f" ({in_flight} more in flight may have been written)" if in_flight else ""
        if not self.written:
            return (f"interrupted before writing any of the {self.writes} changed objects"
                    f"{flying}: run again to finish")
        by_action = {a: [p.ref for p in self.written if p.action == a]
                     for a in (CREATED, CONFIGURED)}
        done = "; ".join(f"{a} {_named(refs)}" for a, refs in by_action.items() if refs)
        return (f"interrupted after writing {len(self.written)} of {self.writes} changed "
                f"objects{flying}: {done}; the others are as they were: run again to finish")


def _named(refs: Sequence[Ref | str], prefix: str = "") -> str:
    """The first NAMED objects, comma-separated, and how many more."""
    if not refs:
        return ""
    shown = ", ".join(map(str, refs[:NAMED]))
    more = f" and {len(refs) - NAMED} more" if len(refs) > NAMED else ""
    return f"{prefix}{shown}{more}"


def _count(number: int, noun: str) -> str:
    """`1 object`, `2 objects`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"

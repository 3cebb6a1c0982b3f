"""The small typed interface between a group's sync and its steps.

A step is anything with a `name` and a `run(group) -> StepOutcome` (the `Step` protocol):
it gets the group's build data (always a local directory by then: a git URL was cloned
once for the whole run), the sync's options and an `echo` for its lines, and says how it
went: `ok`, `failed` (with its error lines) or `skipped` (nothing to do), with counts.
`run_step` times it, keeps its lines (for the JUnit file) and turns an exception into a
failed outcome, so that a step's mistake ends its group's run and never the other groups'.
The four steps of ART's job are in `sync.adapters`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cistreams.commands.registry_options import RegistryOptions
from cistreams.errors import CistreamsError, flatten, one_line
from cistreams.options import DEFAULT_PUSH_SECRET, ConnectionOptions, Source

OK, FAILED, SKIPPED, NOT_RUN = "ok", "failed", "skipped", "not-run"
STATUSES = (OK, FAILED, SKIPPED, NOT_RUN)


@dataclass(frozen=True)
class SyncOptions:
    """Everything a sync was asked to do, besides which groups."""

    connection: ConnectionOptions = field(default_factory=ConnectionOptions)
    as_user: str | None = None
    registry: RegistryOptions = field(default_factory=RegistryOptions)
    prune: bool = False
    max_prune: int = 5
    only_if_missing: bool = False
    force: bool = False
    dry_run: bool = False
    max_inflight: int = 8  # copies, and builds started, at once per group
    build_timeout: float = 3600.0  # start-builds' whole wait
    lock_namespace: str = "ci"
    lease_duration: int = 60
    push_secret: str = DEFAULT_PUSH_SECRET  # the BuildConfigs' secret for pushing to QCI


@dataclass(frozen=True)
class GroupRun:
    """What a step gets: the group's build data, the options, where its lines go."""

    source: Source
    options: SyncOptions
    echo: Callable[[str], None]

    @property
    def group(self) -> str:
        """The group's name."""
        return self.source.group


@dataclass
class StepOutcome:
    """How a step went, as the step says it."""

    status: str
    summary: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class Step(Protocol):
    """One step of a group's sync."""

    @property
    def name(self) -> str:
        """Its name in reports (`gen-buildconfigs`, `mirror`, ...)."""

    def run(self, group: GroupRun) -> StepOutcome:
        """Do the step for one group; raise CistreamsError, or return FAILED, when it fails."""


@dataclass
class StepResult:
    """A step's outcome as reported: status, time, counts, error lines and every line."""

    name: str
    status: str
    duration: float = 0.0
    summary: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """For --report and --format json."""
        return {"name": self.name, "status": self.status,
                "duration_seconds": round(self.duration, 3), "summary": self.summary,
                "counts": dict(sorted(self.counts.items())), "errors": list(self.errors)}


def error_lines(exc: CistreamsError) -> list[str]:
    """One line per problem of an error (several when the build data had several)."""
    return [str(error) for error in flatten(exc)]


def not_run(name: str, why: str) -> StepResult:
    """A step the group's run never reached (an earlier step failed), or left out (an
    unchanged or held group)."""
    return StepResult(name, NOT_RUN, summary=why)


def run_step(step: Step, group: GroupRun,
             clock: Callable[[], float] = time.monotonic) -> StepResult:
    """Run one step: timed, its lines kept, any exception a failed result (Ctrl-C and
    SIGTERM excepted: they stop the whole sync)."""
    lines: list[str] = []

    def echo(line: str) -> None:
        lines.append(line)
        group.echo(f"{step.name}: {line}")

    began = clock()
    try:
        outcome = step.run(GroupRun(group.source, group.options, echo))
    except CistreamsError as exc:
        outcome = StepOutcome(FAILED, errors=error_lines(exc))
    except Exception as exc:  # a bug in one step must not stop the other groups
        outcome = StepOutcome(FAILED, errors=[
            f"internal error: {type(exc).__name__}: {one_line(str(exc))}"])
    if outcome.status == FAILED and not outcome.errors:
        outcome.errors = [outcome.summary or f"{step.name} failed"]
    for error in outcome.errors:
        echo(f"error: {error}")
    if outcome.summary:
        echo(outcome.summary)
    return StepResult(step.name, outcome.status, clock() - began, outcome.summary,
                      dict(outcome.counts), list(outcome.errors), lines)

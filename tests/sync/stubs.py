"""Stand-in steps for the unit tests of the runner (never for the tests of the real job)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from cistreams.errors import CistreamsError, ErrorList
from cistreams.job.steps import FAILED, OK, GroupRun, StepOutcome

STEP_NAMES = ("gen-buildconfigs", "mirror", "start-builds", "check-upstream")


@dataclass
class Stub:
    """A step that records which groups it ran for and ends as told (per group)."""

    name: str
    status: str = OK
    fail_groups: tuple[str, ...] = ()
    raises: bool = False
    gate: threading.Event | None = None  # wait for it before returning (overlap tests)
    calls: list[str] = field(default_factory=list)

    def run(self, group: GroupRun) -> StepOutcome:
        self.calls.append(group.group)
        group.echo(f"{self.name} ran for {group.group}")
        if self.gate is not None:
            self.gate.wait(60)
        if group.group in self.fail_groups:
            if self.raises:
                raise ErrorList([CistreamsError(f"{self.name}: broke\nescaped"),
                                 CistreamsError("second line")], 25)
            return StepOutcome(FAILED, f"{self.name} failed", {"errors": 1},
                               [f"{self.name}: it went wrong"])
        return StepOutcome(self.status, f"{self.name} done", {"done": 1})


def stubs(**kwargs: object) -> list[Stub]:
    """The four steps of the job as stubs; `kwargs` go to every one."""
    return [Stub(name, **kwargs) for name in STEP_NAMES]  # type: ignore[arg-type]

"""Carry out a mirror plan: entries side by side, each entry's steps in order.

Up to `inflight` entries run at once, one skopeo copy at a time each, so at most `inflight`
copies are in flight; within an entry the main copy comes before the arm64 one and both
before the upstream_image_mirror copies, and on the QCI route the floating tag before the GC
tag before the imagestream patch (each needs the digest the one before pushed). With
--only-if-missing each destination is read first (one manifest read) and left alone when it
holds a manifest. A missing source is a warning for that destination; any other failure is
an error for it; either way the other destinations and entries go on. With --dry-run no copy
or patch is made (the --only-if-missing reads still are). Results are handed to `emit` entry
by entry in the plan's order, as soon as an entry and all before it are done. Worker threads
are daemons: Ctrl-C ends the run at once; every step can be repeated, so a cut run is safe
to run again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TypeVar

from cistreams.errors import CistreamsError
from cistreams.registry.plan import Copy, EntryPlan, GcTag, Step, TagPatch, Target
from cistreams.registry.refs import Pullspec
from cistreams.registry.skopeo import KEEP_LIST, MISSING, RegistryError, Skopeo

COPIED, PRESENT, PATCHED, UNCHANGED, MISSING_SOURCE, ERROR, PLANNED = (
    "copied", "present", "patched", "unchanged", "missing-source", "error", "planned")
T = TypeVar("T")
R = TypeVar("R")

# Points NAMESPACE/IMAGESTREAM:TAG at a pullspec; returns what it did (patched, added,
# unchanged) or raises CistreamsError.
Patcher = Callable[[TagPatch, str], str]
Emit = Callable[["EntryReport"], None]


@dataclass(frozen=True)
class Outcome:
    """One line of the report."""

    action: str
    text: str
    source: str | None = None
    dest: str | None = None
    digest: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """For --format json."""
        return {"action": self.action, "source": self.source, "dest": self.dest,
                "digest": self.digest, "text": self.text}


@dataclass
class EntryReport:
    """What happened to one entry's destinations, in order."""

    name: str
    outcomes: list[Outcome] = field(default_factory=list)


@dataclass
class Options:
    """How to run the plan."""

    only_if_missing: bool = False
    dry_run: bool = False
    inflight: int = 8


def run_entry(plan: EntryPlan, tool: Skopeo, patch: Patcher, options: Options) -> EntryReport:
    """Every destination of one entry, in order."""
    report = EntryReport(plan.name)
    for target in plan.targets:
        if options.only_if_missing:
            try:
                found = tool.digest(target.check)
            except RegistryError as exc:
                report.outcomes.append(Outcome(ERROR, f"{plan.name}: {exc}", dest=str(target.check)))
                continue
            if found:
                report.outcomes.append(Outcome(PRESENT, f"present {target.check}",
                                               dest=str(target.check), digest=found))
                continue
        steps = _describe if options.dry_run else _carry_out
        report.outcomes.extend(steps(plan.name, target, tool, patch))
    return report


def _describe(name: str, target: Target, tool: Skopeo, patch: Patcher) -> list[Outcome]:
    """What the steps would do (--dry-run): nothing is written anywhere."""
    lines = []
    for step in target.steps:
        if isinstance(step, Copy):
            lines.append(Outcome(PLANNED, f"would copy {step.source} -> {step.dest} "
                                          f"({step.selection})", str(step.source), str(step.dest)))
        elif isinstance(step, GcTag):
            repo = step.repository
            lines.append(Outcome(PLANNED, f"would copy {repo}@<digest> -> {repo}:art__<16 hex "
                                          "of the digest>", f"{repo}@<digest>", f"{repo}:art__"))
        else:
            lines.append(Outcome(PLANNED, f"would patch imagestream {step} -> "
                                          f"{step.reference('<digest>')} (referencePolicy Source, "
                                          "importMode PreserveOriginal)", dest=str(step)))
    return lines


def _carry_out(name: str, target: Target, tool: Skopeo, patch: Patcher) -> list[Outcome]:
    """The steps of one destination; the first failure ends them (later ones need it)."""
    lines: list[Outcome] = []
    digest = ""
    for index, step in enumerate(target.steps):
        try:
            line, digest = _step(step, digest, tool, patch)
        except RegistryError as exc:
            if exc.kind == MISSING and index == 0 and isinstance(step, Copy):
                lines.append(_missing(step.source, str(exc)))
            else:
                lines.append(Outcome(ERROR, f"{name}: {exc}", dest=target.dest))
            break
        except CistreamsError as exc:
            lines.append(Outcome(ERROR, f"{name}: {exc}", dest=target.dest))
            break
        lines.append(line)
    return lines


def _step(step: Step, digest: str, tool: Skopeo, patch: Patcher) -> tuple[Outcome, str]:
    """One step; its line and the digest it leaves for the next."""
    if isinstance(step, Copy):
        pushed = tool.copy(step.source, step.dest, step.selection)
        return _copied(step.source, step.dest, pushed), pushed
    if isinstance(step, GcTag):
        source, dest = step.repository.with_digest(digest), step.dest(digest)
        return _copied(source, dest, tool.copy(source, dest, KEEP_LIST)), digest
    reference = step.reference(digest)
    done = patch(step, reference)
    action = UNCHANGED if done == UNCHANGED else PATCHED  # patched or added
    return Outcome(action, f"{done} imagestream {step} -> {reference}", dest=str(step),
                   digest=digest), digest


def _copied(source: Pullspec, dest: Pullspec, digest: str) -> Outcome:
    return Outcome(COPIED, f"copied {source} -> {dest} {digest}", str(source), str(dest), digest)


def _missing(source: Pullspec, message: str) -> Outcome:
    why = ""
    if "no image found in manifest list" in message:
        why = " (its manifest list has no image for this platform)"
    return Outcome(MISSING_SOURCE, f"missing source {source}{why}", source=str(source))


def run(plans: Sequence[EntryPlan], tool: Skopeo, patch: Patcher, options: Options,
        emit: Emit) -> list[EntryReport]:
    """Every entry's plan (see the module doc); `emit` sees each report in order."""
    return in_order(list(plans), lambda p: run_entry(p, tool, patch, options), options.inflight,
                    emit)


def in_order(items: list[T], work: Callable[[T], R], inflight: int,
             emit: Callable[[R], None]) -> list[R]:
    """`work` on every item, at most `inflight` at once, in daemon threads (Ctrl-C ends the
    run at once); `emit` each result in the items' order, as soon as it and all before it
    are done. An exception from `work` (a bug: failures are results) is raised in order."""
    slots: list[Future[R]] = [Future() for _ in items]
    order, lock = iter(range(len(items))), threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                index = next(order, None)
            if index is None:
                return
            try:
                slots[index].set_result(work(items[index]))
            except BaseException as exc:  # raised in the main thread, in order
                slots[index].set_exception(exc)

    for _ in range(max(1, min(inflight, len(items)))):
        threading.Thread(target=worker, daemon=True).start()
    results = []
    for slot in slots:
        result = slot.result()
        emit(result)
        results.append(result)
    return results

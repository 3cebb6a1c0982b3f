"""A sync: each group's run (lock, memory, steps in order) and up to N groups side by side.

One group's run:
1. check out the build data and read its revision (`revision.check_out`);
2. one GET of the group's Lease: when it records this revision (and no --force), the group
   is `unchanged` and nothing else is asked of the cluster;
3. take the Lease (a live holder: the group is `skipped`, held by whom since when) and renew
   it while the steps run;
4. the steps in order; the first that fails ends the group's run (later steps: not run);
   a Lease lost meanwhile (not renewed in time, taken over) fails the group too;
5. release the Lease, recording the revision when every step succeeded.
With --dry-run the Lease is read but never taken or written, and each step runs dry.
Groups run on daemon threads: Ctrl-C or SIGTERM releases the Leases held (with no record)
and ends the run at once; whatever a cut run did is safe to run again.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cistreams.cluster.lease import GroupLease, Record, Renewer, micro_time
from cistreams.errors import CistreamsError, one_line
from cistreams.job import revision as revisions
from cistreams.job.steps import (
    FAILED,
    NOT_RUN,
    GroupRun,
    Step,
    StepResult,
    SyncOptions,
    error_lines,
    not_run,
    run_step,
)
from cistreams.options import Source

SYNCED, UNCHANGED, HELD, GROUP_FAILED, DRY_RUN = "synced", "unchanged", "skipped", "failed", \
    "dry-run"
Echo = Callable[[str], None]
Connect = Callable[[SyncOptions], Any]  # returns an cistreams.cluster.api.Api


@dataclass
class GroupResult:
    """How one group's sync went."""

    group: str
    status: str
    message: str = ""
    revision: str | None = None
    steps: list[StepResult] = field(default_factory=list)
    duration: float = 0.0
    lease_requests: int = 0  # what the lock and the memory cost, for the benchmark
    started_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        """For --report and --format json."""
        return {"group": self.group, "status": self.status, "message": self.message,
                "revision": self.revision, "duration_seconds": round(self.duration, 3),
                "started_at": self.started_at, "lease_requests": self.lease_requests,
                "steps": [s.as_dict() for s in self.steps]}


def connect_lease_api(options: SyncOptions) -> Any:
    """The connection the Lease is read and written over."""
    from cistreams.cluster.connection import connect

    return connect(options.connection, options.as_user)


@dataclass
class Sync:
    """The groups' runs, sharing options, steps and an echo (see the module doc)."""

    source: Source  # the group is replaced per run
    options: SyncOptions
    steps: Sequence[Step]
    echo: Echo
    work: Path
    connect: Connect = connect_lease_api
    clock: Callable[[], float] = time.monotonic
    _held: dict[int, GroupLease] = field(default_factory=dict)  # released on Ctrl-C
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run_group(self, group: str) -> GroupResult:
        """One group's run, start to end; failures are results, never raised."""
        began, started_at = self.clock(), micro_time(time.time())
        say = self._echo_for(group)
        result = self._run_group(group, say)
        result.duration, result.started_at = self.clock() - began, started_at
        return result

    def _run_group(self, group: str, say: Echo) -> GroupResult:
        source = Source(self.source.data_path, group, self.source.working_dir,
                        self.source.assembly, self.source.var_overrides)
        first = self.steps[0].name if self.steps else "build data"
        try:
            checkout = revisions.check_out(source, self.work)
        except CistreamsError as exc:
            # the first step is the one that reads the build data in ART's job
            errors = error_lines(exc)
            for line in errors:
                say(f"{first}: error: {line}")
            failed = StepResult(first, FAILED, summary="the build data could not be read",
                                errors=errors, lines=[f"error: {e}" for e in errors])
            return self._ended(group, GROUP_FAILED, f"{first} failed", None, [failed])
        try:
            api = self.connect(self.options)
        except CistreamsError as exc:
            return self._ended(group, GROUP_FAILED, one_line(str(exc)), checkout.revision, [])
        try:
            return self._with_lease(GroupLease(api, self.options.lock_namespace, group,
                                               duration=self.options.lease_duration),
                                    checkout, say)
        except CistreamsError as exc:
            return self._ended(group, GROUP_FAILED, one_line(str(exc)), checkout.revision, [])
        finally:
            api.client.close()

    def _with_lease(self, lease: GroupLease, checkout: revisions.Checkout,
                    say: Echo) -> GroupResult:
        group, revision = checkout.source.group, checkout.revision
        state = lease.read()
        record = state.record
        if record is not None and record.revision == revision and not self.options.force:
            message = f"unchanged since {revisions.short(revision)}"
            say(message + (f" (synced {record.synced_at})" if record.synced_at else ""))
            return self._ended(group, UNCHANGED, message, revision, [], lease)
        if self.options.dry_run:
            steps = self._steps(GroupRun(checkout.source, self.options, say), lease=None)
            failed = any(s.status == FAILED for s in steps)
            status = GROUP_FAILED if failed else DRY_RUN
            return self._ended(group, status, _failure(steps) or "dry run: nothing was "
                               "changed", revision, steps, lease)
        held = lease.acquire(state)
        if held is not None:
            say(str(held))
            return self._ended(group, HELD, str(held), revision, [], lease)
        with self._lock:
            self._held[id(lease)] = lease
        say(f"took the Lease {lease.namespace}/{lease.name} as {lease.holder}")
        try:
            with Renewer(lease):
                steps = self._steps(GroupRun(checkout.source, self.options, say), lease)
            ok = not any(s.status == FAILED for s in steps) and lease.lost is None
            record = Record(revision, micro_time(time.time())) if ok else None
            try:
                released = lease.release(record)
            except CistreamsError as exc:  # the steps' results are still the report's
                lease.lost, released = one_line(str(exc)), False
        finally:
            with self._lock:
                self._held.pop(id(lease), None)
        if lease.lost is not None or not released:
            return self._ended(group, GROUP_FAILED, lease.lost or "the Lease was lost",
                               revision, steps, lease)
        if not ok:
            return self._ended(group, GROUP_FAILED, _failure(steps), revision, steps, lease)
        say(f"synced {revisions.short(revision)}; the Lease is released")
        return self._ended(group, SYNCED, f"synced {revisions.short(revision)}", revision,
                           steps, lease)

    def _steps(self, run: GroupRun, lease: GroupLease | None) -> list[StepResult]:
        """The steps in order until one fails (or the Lease is lost); the rest not run."""
        results: list[StepResult] = []
        for step in self.steps:
            if lease is not None and lease.lost is not None:
                results.append(not_run(step.name, "the Lease was lost"))
                continue
            if results and results[-1].status in (FAILED, NOT_RUN):
                results.append(not_run(step.name, f"{_stopper(results)} failed"))
                continue
            results.append(run_step(step, run, self.clock))
        return results

    def _ended(self, group: str, status: str, message: str, revision: str | None,
               steps: list[StepResult], lease: GroupLease | None = None) -> GroupResult:
        """The group's result, every step accounted for (not run when it did not start)."""
        ran = {s.name for s in steps}
        why = {UNCHANGED: message, HELD: message}.get(status, "the group's run ended before it")
        steps = steps + [not_run(s.name, why) for s in self.steps if s.name not in ran]
        requests = lease.api.requests if lease is not None else 0
        return GroupResult(group, status, message, revision, steps, lease_requests=requests)

    def _echo_for(self, group: str) -> Echo:
        return lambda line: self.echo(f"{group}: {line}")

    def internal_error(self, group: str, exc: Exception) -> GroupResult:
        """A bug ended a group's run: one line (the traceback too with --debug)."""
        from cistreams.commands.shared import STATE

        if STATE.debug:
            import traceback

            traceback.print_exception(exc)
        message = f"internal error: {type(exc).__name__}: {one_line(str(exc))}"
        self._echo_for(group)(message)
        return self._ended(group, GROUP_FAILED, message, None, [])

    def release_all(self) -> None:
        """Ctrl-C: give up every Lease still held (no record), best effort."""
        with self._lock:
            held = list(self._held.values())
        for lease in held:
            with contextlib.suppress(CistreamsError):
                lease.release()


def _stopper(results: list[StepResult]) -> str:
    """The step that ended the run."""
    for result in results:
        if result.status == FAILED:
            return result.name
    return results[-1].name


def _failure(steps: list[StepResult]) -> str:
    """`STEP failed: first error` for the step that failed, or empty."""
    for step in steps:
        if step.status == FAILED:
            first = step.errors[0] if step.errors else ""
            return f"{step.name} failed" + (f": {first}" if first else "")
    return ""


# Imported before the groups' threads start. Two threads importing one module side by side
# can see it half initialised when its package has an import cycle (lightkube's config
# does: "cannot import name ... from partially initialized module"), and every step imports
# its libraries lazily, so they are imported once here, on the main thread.
SHARED_IMPORTS = ("yaml", "httpx2", "lightkube.config.kubeconfig",
                  "lightkube.config.client_adapter", "lightkube.core.exceptions",
                  "cistreams.app", "cistreams.cluster", "cistreams.cluster.connection",
                  "cistreams.cluster.credentials", "cistreams.cluster.imagestreams",
                  "cistreams.cluster.builds", "cistreams.cluster.rights")


def import_shared() -> None:
    """Import SHARED_IMPORTS (see there)."""
    for name in SHARED_IMPORTS:
        importlib.import_module(name)


def run_groups(sync: Sync, groups: Sequence[str], max_groups: int) -> list[GroupResult]:
    """Every group's run, at most `max_groups` at once, results in the groups' order."""
    import_shared()
    results: dict[int, GroupResult] = {}
    pending = iter(enumerate(groups))
    lock, finished = threading.Lock(), threading.Event()

    def worker() -> None:
        while True:
            with lock:
                item = next(pending, None)
            if item is None:
                break
            index, group = item
            try:
                result = sync.run_group(group)
            except Exception as exc:  # a bug: this group failed, the others go on
                result = sync.internal_error(group, exc)
            with lock:
                results[index] = result
                if len(results) == len(groups):
                    finished.set()

    threads = [threading.Thread(target=worker, name=f"sync-{n}", daemon=True)
               for n in range(max(1, min(max_groups, len(groups))))]
    for thread in threads:
        thread.start()
    try:
        while groups and not finished.wait(0.2):  # a short wait: Ctrl-C gets through
            if not any(t.is_alive() for t in threads):
                break
    except KeyboardInterrupt:
        sync.release_all()
        raise
    return [results[i] for i in range(len(groups))]


__all__ = ["DRY_RUN", "GROUP_FAILED", "HELD", "SYNCED", "UNCHANGED", "GroupResult", "Sync",
           "run_groups"]

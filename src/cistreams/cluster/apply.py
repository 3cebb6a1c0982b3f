"""Server-side apply, all or nothing: every object is dry-run first, then written.

The plan reads each live object and applies it as a server-side dry run. If the server
refuses any object (invalid, forbidden, a conflict, a missing namespace or CRD), nothing is
written and every refusal is reported. Otherwise each object that would change is written:
taken over from kubectl first when hand tools own fields (see ownership), then applied.
An object the dry run shows unchanged (content and field ownership) is not written at all,
so its resourceVersion does not move and `unchanged` is true.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cistreams.cluster import ownership, unchanged
from cistreams.cluster.api import Answer, Api, ListRefused
from cistreams.cluster.kinds import Kind, Ref, group_of, ref_of
from cistreams.errors import CistreamsError, ErrorList
from cistreams.render.names import GROUP_LABEL

CREATED, CONFIGURED, UNCHANGED = "created", "configured", "unchanged"
METADATA_PAGE = 1000  # about 2 KB an item: a page stays near 2 MB

T = TypeVar("T")
R = TypeVar("R")
Progress = Callable[[], None]


@dataclass
class Planned:
    """One object: what is live, what the dry run says it would become, and why."""

    ref: Ref
    desired: dict[str, Any]
    live: dict[str, Any] | None = None
    preview: dict[str, Any] | None = None
    refusal: str | None = None
    hand_tools: list[str] = field(default_factory=list)
    decided: str | None = None  # the action, once the bodies were dropped

    @property
    def action(self) -> str:
        """created, configured or unchanged."""
        if self.decided is not None:
            return self.decided
        if self.live is None:
            return CREATED
        if self.hand_tools or self.preview is None:
            return CONFIGURED
        same_content = (ownership.without_server_fields(self.live)
                        == ownership.without_server_fields(self.preview))
        same_owners = ownership.ownership(self.live) == ownership.ownership(self.preview)
        return UNCHANGED if same_content and same_owners else CONFIGURED

    @property
    def note(self) -> str:
        """Why a configured object changes, when hand tools were involved."""
        took = [m for m in self.hand_tools if m == ownership.CLIENT_SIDE_APPLY]
        drift = [m for m in self.hand_tools if m != ownership.CLIENT_SIDE_APPLY]
        notes = []
        if took:
            notes.append("taken over from kubectl apply")
        if drift:
            notes.append(f"drifted: fields changed by {', '.join(drift)} set back")
        return f" ({'; '.join(notes)})" if notes else ""


class WriteLog:
    """What the write phase has done so far: the objects begun, written and failed (read
    when a run is cut short). `done` is called in the plan's order, once an object and every
    write before it are done; report.Shown overrides it to show each line then."""

    def __init__(self) -> None:
        self.begun: list[Ref] = []
        self.written: list[Planned] = []  # as the server confirmed them
        self.failed: list[Ref] = []
        self.writes = 0  # how many objects the phase writes

    def done(self, item: Planned, problem: str) -> None:
        """One more object's turn, in the plan's order: written, or failed with `problem`."""


def run_all(items: Sequence[T], work: Callable[[T], R], inflight: int,
            progress: Progress | None = None,
            each: Callable[[T, R], None] | None = None) -> list[R]:
    """`work` on every item with at most `inflight` at once; results in the items' order.
    After each item, in the items' order (once it and every item before it are done),
    `progress()` and `each(item, result)`. An error stops new items and is raised once the
    items in flight are done. Ctrl-C returns at once: the workers are daemon threads, so the
    process exits without waiting for their requests (sent or not, the next run converges)."""
    def after(item: T, result: R) -> None:
        if progress:
            progress()
        if each:
            each(item, result)

    if inflight <= 1 or len(items) <= 1:
        results = []
        for item in items:
            results.append(work(item))
            after(item, results[-1])
        return results
    return _in_threads(items, work, inflight, after)


def _in_threads(items: Sequence[T], work: Callable[[T], R], inflight: int,
                after: Callable[[T, R], None]) -> list[R]:
    """run_all with `inflight` worker threads."""
    slots: list[Future[R]] = [Future() for _ in items]
    order, lock, stop = iter(range(len(items))), threading.Lock(), threading.Event()

    def worker() -> None:
        while not stop.is_set():
            with lock:
                index = next(order, None)
            if index is None:
                return
            try:
                slots[index].set_result(work(items[index]))
            except BaseException as exc:  # raised by the waiting thread
                slots[index].set_exception(exc)

    # Daemon threads, not a ThreadPoolExecutor: the interpreter joins those at exit, after
    # they ran every queued item to its end (requests, retries, backoffs), so Ctrl-C during
    # a slow plan or write could take minutes, and a second Ctrl-C printed a traceback.
    workers = [threading.Thread(target=worker, daemon=True)
               for _ in range(min(inflight, len(items)))]
    for thread in workers:
        thread.start()
    interrupted = False
    try:
        return [_wait(item, slot, after) for item, slot in zip(items, slots, strict=True)]
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        stop.set()  # after an error, no new item; the ones in flight are waited for
        for thread in [] if interrupted else workers:
            thread.join()


def _wait(item: T, slot: Future[R], after: Callable[[T, R], None]) -> R:
    """The slot's result (or its error, raised), once `after` was told of it."""
    result = slot.result()
    after(item, result)
    return result


def plan(api: Api, objects: Sequence[dict[str, Any]], inflight: int,
         progress: Progress | None = None, keep_bodies: bool = False) -> list[Planned]:
    """Read every live object and dry-run its apply; nothing is written.

    The group's objects are listed first (a request per kind and page); an object listed
    and certainly unchanged (see `unchanged`) needs no request of its own. Unless
    `keep_bodies` (diff shows them), each object's live and dry-run bodies are dropped once
    its action is known, so a big group is not held in memory twice more.
    """
    planned = [Planned(ref_of(o), unchanged.stamped(o)) for o in objects]
    listing = _list_group(api, planned, inflight)

    def work(item: Planned) -> Planned:
        _plan_one(api, item, listing)
        if not keep_bodies and item.refusal is None:
            item.decided = item.action
            item.preview = None
            if not item.hand_tools:  # a takeover still needs the live managedFields
                item.live = None
        return item

    return run_all(planned, work, inflight, progress)


@dataclass
class Listing:
    """The group's listed objects that need a dry run, and the kinds that were listed."""

    found: set[Ref] = field(default_factory=set)
    kinds: set[Kind] = field(default_factory=set)


def _list_group(api: Api, planned: list[Planned], inflight: int) -> Listing:
    """The group's objects as listed, metadata only (what `unchanged` needs). Objects
    certainly unchanged are settled here; the others are read in full later. Nothing is
    listed when the objects do not share one namespace and group label: then each is read
    on its own."""
    listing = Listing()
    group = group_of([p.desired for p in planned])
    if group is None:
        return listing
    namespace, label = group
    wanted = {p.ref: p for p in planned}
    kinds = sorted({p.ref.kind for p in planned}, key=lambda k: k.kind)

    def list_kind(kind: Kind) -> list[dict[str, Any]] | None:
        try:
            return api.get_all(kind.collection_path(namespace), f"{GROUP_LABEL}={label}",
                               page=METADATA_PAGE, metadata_only=True)
        except ListRefused:
            return None  # each object is then read on its own, and refused with its name

    for kind, items in zip(kinds, run_all(kinds, list_kind, inflight), strict=True):
        if items is not None:
            listing.kinds.add(kind)
            _settle(kind, namespace, items, wanted, listing)
    return listing


def _settle(kind: Kind, namespace: str, items: list[dict[str, Any]],
            wanted: dict[Ref, Planned], listing: Listing) -> None:
    """Settle the listed objects that are certainly unchanged; note the others."""
    for item in items:
        ref = Ref(kind, namespace, item.get("metadata", {}).get("name", ""))
        if ref not in wanted:
            continue
        if unchanged.certainly_unchanged(item, wanted[ref].desired):
            wanted[ref].live = wanted[ref].preview = SETTLED
        else:
            listing.found.add(ref)


# The live object and preview of a listed object that is certainly unchanged: equal, so
# `action` says unchanged, and small.
SETTLED: dict[str, Any] = {"metadata": {}}


def _plan_one(api: Api, planned: Planned, listing: Listing) -> Planned:
    if planned.live is SETTLED:
        return planned
    live = _live(api, planned.ref, listing)
    if live.status not in (200, 404):
        planned.refusal = _refusal(live)
        return planned
    preview = api.apply(planned.ref.path, planned.desired, dry_run=True)
    if preview.status == 200 and live.status == 404:
        # it exists, without our group's label (or was created meanwhile): read it, so the
        # report and a takeover see what is really there
        live = api.get(planned.ref.path)
        if live.status != 200:
            planned.refusal = _refusal(live)
            return planned
    if not preview.ok:
        planned.refusal = _refusal(preview)
        return planned
    if live.status == 200:
        planned.live = live.body
        planned.hand_tools = ownership.hand_tools(live.body)
    planned.preview = preview.body
    if planned.live is not None and planned.hand_tools:
        patch = ownership.takeover_patch(planned.live, planned.ref.kind.api_version)
        checked = api.json_patch(planned.ref.path, patch, dry_run=True)
        if not checked.ok:
            planned.refusal = f"cannot take the object over: {_refusal(checked)}"
    return planned


def _live(api: Api, ref: Ref, listing: Listing) -> Answer:
    """The live object (200, read in full), or missing (404), or a refusal."""
    if ref.kind in listing.kinds and ref not in listing.found:
        return Answer(404, {})  # not in the group's list: the dry run tells whether it exists
    return api.get(ref.path)


def several(headline: str, lines: Sequence[str], shown: int = 25) -> CistreamsError:
    """One error of several lines: the headline, then one line per object (the first
    `shown` of them)."""
    return ErrorList([CistreamsError(headline), *(CistreamsError(line) for line in lines)],
                     shown + 1)


def _refusal(answer: Answer) -> str:
    reason = answer.reason
    if answer.status == 404 and "could not find the requested resource" in reason:
        reason += " (the cluster does not serve this kind: is its API or CRD installed?)"
    return f"HTTP {answer.status}: {reason}"


def refused(planned: Sequence[Planned]) -> list[tuple[Ref, str]]:
    """Each object the server refused in the dry run, with why."""
    return [(p.ref, f"refused by the server: {p.refusal}") for p in planned if p.refusal]


def by_cause(failures: Sequence[tuple[Ref, str]]) -> list[str]:
    """One line per cause: objects whose messages differ only by their own name share one
    line with their count (a missing right is not repeated for each of 500 objects)."""
    causes: dict[str, tuple[str, list[Ref]]] = {}
    for ref, text in failures:
        key = text.replace(f'"{ref.name}"', '""')  # the server quotes the name in its messages
        causes.setdefault(key, (text, []))[1].append(ref)
    return [f"{_who(refs)}: {text}" for text, refs in causes.values()]


def _who(refs: Sequence[Ref]) -> str:
    if len(refs) == 1:
        return str(refs[0])
    return f"{len(refs)} objects ({refs[0]} and {len(refs) - 1} more)"


def prepare(api: Api, objects: Sequence[dict[str, Any]], inflight: int,
            progress: Progress | None = None) -> list[Planned]:
    """The plan of every object; raises, with one line per cause, when the server refuses
    any."""
    planned = plan(api, objects, inflight, progress)
    failures = refused(planned)
    if failures:
        raise several(f"nothing was applied: the server refused {len(failures)} of "
                      f"{len(planned)} objects in a dry run", by_cause(failures))
    return planned


def execute(api: Api, planned: list[Planned], log: WriteLog, inflight: int) -> None:
    """Write every planned object that would change, telling `log` as each is done."""
    writes = [p for p in planned if p.action != UNCHANGED]
    log.writes = len(writes)

    def write(item: Planned) -> str:
        log.begun.append(item.ref)  # list.append is atomic: safe across the workers
        problem = _write(api, item)
        if problem:
            log.failed.append(item.ref)
        else:
            log.written.append(item)
        return problem

    try:
        problems = run_all(writes, write, inflight, each=log.done)
    except CistreamsError as exc:  # the server went away mid-run
        raise CistreamsError(f"{exc}; {len(log.written)} of {len(writes)} changed objects "
                             "were written before it stopped, the others are as they were: "
                             "run again to converge") from None
    failed = [(p.ref, problem) for p, problem in zip(writes, problems, strict=True) if problem]
    if failed:
        raise several(f"{len(failed)} objects failed after a clean dry run (run again to "
                      "converge)", by_cause(failed))


def _write(api: Api, planned: Planned) -> str:
    """Write one object; what went wrong, or '' on success."""
    if planned.live is not None and planned.hand_tools:
        patch = ownership.takeover_patch(planned.live, planned.ref.kind.api_version)
        answer = api.json_patch(planned.ref.path, patch, dry_run=False)
        if not answer.ok:
            return f"cannot take the object over: {_refusal(answer)}"
    answer = api.apply(planned.ref.path, planned.desired, dry_run=False)
    return "" if answer.ok else _refusal(answer)

"""Two processes writing from both ends join to exactly the serial text, whatever happens."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cistreams.yamlengine import forkjoin
from helpers import child_pids

COUNT = 1_000
needs_fork = pytest.mark.skipif(not forkjoin.can_fork(), reason="needs fork and a second CPU")


def slow_text(index: int) -> str:
    """A pure text with some work in it, so that both processes get a share; texts vary in
    length and hold unicode, a lone surrogate and empty strings."""
    deadline = time.perf_counter() + 0.00005
    while time.perf_counter() < deadline:
        pass
    return ["", f"doc {index}\n", "é\u2028\ud800" * (index % 7), "x" * (index % 300)][index % 4]


def join_texts(text_of: Callable[[int], str], count: int, jobs: int = 2,
               meanwhile: Callable[[], None] | None = None) -> str:
    return forkjoin.join(forkjoin.collect(text_of, count, jobs, meanwhile))


def serial(text_of: Callable[[int], str], count: int) -> str:
    return "".join(text_of(index) for index in range(count))


class Recorder:
    """Wraps text_of and records which indices this process computed."""

    def __init__(self, text_of: Callable[[int], str] = slow_text) -> None:
        self.text_of = text_of
        self.pid = os.getpid()
        self.here: list[int] = []

    def __call__(self, index: int) -> str:
        if os.getpid() == self.pid:
            self.here.append(index)
        return self.text_of(index)


@pytest.fixture(autouse=True)
def no_child_left() -> Iterator[None]:
    before = child_pids()
    yield
    assert child_pids() <= before  # every child this test forked was reaped


@pytest.mark.parametrize("count", [0, 1, forkjoin.MIN_ITEMS - 1, forkjoin.MIN_ITEMS, COUNT])
def test_two_processes_join_to_the_serial_text(count: int) -> None:
    recorder = Recorder()
    assert join_texts(recorder, count, jobs=2) == serial(slow_text, count)
    if count >= forkjoin.MIN_ITEMS and forkjoin.can_fork():
        assert len(recorder.here) < count  # the child wrote a share
    else:
        assert recorder.here == list(range(count))


def test_one_job_never_forks() -> None:
    recorder = Recorder()
    assert join_texts(recorder, COUNT, jobs=1) == serial(slow_text, COUNT)
    assert recorder.here == list(range(COUNT))


@needs_fork
def test_a_failing_child_leaves_its_share_to_the_parent() -> None:
    parent = os.getpid()

    def text_of(index: int) -> str:
        if os.getpid() != parent and index < COUNT - 20:
            raise RuntimeError("the child fails after 20 items")
        return slow_text(index)

    recorder = Recorder(text_of)
    assert join_texts(recorder, COUNT) == serial(slow_text, COUNT)
    assert len(recorder.here) == COUNT


@needs_fork
def test_a_child_that_dies_leaves_its_share_to_the_parent() -> None:
    parent = os.getpid()

    def text_of(index: int) -> str:
        if os.getpid() != parent and index == COUNT - 5:
            os._exit(7)  # as if killed: nothing sent
        return slow_text(index)

    assert join_texts(text_of, COUNT) == serial(slow_text, COUNT)


@needs_fork
def test_a_full_reserve_leaves_the_rest_to_the_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forkjoin, "_CAPACITY", 4096)
    assert join_texts(slow_text, COUNT) == serial(slow_text, COUNT)


class Greedy(forkjoin._TwoEnds):
    """Both sides ignore each other's claims: the worst overlap the race could cause."""

    @staticmethod
    def _parent_may_take(index: int, claims: memoryview) -> bool:
        return True

    @staticmethod
    def _child_may_take(index: int, claims: memoryview) -> bool:
        return True


@needs_fork
def test_items_both_sides_wrote_are_joined_once() -> None:
    shared = forkjoin._reserve()
    assert shared is not None
    with shared:
        text = forkjoin.join(Greedy(slow_text, COUNT, shared, None).run())
    assert text == serial(slow_text, COUNT)


def raise_in_parent(index: int) -> str:
    if index == 3:
        raise ValueError("bad document")
    return slow_text(index)


def raise_at_the_end(index: int) -> str:
    if index == COUNT - 1:
        raise ValueError("bad last document")
    return slow_text(index)


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("text_of", [raise_in_parent, raise_at_the_end])
def test_an_error_propagates_and_the_child_is_reaped(jobs: int,
                                                     text_of: Callable[[int], str]) -> None:
    """The last document fails in the child first, then again here: still one error and no
    child left behind (the autouse fixture checks)."""
    with pytest.raises(ValueError, match="bad"):
        join_texts(text_of, COUNT, jobs)


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("count", [5, COUNT])
def test_meanwhile_runs_once_before_anything_is_written_here(jobs: int, count: int) -> None:
    events: list[Any] = []

    def text_of(index: int) -> str:
        events.append(index)
        return slow_text(index)

    result = join_texts(text_of, count, jobs, meanwhile=lambda: events.append("check"))
    assert result == serial(slow_text, count)
    assert events[0] == "check" and events.count("check") == 1


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_meanwhile_stops_everything(jobs: int) -> None:
    recorder = Recorder()

    def check() -> None:
        raise ValueError("invalid objects")

    with pytest.raises(ValueError, match="invalid objects"):
        join_texts(recorder, COUNT, jobs, check)
    assert recorder.here == []


@needs_fork
def test_collect_hands_over_the_childs_share_without_copying() -> None:
    pieces = forkjoin.collect(slow_text, COUNT)
    assert isinstance(pieces[-1], memoryview)  # the child's share, straight from its memory
    assert forkjoin.join(pieces) == serial(slow_text, COUNT)


@needs_fork
def test_forked_returns_the_childs_value() -> None:
    child = forkjoin.Forked(lambda: {"answer": [42], "pid": os.getpid()})
    done, value = child.result()
    assert done and isinstance(value, dict)
    assert value["answer"] == [42] and value["pid"] != os.getpid()


def explode() -> object:
    raise RuntimeError("boom")


def die() -> object:
    os._exit(3)


@pytest.mark.parametrize("compute", [explode, die])
def test_a_failed_forked_child_gives_no_value(compute: Callable[[], object]) -> None:
    assert forkjoin.Forked(compute).result() == (False, None)


def test_a_cancelled_forked_child_is_stopped_and_reaped() -> None:
    child = forkjoin.Forked(lambda: time.sleep(30))
    started = time.perf_counter()
    child.cancel()
    assert time.perf_counter() - started < 5


def test_leaving_a_forked_block_stops_the_child() -> None:
    with forkjoin.Forked(lambda: time.sleep(30)):
        pass  # never asked for the result: the autouse fixture checks it was reaped


@pytest.mark.parametrize(("limit", "at_most"), [
    ("max 100000\n", None), ("100000 100000\n", 1), ("50000 100000\n", 1),
    ("150000 100000\n", 2), ("garbage\n", None),
])
def test_a_container_cpu_limit_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      limit: str, at_most: int | None) -> None:
    unlimited = forkjoin.available_cpus()
    (tmp_path / "cpu.max").write_text(limit)
    monkeypatch.setattr(forkjoin, "CGROUP_CPU_MAX", str(tmp_path / "cpu.max"))
    expected = unlimited if at_most is None else min(unlimited, at_most)
    assert forkjoin.available_cpus() == expected

"""Join the texts of many items, computed by two processes working from both ends.

Writing YAML is the largest part of a big run, and each document's text depends on that
document alone. So on a machine with a second core, a forked child writes documents from the
end of the list while this process writes them from the start, until the two meet. Neither
knows in advance how long a document takes (a DaemonSet can cost as much as thousands of
BuildConfigs), so instead of splitting the list up front, each side claims one item at a
time in a pair of shared counters and stops at an item the other side has claimed.

Without atomic operations both sides can claim the item where they meet; that is harmless,
because an item's text is the same whoever computes it, and the join takes each item once.
The child cannot cause a gap: it sends every item it claims, and if it fails or dies, this
process computes whatever it did not receive. The result is therefore exactly
`"".join(text_of(i) for i in range(count))`, as tests check. The child's text comes back
through shared memory (a pipe costs twice as long on a 15 MB half).

`Forked` is the simpler helper beside it: one function's result computed by a child
(halves reads half of a big streams.yml with it).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import signal
import struct
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

Piece = str | bytes | memoryview  # a text, or UTF-8 bytes (surrogates passed through)
# Fewer items than this are not worth a fork (a few milliseconds).
MIN_ITEMS = 200
# Address space reserved for the child's text; pages cost memory only once written.
_CAPACITY = 1 << 30  # 1 GiB: the child's half of 300,000 streams; beyond, the parent writes
_CLAIMS = struct.Struct("<qq")  # parent: items [0, a) claimed; child: items [b, count)
_DONE = b"\x01"
_RESULT = struct.Struct("<qqq")  # first item sent, items sent, where their text starts


# A container's CPU limit (cgroup v2): "max 100000", or a quota and a period in microseconds.
CGROUP_CPU_MAX = "/sys/fs/cgroup/cpu.max"


def available_cpus() -> int:
    """The CPUs this process may run on, within a container's CPU limit (a pod limited to
    one CPU gains nothing from a second process, however many CPUs the node has)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        quota, period = Path(CGROUP_CPU_MAX).read_text(encoding="ascii").split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, round(int(quota) / int(period))))
    except (OSError, ValueError):  # no cgroup v2 limit to read
        pass
    return cpus


def can_fork() -> bool:
    """True where a fork is cheap and safe: POSIX, a second CPU, and no other threads (a
    forked child would inherit the locks they hold)."""
    return hasattr(os, "fork") and available_cpus() > 1 and threading.active_count() == 1


def _fork() -> tuple[int, set[int | signal.Signals]]:
    """os.fork() with Ctrl-C held, and the signal mask for the parent to restore.

    Ctrl-C must wait until each side is ready for it: the child must never run the
    caller's cleanup (it gets the default action: it just ends), and the parent must be
    inside the block that stops the child when it restores the mask.
    """
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        raise
    if pid == 0:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    return pid, mask


def collect(text_of: Callable[[int], str], count: int, jobs: int = 2,
            meanwhile: Callable[[], None] | None = None) -> list[Piece]:
    """The texts of items 0 to count-1 in order, with a second process when `jobs` >= 2.

    The pieces are the items' texts, except that the child's share comes as one piece of
    UTF-8 bytes, a view of the memory it was written to (so that it can be written out
    without being copied, decoded and encoded again).

    `text_of` must be pure (the same text for the same index in any process) and must not
    start threads or import modules on first use (the child runs it after the fork).
    Exceptions it raises here propagate; in the child they only mean that this process
    computes those items itself, so they then propagate from here.

    `meanwhile`, when given, runs in this process before any item is written here, while
    the child already writes; if it raises, the child is stopped and nothing is returned.
    """
    shared = _reserve() if jobs >= 2 and count >= MIN_ITEMS and can_fork() else None
    if shared is None:
        return _one_process(text_of, count, meanwhile)
    # not closed here: the child's piece is a view of it (unmapped once that is dropped)
    return _TwoEnds(text_of, count, shared, meanwhile).run()


def _one_process(text_of: Callable[[int], str], count: int,
                 meanwhile: Callable[[], None] | None) -> list[Piece]:
    if meanwhile is not None:
        meanwhile()
    return [text_of(index) for index in range(count)]


def join(pieces: Sequence[Piece]) -> str:
    """The pieces as one text."""
    return "".join(piece if isinstance(piece, str) else str(piece, "utf-8", "surrogatepass")
                   for piece in pieces)


def _reserve() -> mmap.mmap | None:
    try:
        return mmap.mmap(-1, _CLAIMS.size + _CAPACITY)
    except (OSError, OverflowError, ValueError):  # no room to reserve: one process it is
        return None


class _TwoEnds:
    def __init__(self, text_of: Callable[[int], str], count: int, shared: mmap.mmap,
                 meanwhile: Callable[[], None] | None) -> None:
        self.text_of = text_of
        self.meanwhile = meanwhile
        self.count = count
        self.shared = shared
        _CLAIMS.pack_into(shared, 0, 0, count)

    def run(self) -> list[Piece]:
        done_read, done_write = os.pipe()  # one byte once the child's text is in place
        try:
            pid, mask = _fork()
        except OSError:  # no process to spare (a limit reached): one process it is
            os.close(done_read)
            os.close(done_write)
            return _one_process(self.text_of, self.count, self.meanwhile)
        if pid == 0:  # the child: it never returns
            os.close(done_read)
            self._child(done_write)
        try:
            os.close(done_write)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            return self._parent(done_read)
        except BaseException:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)  # its work is not wanted any more
            raise
        finally:
            os.close(done_read)
            with contextlib.suppress(ChildProcessError):  # SIGCHLD ignored: reaped already
                os.waitpid(pid, 0)

    def _parent(self, done_read: int) -> list[Piece]:
        if self.meanwhile is not None:
            self.meanwhile()
        texts = self._parent_part()
        # not waitpid: tearing down a big child's memory takes a while, and is not needed
        sent = os.read(done_read, 1) == _DONE
        first, tail = self._received() if sent else (self.count, memoryview(b""))
        # items the child failed to send, if any, then the child's text less any overlap
        texts.extend(self.text_of(index) for index in range(len(texts), first))
        texts.append(tail)
        return texts

    def _parent_part(self) -> list[Piece]:
        claims = memoryview(self.shared)[:_CLAIMS.size].cast("q")
        try:
            texts: list[Piece] = []
            index, text_of = 0, self.text_of
            while index < self.count and self._parent_may_take(index, claims):
                claims[0] = index + 1
                texts.append(text_of(index))
                index += 1
            return texts
        finally:
            claims.release()

    def _child(self, done: int) -> None:
        """Claim items from the end, placing each text in shared memory as it is written:
        backwards from the end of the region, so that they end up in order. Exit without
        the parent's cleanup (atexit handlers, buffered output)."""
        status = 1
        try:
            shared, text_of = self.shared, self.text_of
            claims = memoryview(shared)[:_CLAIMS.size].cast("q")
            sizes: list[int] = []
            at = len(shared)
            index = self.count - 1
            while index >= 0 and self._child_may_take(index, claims):
                claims[1] = index
                data = text_of(index).encode("utf-8", "surrogatepass")
                if at - len(data) < _CLAIMS.size + _RESULT.size + 8 * (len(sizes) + 1):
                    return  # the reserved space is full: the parent writes the rest
                shared[at - len(data):at] = data
                at -= len(data)
                sizes.append(len(data))
                index -= 1
            claims.release()
            sizes.reverse()
            table = struct.pack(f"<{len(sizes)}q", *sizes)
            start = _CLAIMS.size + _RESULT.size
            shared[start:start + len(table)] = table
            _RESULT.pack_into(shared, _CLAIMS.size, index + 1, len(sizes), at)
            os.write(done, _DONE)
            status = 0
        finally:
            os._exit(status)

    @staticmethod
    def _parent_may_take(index: int, claims: memoryview) -> bool:
        return index < claims[1]

    @staticmethod
    def _child_may_take(index: int, claims: memoryview) -> bool:
        return index >= claims[0]

    def _received(self) -> tuple[int, memoryview]:
        """(first item, UTF-8 text) the child left, the items the parent also wrote cut off."""
        first, sent, at = _RESULT.unpack_from(self.shared, _CLAIMS.size)
        sizes = struct.unpack_from(f"<{sent}q", self.shared, _CLAIMS.size + _RESULT.size)
        claimed_here = _CLAIMS.unpack_from(self.shared, 0)[0]
        overlap = max(0, min(claimed_here, first + sent) - first)
        return first + overlap, memoryview(self.shared)[at + sum(sizes[:overlap]):]


class Forked:
    """`compute()` run in a forked child, its (picklable) result sent back when asked for.

    The caller goes on with other work meanwhile and then takes `result()`, or `cancel()`s
    it; used as a context manager, leaving the block cancels whatever was not taken. A
    child that fails, dies or cannot be forked gives `(False, None)`: the caller then does
    the work itself, so a failure here is never an error of its own.
    """

    def __init__(self, compute: Callable[[], object]) -> None:
        self._pid: int | None = None
        self._read = -1
        if not can_fork():
            return
        read_end, write_end = os.pipe()
        try:
            pid, mask = _fork()
        except OSError:  # no process to spare: the caller does the work
            os.close(read_end)
            os.close(write_end)
            return
        if pid == 0:  # the child: it never returns
            os.close(read_end)
            _send_and_exit(compute, write_end)
        os.close(write_end)
        self._pid, self._read = pid, read_end
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        except BaseException:  # a Ctrl-C held during the fork
            self.cancel()
            raise

    def __enter__(self) -> Forked:
        return self

    def __exit__(self, *_: object) -> None:
        self.cancel()  # nothing to do once the result was taken

    def result(self) -> tuple[bool, object]:
        """(True, the value) once the child is done, or (False, None) if it failed."""
        if self._pid is None:
            return False, None
        try:
            with os.fdopen(self._read, "rb") as pipe:
                data = pipe.read()
        finally:
            self._reap()
        if data[:1] != _DONE:
            return False, None
        return True, pickle.loads(data[1:])  # noqa: S301 (written by our own forked child)

    def cancel(self) -> None:
        """Stop the child (if any) and forget its work."""
        if self._pid is None:
            return
        with contextlib.suppress(OSError):
            os.kill(self._pid, signal.SIGKILL)
        os.close(self._read)
        self._reap()

    def _reap(self) -> None:
        if self._pid is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
            self._pid = None


def _send_and_exit(compute: Callable[[], object], write_end: int) -> None:
    status = 1
    try:
        data = _DONE + pickle.dumps(compute(), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
        status = 0
    finally:
        os._exit(status)

"""The apply report as it happens: each object's line is written and flushed once the object
is done, in the plan's order (a CI log on a pipe shows the progress), and a run cut short by
Ctrl-C or SIGTERM says what it had written. Against the real test cluster behind the fault
proxy (slowed, so that the signal lands mid-run), with cistreams as a process of its own."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cistreams.cluster.apply import CONFIGURED, CREATED, UNCHANGED, Planned
from cistreams.cluster.kinds import BUILDCONFIG, DAEMONSET, Ref
from cistreams.cluster.report import NAMED, Report, Shown
from cluster.conftest import GROUP, IMAGESTREAM, OBJECTS, converges, interrupt_when, live, rendered
from cluster.faultproxy import FaultProxy

REPORT_LINE = re.compile(r"^(buildconfig\.build\.openshift\.io|daemonset\.apps)/(\S+) (\w+)")


def slow_apply(proxy: FaultProxy, data: Path, out: Path) -> subprocess.Popen[str]:
    """gen-buildconfigs --apply, one request at a time through the slowed proxy, as a
    process of its own whose standard error is a pipe (buffered as Python buffers a pipe)."""
    proxy.delay_seconds = 0.15  # 0.3 s a request: the seven writes take about two seconds
    return subprocess.Popen(
        [sys.executable, "-m", "cistreams", "--data-path", str(data), "-g", GROUP,
         "gen-buildconfigs", "-o", str(out), *IMAGESTREAM, "--apply", "--kubeconfig",
         str(proxy.kubeconfig("admin")), "--max-inflight", "1"],
        text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_each_line_reaches_a_pipe_as_its_object_is_done(
        proxy: FaultProxy, data: Path, tmp_path: Path) -> None:
    with slow_apply(proxy, data, tmp_path / "out.yaml") as process:
        assert process.stderr is not None
        first = process.stderr.readline()
        live_then, running_then = len(live(proxy.cluster)), process.poll() is None
        rest = process.stderr.read()
        assert process.wait(timeout=60) == 0, first + rest
    assert REPORT_LINE.match(first) and first.rstrip().endswith(" created"), first
    # the first line came while the other objects were still being written
    assert running_then and live_then < OBJECTS, (live_then, first + rest)
    lines = [first.rstrip(), *rest.splitlines()]
    assert sum(bool(REPORT_LINE.match(line)) for line in lines) == OBJECTS
    assert lines[OBJECTS].startswith(f"applied {OBJECTS} objects"), lines  # then the summary


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_apply_says_what_it_wrote_and_the_next_run_converges(
        proxy: FaultProxy, data: Path, tmp_path: Path, signum: int, code: int) -> None:
    out = tmp_path / "out.yaml"
    process = slow_apply(proxy, data, out)
    exit_code, stderr, _ = interrupt_when(process, lambda: len(live(proxy.cluster)) >= 2, signum)
    assert exit_code == code, stderr
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    last = re.fullmatch(r"error: interrupted after writing (\d+) of 7 changed objects"
                        r"(?: \((\d+) more in flight may have been written\))?: created (.+); "
                        r"the others are as they were: run again to finish", lines[-1])
    assert last, stderr
    written, in_flight = int(last[1]), int(last[2] or 0)
    named = [ref.split("/", 1)[1] for ref in last[3].split(", ")]
    assert len(named) == written >= 1
    # every object named was reported created above, as it was written
    shown = [m[2] for m in map(REPORT_LINE.match, lines) if m and m[3] == "created"]
    assert shown == named
    there = set(live(proxy.cluster))
    assert set(named) <= there and len(there - set(named)) <= in_flight <= 1, (there, stderr)
    assert out.read_bytes() == rendered(data, tmp_path)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file
    converges(proxy.cluster, data)


# -- the report on its own -------------------------------------------------------------------

def planned(name: str, action: str, kind: str = "bc") -> Planned:
    item = Planned(Ref(BUILDCONFIG if kind == "bc" else DAEMONSET, "ci", name), {})
    item.decided = action
    return item


def shown_for(*items: Planned, dry_run: bool = False) -> tuple[Shown, list[str]]:
    echoed: list[str] = []
    return Shown(Report(list(items), dry_run, "https://s"), echoed.append), echoed


def test_unchanged_lines_come_in_the_plans_order_between_the_writes() -> None:
    a, b, c, d, e = (planned("a", UNCHANGED), planned("b", CREATED), planned("c", UNCHANGED),
                     planned("d", CONFIGURED), planned("e", UNCHANGED, "ds"))
    shown, echoed = shown_for(a, b, c, d, e)
    shown.done(b, "")
    assert echoed == ["buildconfig.build.openshift.io/a unchanged",
                      "buildconfig.build.openshift.io/b created"]
    shown.done(d, "HTTP 409: conflict")  # a failed write shows no line (the error lists it)
    assert echoed[2:] == ["buildconfig.build.openshift.io/c unchanged"]
    shown.objects_done()
    shown.pruned(None, "buildconfig.build.openshift.io/old pruned")
    assert echoed[3:] == ["daemonset.apps/e unchanged", "buildconfig.build.openshift.io/old pruned"]
    assert shown.report.lines() == ["buildconfig.build.openshift.io/d configured"]  # not shown


def test_a_report_shown_whole_has_no_lines_left() -> None:
    shown, echoed = shown_for(planned("a", CREATED), planned("b", UNCHANGED), dry_run=True)
    shown.objects_done()
    assert echoed == ["buildconfig.build.openshift.io/a created (server dry run)",
                      "buildconfig.build.openshift.io/b unchanged (server dry run)"]
    assert shown.report.lines() == []
    assert shown.report.all_lines() == echoed


def test_the_summary_counts_in_words() -> None:
    one = Report([planned("a", CREATED)], False, "https://s")
    one.requests = 1
    assert one.summary() == "applied 1 object to https://s: 1 created, 0 configured, 0 unchanged; 1 request"
    two = Report([planned("a", CREATED), planned("b", UNCHANGED)], True, "https://s")
    two.requests = 2
    assert two.summary() == ("would apply 2 objects to https://s: 1 created, 0 configured, "
                             "1 unchanged; 2 requests")


def test_what_an_interrupted_run_says() -> None:
    items = [planned(f"n{i}", CREATED if i % 2 else CONFIGURED) for i in range(14)]
    shown, _ = shown_for(*items)
    shown.writes = 14
    assert shown.interrupted() == ("interrupted before writing any of the 14 changed objects: "
                                   "run again to finish")
    shown.begun = [p.ref for p in items[:13]]
    shown.written = items[:12]
    assert shown.interrupted() == (
        "interrupted after writing 12 of 14 changed objects (1 more in flight may have been "
        "written): created " + ", ".join(f"buildconfig.build.openshift.io/n{i}" for i in
                                         (1, 3, 5, 7, 9, 11))
        + "; configured " + ", ".join(f"buildconfig.build.openshift.io/n{i}" for i in
                                      (0, 2, 4, 6, 8, 10))
        + "; the others are as they were: run again to finish")
    many = [planned(f"m{i:02}", CREATED) for i in range(NAMED + 3)]
    lots, _ = shown_for(*many)
    lots.writes = len(many) + 2
    lots.begun, lots.written = [p.ref for p in many], many
    assert lots.interrupted().endswith(f"created {', '.join(str(p.ref) for p in many[:NAMED])} "
                                       "and 3 more; the others are as they were: run again to "
                                       "finish")
    shown.objects_done()
    shown.stale = 3
    shown.pruned(None, "buildconfig.build.openshift.io/old pruned")
    assert shown.interrupted() == ("interrupted while pruning: all 14 changed objects were "
                                   "written, 1 of 3 stale objects done: "
                                   "buildconfig.build.openshift.io/old; run again to finish")
    dry, _ = shown_for(planned("a", CREATED), dry_run=True)
    assert dry.interrupted() == "interrupted during a server dry run: nothing was written"

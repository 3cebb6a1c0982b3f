"""--apply against a flaky or unreachable API server: the real test cluster, with the fault
proxy (faultproxy.py) in between where a test needs 503s, latency or dropped connections.

What must hold: 429/5xx, timeouts and broken connections are retried (three tries, honouring
Retry-After); a 4xx is not; a run that gives up exits 1 with one clear line and no
traceback; and a run cut off midway (server gone, Ctrl-C) leaves the cluster in a state the
next run converges from, reporting what was already applied as unchanged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from cluster.conftest import (
    FIRST_BC,
    GROUP,
    IMAGESTREAM,
    OBJECTS,
    apply_via,
    converges,
    interrupt_when,
    live,
    outcomes,
    rendered,
)
from cluster.faultproxy import ANSWERED_503, FORWARDED, FaultProxy
from cluster.testcluster import TestCluster
from helpers import Run


def errors(run: Run) -> list[str]:
    """The run's error lines; a traceback anywhere fails the test."""
    assert "Traceback" not in run.stderr, run.stderr
    return [line for line in run.stderr.splitlines() if line.startswith("error:")]


def requests_of(proxy: FaultProxy) -> Counter[tuple[str, str]]:
    """How often the proxy saw each request (method and path with its query)."""
    return Counter((s.method, s.path) for s in proxy.seen)


def plan_requests(proxy: FaultProxy, data: Path) -> int:
    """The requests the plan of the example group takes (a --dry-run run is just the plan),
    however the planning is done."""
    before = proxy.requests
    dry = apply_via(proxy.kubeconfig("admin"), data, "--dry-run")
    assert dry.code == 0, dry.stderr
    return proxy.requests - before


def test_503s_are_retried_and_every_object_is_created(
        proxy: FaultProxy, data: Path) -> None:
    proxy.answer_503(2, retry_after="0")
    run = apply_via(proxy.kubeconfig("admin"), data)
    assert run.code == 0, run.stderr
    assert set(outcomes(run).values()) == {"created"} and len(outcomes(run)) == OBJECTS
    assert len(live(proxy.cluster)) == OBJECTS
    seen = proxy.seen
    assert [s.outcome for s in seen[:2]] == [ANSWERED_503] * 2
    assert [s.outcome for s in seen[2:]] == [FORWARDED] * (len(seen) - 2)
    for refused in seen[:2]:  # each one tried again, and then it got through
        assert (refused.method, refused.path) in [(s.method, s.path) for s in seen[2:]]
    # the retries are counted in the summary too
    summary = [line for line in run.stderr.splitlines() if line.startswith("applied ")]
    assert len(summary) == 1 and summary[0].endswith(f"; {proxy.requests} requests"), summary


def test_retry_after_is_honoured(proxy: FaultProxy, data: Path) -> None:
    proxy.answer_503(1, retry_after="1")
    began = time.monotonic()
    run = apply_via(proxy.kubeconfig("admin"), data, "--max-inflight", "1")
    took = time.monotonic() - began
    assert run.code == 0, run.stderr
    first, retry = proxy.seen[:2]
    assert (first.outcome, retry.outcome) == (ANSWERED_503, FORWARDED)
    assert (retry.method, retry.path) == (first.method, first.path)
    # the default backoff would have waited 0.5 s
    assert retry.at - first.at >= 0.95
    assert took >= 1.0


def test_503_forever_is_a_refusal_of_every_object(
        proxy: FaultProxy, data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    out.write_text("previous\n")
    proxy.answer_503(None)
    run = apply_via(proxy.kubeconfig("admin"), data, out=out)
    assert run.code == 1
    assert errors(run) == [  # one cause, one line, with the count
        f"error: nothing was applied: the server refused {OBJECTS} of {OBJECTS} objects in a "
        "dry run",
        f"error: {OBJECTS} objects (buildconfig.build.openshift.io/{FIRST_BC} and {OBJECTS - 1} "
        "more): refused by the server: HTTP 503: injected by the test proxy: service unavailable"]
    assert set(requests_of(proxy).values()) == {3}  # three tries of each request
    assert all(s.method == "GET" or "dryRun=All" in s.path for s in proxy.seen)  # no write
    assert live(proxy.cluster) == {}
    assert out.read_text() == "previous\n"


def test_a_403_is_not_retried(proxy: FaultProxy, data: Path) -> None:
    run = apply_via(proxy.kubeconfig("admin"), data, "--as", "nobody")
    assert run.code == 1
    assert "HTTP 403" in run.stderr and errors(run)
    objects = [s for s in proxy.seen if "labelSelector=" not in s.path]  # lists come first
    assert len(objects) == OBJECTS and {s.method for s in objects} == {"GET"}
    assert set(requests_of(proxy).values()) == {1}  # one try each: no retry at all


def test_a_timeout_is_one_line_naming_the_server(
        proxy: FaultProxy, data: Path, tmp_path: Path) -> None:
    proxy.delay_seconds = 1.5
    out = tmp_path / "out.yaml"
    run = apply_via(proxy.kubeconfig("admin"), data, "--request-timeout", "1s",
                    "--max-inflight", "1", out=out)
    assert run.code == 1
    lines = errors(run)
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"error: {proxy.url}: GET /")
    assert "failed after 3 tries: the request timed out (see --request-timeout)" in lines[0]
    assert [s.path for s in proxy.seen] == [proxy.seen[0].path] * 3
    assert not out.exists()
    assert live(proxy.cluster) == {}


def test_a_stopped_server_is_one_line_and_the_next_run_applies(
        clean_cluster: TestCluster, data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    clean_cluster.stop_apiserver()
    try:
        run = apply_via(clean_cluster.kubeconfig("admin"), data, out=out)
    finally:
        clean_cluster.start_apiserver()
    assert run.code == 1
    lines = errors(run)
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"error: {clean_cluster.server}: GET /")
    assert "failed after 3 tries: cannot connect" in lines[0]
    assert not out.exists()  # the dry run comes before the file
    again = apply_via(clean_cluster.kubeconfig("admin"), data, out=out)
    assert again.code == 0, again.stderr
    assert set(outcomes(again).values()) == {"created"} and len(outcomes(again)) == OBJECTS
    assert out.exists()


def test_a_server_gone_mid_run_leaves_what_the_next_run_converges(
        proxy: FaultProxy, data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    proxy.go_away(after_requests=plan_requests(proxy, data) + 3)  # the plan, three writes
    run = apply_via(proxy.kubeconfig("admin"), data, out=out)
    assert run.code == 1
    lines = errors(run)
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"error: {proxy.url}: PATCH /")
    assert "failed after 3 tries: cannot connect" in lines[0]
    assert lines[0].endswith("; 3 of 7 changed objects were written before it stopped, the "
                             "others are as they were: run again to converge")
    assert len(live(proxy.cluster)) == 3
    assert out.read_bytes() == rendered(data, tmp_path)  # written whole after the plan
    converges(proxy.cluster, data)


def cistreams(*args: str) -> subprocess.Popen[str]:
    """The CLI as a process of its own, so that it can get a real SIGINT."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "cistreams", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_while_retrying_starts_no_request_and_writes_nothing(
        proxy: FaultProxy, data: Path, tmp_path: Path, signum: int) -> None:
    """Several requests at once (worker threads), each answered 503 with a wait of 5 s
    before its retry: Ctrl-C (or SIGTERM) ends the run at once, saying that nothing was
    applied, and none of them is tried again."""
    proxy.answer_503(None, retry_after="5", where=lambda method, path: "labelSelector=" not in path)
    out = tmp_path / "out.yaml"
    out.write_text("previous\n")
    process = cistreams("--data-path", str(data), "-g", GROUP, "gen-buildconfigs", "-o",
                        str(out), *IMAGESTREAM, "--apply", "--kubeconfig",
                        str(proxy.kubeconfig("admin")))
    code, stderr, took = interrupt_when(process, lambda: any(
        s.outcome == ANSWERED_503 for s in proxy.seen), signum)
    assert (code, stderr.splitlines()[-1:]) == (
        128 + signum, [f"error: interrupted during the dry run: nothing was applied ({OBJECTS} "
                       "objects)"]), stderr
    assert took < 3.0  # not waiting for the retries' wait
    assert "Traceback" not in stderr
    assert set(requests_of(proxy).values()) == {1}  # not one of them was tried again
    assert live(proxy.cluster) == {}
    assert out.read_text() == "previous\n"

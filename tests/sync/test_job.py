"""The whole job against the real parts (world.py): the test cluster, the build service in
front of it, three real registries, skopeo, and two corpus groups with their hosts rewritten.
Nothing is stood in for: every step is the verb's own code."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from typing import Any

from cistreams.cluster.connection import connect
from cistreams.cluster.lease import GroupLease
from cistreams.options import ConnectionOptions
from cluster import build_crd, imagestream_crd
from cluster.buildservice import HANG, Scenario
from helpers import run_cli
from sync.world import GROUPS, World

STEPS = ["gen-buildconfigs", "mirror", "start-builds", "check-upstream"]


def document(text: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def statuses(report: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    return [(g["group"], g["status"], [s["status"] for s in g["steps"]]) for g in report["groups"]]


def builds(world: World) -> list[str]:
    status, body = world.cluster.api("GET", build_crd.path())
    assert status == 200, body
    return sorted(item["metadata"]["name"] for item in body["items"])


def phases(world: World) -> dict[str, str]:
    status, body = world.cluster.api("GET", build_crd.path())
    assert status == 200, body
    return {item["metadata"]["name"]: (item.get("status") or {}).get("phase", "New")
            for item in body["items"]}


def settle(world: World) -> None:
    """Wait until the build controller has moved every build of a stopped run past New, so
    that no controller thread writes to a build the next test deletes."""
    deadline = time.monotonic() + 20
    while "New" in phases(world).values():
        assert time.monotonic() < deadline, phases(world)
        time.sleep(0.1)


def test_the_whole_job_then_nothing_then_one_changed_group(world: World) -> None:
    world.copy()
    junit = world.root / "junit.xml"
    run = run_cli(*world.args("--format", "json", "--junit", str(junit)))
    report = document(run.stdout)
    assert run.code == 0, [g["message"] for g in report["groups"]]
    assert statuses(report) == [(g, "synced", ["ok"] * 4) for g in GROUPS]
    for group in report["groups"]:
        steps = {s["name"]: s for s in group["steps"]}
        assert steps["gen-buildconfigs"]["counts"]["created"] == 11
        assert steps["mirror"]["counts"]["copied"] > 0
        assert steps["mirror"]["counts"]["error"] == 0
        assert steps["start-builds"]["counts"]["complete"] == 11
        assert steps["check-upstream"]["counts"]["error"] == 0
    started = builds(world)
    assert len(started) == 22 and all(name.endswith("-1") for name in started)
    # every BuildConfig's image was promoted: its imagestream tag names the proxy by digest
    status, stream = world.cluster.api("GET", imagestream_crd.path("ocp", "builder"))
    assert status == 200
    tags = {t["name"]: t for t in stream["spec"]["tags"]}
    assert tags["rhel-9-golang-1.22-openshift-4.17"]["from"]["name"].startswith(
        "quay-proxy.test/openshift/ci@sha256:")
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert [(s.get("name"), s.get("failures")) for s in suites] == [(g, "0") for g in GROUPS]
    assert [c.get("name") for c in suites[0].findall("testcase")] == STEPS

    again = run_cli(*world.args())
    assert again.code == 0, again.stderr
    lines = again.stdout.splitlines()
    assert [line.split()[1] for line in lines[1:3]] == ["unchanged", "unchanged"]
    assert builds(world) == started  # nothing was built again
    assert lines[-1] == "2 groups: 2 unchanged"

    streams = world.data / GROUPS[1] / "streams.yml"
    streams.write_text(streams.read_text() + "\n# a new commit\n")
    third = document(run_cli(*world.args("--format", "json")).stdout)
    assert statuses(third) == [(GROUPS[0], "unchanged", ["not-run"] * 4),
                               (GROUPS[1], "synced", ["ok"] * 4)]
    rebuilt = sorted(set(builds(world)) - set(started))
    assert len(rebuilt) == 11 and all("4.18" in name and name.endswith("-2") for name in rebuilt)


def test_a_failing_mirror_ends_its_group_while_the_other_completes(world: World) -> None:
    world.copy()
    streams = world.data / GROUPS[1] / "streams.yml"
    # 4.18's images go to an imagestream the cluster does not have
    base = f"upstream_image_base: {world.ci}/ocp/builder:"
    gone = f"upstream_image_base: {world.ci}/ocp/no-such-imagestream:"
    streams.write_text(streams.read_text().replace(base, gone))
    run = run_cli(*world.args("--format", "json"))
    report = document(run.stdout)
    assert run.code == 1, [g["message"] for g in report["groups"]]
    assert statuses(report) == [(GROUPS[0], "synced", ["ok"] * 4),
                                (GROUPS[1], "failed", ["ok", "failed", "not-run", "not-run"])], \
        [g["message"] for g in report["groups"]]
    mirror = report["groups"][1]["steps"][1]
    assert mirror["errors"] and all("no-such-imagestream" in e for e in mirror["errors"])
    assert "HTTP 404" in mirror["errors"][0]
    assert [b for b in builds(world) if "4.18" in b] == []  # nothing built for the failed group
    # nothing recorded for 4.18: once its build data is right, the next run syncs it
    streams.write_text(streams.read_text().replace(gone, base))
    again = document(run_cli(*world.args("--format", "json")).stdout)
    assert statuses(again) == [(GROUPS[0], "unchanged", ["not-run"] * 4),
                               (GROUPS[1], "synced", ["ok"] * 4)]


class Process:
    """`cistreams sync` in a process of its own, its standard error read as it comes."""

    def __init__(self, args: list[str]) -> None:
        self.popen = subprocess.Popen([sys.executable, "-m", "cistreams", *args],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, *texts: str, timeout: float = 120) -> list[str]:
        """The first line holding each text, waiting for them (the test fails without)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [next((line for line in self.lines if text in line), None)
                         for text in texts]
                if all(found):
                    return [line for line in found if line]
                left = deadline - time.monotonic()
                assert left > 0 and self.popen.poll() is None, (texts, self.lines[-20:])
                self._changed.wait(min(left, 0.5))

    def finish(self, timeout: float = 300) -> tuple[int, str]:
        """Exit status and standard output, once it ends (standard error is the reader's:
        communicate() would read it too, and take lines from it)."""
        assert self.popen.stdout is not None
        out = self.popen.stdout.read()
        self.popen.stdout.close()
        self.popen.wait(timeout)
        self._reader.join(10)
        assert self.popen.stderr is not None
        self.popen.stderr.close()
        return self.popen.returncode, out


def holder_of(line: str) -> str:
    """The holder in `GROUP: took the Lease ci/NAME as HOLDER`."""
    return line.rsplit(" as ", 1)[1]


def test_two_syncs_at_once_never_overlap(world: World) -> None:
    world.copy()
    world.service.default = Scenario(run_seconds=2.0)  # the first run is still building
    first = Process(world.args())
    took = first.wait_for(*(f"{g}: took the Lease" for g in GROUPS))
    second = Process(world.args("--format", "json"))
    code, out = second.finish()
    assert code == 0, second.lines  # another run is syncing them: not a failure
    report = document(out)
    assert statuses(report) == [(g, "skipped", ["not-run"] * 4) for g in GROUPS]
    for group, line in zip(report["groups"], took, strict=True):
        assert group["message"].startswith(f"held by {holder_of(line)} since ")
    code, out = first.finish()
    assert code == 0, first.lines[-20:]
    assert [line.split()[1] for line in out.splitlines()[1:3]] == ["synced", "synced"]
    assert len(builds(world)) == 22 and all(b.endswith("-1") for b in builds(world))


def test_a_killed_syncs_lease_expires_and_the_next_run_takes_over(world: World) -> None:
    world.copy()
    world.service.default = Scenario(outcome=HANG)  # the killed run waits on its builds
    killed = Process(world.args("--lease-duration", "3"))
    took = killed.wait_for(*(f"{g}: took the Lease" for g in GROUPS))
    killed.wait_for(*(f"{g}: start-builds: started " for g in GROUPS))
    killed.popen.send_signal(signal.SIGKILL)
    killed.finish()
    settle(world)
    at_once = document(run_cli(*world.args("--format", "json")).stdout)
    assert statuses(at_once) == [(g, "skipped", ["not-run"] * 4) for g in GROUPS]
    assert [g["message"].split()[2] for g in at_once["groups"]] == [holder_of(t) for t in took]
    world.service.default = Scenario()
    api = connect(ConnectionOptions(str(world.cluster.kubeconfig("admin"))))
    try:
        leases = [GroupLease(api, "ci", g) for g in GROUPS]
        deadline = time.monotonic() + 30
        while any(lease.read().held_by_other("next", time.time()) for lease in leases):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        run = run_cli(*world.args("--format", "json"))
        report = document(run.stdout)
        assert run.code == 0, [g["message"] for g in report["groups"]]
        assert statuses(report) == [(g, "synced", ["ok"] * 4) for g in GROUPS]
        for lease in leases:
            state = lease.read()
            assert state.holder is None and state.spec["leaseTransitions"] == 1
    finally:
        api.client.close()
    # every BuildConfig's last build is the new run's, complete (a build the killed run
    # started hangs on, Running, with a lower number)
    last: dict[str, tuple[int, str]] = {}
    for name, phase in phases(world).items():
        config, _, number = name.rpartition("-")
        last[config] = max(last.get(config, (0, "")), (int(number), phase))
    assert len(last) == 22 and {phase for _, phase in last.values()} == {"Complete"}
    settle(world)


def test_sigterm_releases_the_leases_at_once_and_records_nothing(world: World) -> None:
    world.copy(groups=GROUPS[:1])
    world.service.default = Scenario(outcome=HANG)
    stopped = Process(world.args(groups=GROUPS[:1]))
    stopped.wait_for(f"{GROUPS[0]}: start-builds: started ")
    stopped.popen.send_signal(signal.SIGTERM)  # what Kubernetes sends a pod it stops
    code, _ = stopped.finish(timeout=60)
    settle(world)
    assert code == 143 and "terminated" in stopped.lines, stopped.lines[-5:]
    api = connect(ConnectionOptions(str(world.cluster.kubeconfig("admin"))))
    try:
        state = GroupLease(api, "ci", GROUPS[0]).read()
    finally:
        api.client.close()
    assert state.holder is None and state.record is None  # free for the next run at once

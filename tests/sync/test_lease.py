"""The group Lease against the real test cluster: take, refuse, race, renew, lose, release,
record; two real processes at once, and a process killed with SIGKILL whose Lease expires."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cistreams.cluster.api import Api
from cistreams.cluster.connection import connect
from cistreams.cluster.lease import (
    REVISION_ANNOTATION,
    GroupLease,
    Held,
    LeaseError,
    LeaseState,
    Record,
    Renewer,
    lease_name,
    micro_time,
    parse_time,
)
from cistreams.options import ConnectionOptions
from cluster.testcluster import TestCluster
from sync.fixtures import LEASES, delete_leases

HOLDER = Path(__file__).with_name("lease_holder.py")


@pytest.fixture
def cluster(sync_cluster: TestCluster) -> TestCluster:
    delete_leases(sync_cluster)
    return sync_cluster


@pytest.fixture
def api(cluster: TestCluster) -> Iterator[Api]:
    opened = connect(ConnectionOptions(str(cluster.kubeconfig("admin"))))
    yield opened
    opened.client.close()


def live(cluster: TestCluster, group: str) -> dict[str, object]:
    status, body = cluster.api("GET", f"{LEASES.format(namespace='ci')}/{lease_name(group)}")
    assert status == 200, body
    assert isinstance(body, dict)
    return body


# -- plain rules ------------------------------------------------------------------------------

def test_the_name_is_the_group_or_a_clean_name_with_a_hash() -> None:
    assert lease_name("openshift-4.17") == "cistreams-sync-openshift-4.17"
    odd = lease_name("My_Group")
    assert odd.startswith("cistreams-sync-my-group-") and len(odd) == len("cistreams-sync-my-group-") + 8
    assert lease_name("My_Group") != lease_name("my-group")


def test_times_round_trip_in_microtime() -> None:
    assert micro_time(0.25) == "1970-01-01T00:00:00.250000Z"
    assert parse_time("1970-01-01T00:00:10.500000Z") == 10.5
    assert parse_time("nonsense") is None and parse_time(None) is None


def state(holder: str | None, renewed: float, duration: int | None = 10) -> LeaseState:
    spec: dict[str, object] = {"renewTime": micro_time(renewed), "acquireTime": micro_time(renewed)}
    if holder:
        spec["holderIdentity"] = holder
    if duration is not None:
        spec["leaseDurationSeconds"] = duration
    return LeaseState(True, {"spec": spec})


def test_who_holds_a_lease() -> None:
    assert state("b", renewed=100).held_by_other("a", now=105)
    assert not state("b", renewed=100).held_by_other("a", now=111)  # expired
    assert not state("a", renewed=100).held_by_other("a", now=105)  # ours
    assert not state(None, renewed=100).held_by_other("a", now=105)  # released
    assert state("b", renewed=100, duration=None).held_by_other("a", now=10**9)  # unknown: live
    assert not LeaseState(False, {}).held_by_other("a", now=0)


# -- against the real API server ----------------------------------------------------------------

def test_the_first_run_creates_the_lease_and_another_is_refused(cluster: TestCluster, api: Api) -> None:
    first = GroupLease(api, "ci", "g1", holder="run-1", duration=30)
    assert first.acquire(first.read()) is None and first.held
    body = live(cluster, "g1")
    spec = body["spec"]
    assert isinstance(spec, dict)
    assert (spec["holderIdentity"], spec["leaseDurationSeconds"]) == ("run-1", 30)
    second = GroupLease(api, "ci", "g1", holder="run-2", duration=30)
    held = second.acquire(second.read())
    assert held == Held("run-1", str(spec["acquireTime"]))
    assert str(held) == f"held by run-1 since {spec['acquireTime']}"
    assert not second.held


def test_a_released_lease_is_taken_by_the_next_run(cluster: TestCluster, api: Api) -> None:
    first = GroupLease(api, "ci", "g1", holder="run-1")
    assert first.acquire(first.read()) is None
    assert first.release() and not first.held
    assert "holderIdentity" not in live(cluster, "g1")["spec"]  # type: ignore[operator]
    second = GroupLease(api, "ci", "g1", holder="run-2")
    assert second.acquire(second.read()) is None
    spec = live(cluster, "g1")["spec"]
    assert isinstance(spec, dict)
    assert (spec["holderIdentity"], spec["leaseTransitions"]) == ("run-2", 1)


def test_an_expired_lease_is_taken_over_and_its_old_holder_learns_it(cluster: TestCluster,
                                                                      api: Api) -> None:
    old = GroupLease(api, "ci", "g1", holder="run-1", duration=5)
    assert old.acquire(old.read()) is None
    later = GroupLease(api, "ci", "g1", holder="run-2", duration=5, clock=lambda: time.time() + 6)
    assert later.acquire(later.read()) is None
    assert not old.renew()
    assert old.lost is not None and "taken over by run-2" in old.lost
    assert not old.release(Record("abc", "now"))  # a lost lease writes nothing
    spec = live(cluster, "g1")["spec"]
    assert isinstance(spec, dict) and spec["holderIdentity"] == "run-2"


def test_two_runs_racing_on_one_read_have_one_winner(cluster: TestCluster, api: Api) -> None:
    for exists in (False, True):  # both create, then both update the released lease
        one, two = (GroupLease(api, "ci", "race", holder=h) for h in ("run-1", "run-2"))
        seen_one, seen_two = one.read(), two.read()
        assert seen_one.exists is exists
        assert one.acquire(seen_one) is None
        assert two.acquire(seen_two) == Held("run-1", one.read().since)
        assert one.release()


def test_the_record_is_written_on_release_and_read_back(cluster: TestCluster, api: Api) -> None:
    lease = GroupLease(api, "ci", "g1", holder="run-1")
    assert lease.read().record is None
    assert lease.acquire(lease.read()) is None
    assert lease.release(Record("0123abcd", "2026-01-01T00:00:00Z"))
    assert lease.read().record == Record("0123abcd", "2026-01-01T00:00:00Z")
    metadata = live(cluster, "g1")["metadata"]
    assert isinstance(metadata, dict)
    assert metadata["annotations"][REVISION_ANNOTATION] == "0123abcd"
    # a failed sync releases without a record: the previous one stays
    assert lease.acquire(lease.read()) is None and lease.release()
    assert lease.read().record == Record("0123abcd", "2026-01-01T00:00:00Z")


def test_the_renewer_pushes_the_renew_time_forward(cluster: TestCluster, api: Api) -> None:
    lease = GroupLease(api, "ci", "g1", holder="run-1", duration=1)
    assert lease.acquire(lease.read()) is None
    first = parse_time(live(cluster, "g1")["spec"]["renewTime"])  # type: ignore[index]
    with Renewer(lease) as renewer:
        deadline = time.monotonic() + 20
        while renewer.renewals < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert renewer.renewals >= 2
    renewed = parse_time(live(cluster, "g1")["spec"]["renewTime"])  # type: ignore[index]
    assert first is not None and renewed is not None and renewed > first
    assert lease.held and lease.release()


def test_a_user_without_rights_gets_one_line_with_the_servers_reason(cluster: TestCluster) -> None:
    api = connect(ConnectionOptions(str(cluster.kubeconfig("nobody"))))
    try:
        with pytest.raises(LeaseError) as caught:
            GroupLease(api, "ci", "g1").read()
    finally:
        api.client.close()
    message = str(caught.value)
    assert "cannot read the Lease ci/cistreams-sync-g1: HTTP 403" in message
    assert "\n" not in message and cluster.token("nobody") not in message


# -- real processes -----------------------------------------------------------------------------

def holder(cluster: TestCluster, group: str, duration: int, hold: float) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(HOLDER), str(cluster.kubeconfig("admin")), group,
                             str(duration), str(hold)], stdout=subprocess.PIPE, text=True,
                            cwd=HOLDER.parent)


def test_two_processes_at_once_one_holds_the_other_is_refused(cluster: TestCluster) -> None:
    runs = [holder(cluster, "both", 30, 3.0) for _ in range(2)]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    codes = sorted(run.returncode for run in runs)
    assert codes == [0, 3], outputs
    winner = next(o for o in outputs if o.startswith("acquired"))
    loser = next(o for o in outputs if o.startswith("held by"))
    assert winner.splitlines()[-1] == "released"
    assert loser.startswith(f"held by {winner.split()[1]} since ")


def test_a_killed_processs_lease_expires_and_is_taken_over(cluster: TestCluster, api: Api) -> None:
    killed = holder(cluster, "killed", 2, 600)
    assert killed.stdout is not None
    first = killed.stdout.readline()
    assert first.startswith("acquired"), first
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    killed.stdout.close()
    lease = GroupLease(api, "ci", "killed", holder="next", duration=2)
    held = lease.acquire(lease.read())  # at once: the dead run's claim still stands
    assert held is not None and held.holder == first.split()[1]
    deadline = time.monotonic() + 30
    while held is not None and time.monotonic() < deadline:
        time.sleep(0.2)
        held = lease.acquire(lease.read())
    assert held is None and lease.held
    assert lease.release()

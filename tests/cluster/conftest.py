"""Fixtures and helpers of the tests against a real kube-apiserver (see testcluster.py).

`cluster` starts one TestCluster for the whole session (about 6 s); `clean_cluster` gives it
to a test with no BuildConfigs or DaemonSets left in `ci` or `other`; `cluster_bin_dir` is
the directory of the binaries, for a test that starts a cluster of its own. Every test that
uses any of the three (`proxy` does) is marked `cluster` (so `-m "not cluster"` leaves them
out). Without the
binaries a developer's run skips those tests, but a CI run (`CI=true`) fails them: a cluster
test that cannot run in CI must never pass as skipped.

Shared by the test files here: `data`, a private copy of the example build data; `proxy`, a
fault proxy (faultproxy.py) in front of the clean cluster; and the helpers below that run
gen-buildconfigs --apply and look at the cluster.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cistreams.cluster import kinds
from cluster.faultproxy import FaultProxy
from cluster.testcluster import TestCluster, default_bin_dir, missing_binaries
from helpers import EXAMPLE, Run, run_cli


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `cluster` every test that needs the binaries (`cluster` and `clean_cluster` do)."""
    for item in items:
        if "cluster_bin_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cluster)


def _cannot_run(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where a skipped cluster test hides a gap."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def cluster_bin_dir() -> Path:
    """The directory holding etcd, kube-apiserver and kubectl (skip, or fail in CI, without them)."""
    bin_dir = default_bin_dir()
    missing = missing_binaries(bin_dir)
    if missing:
        _cannot_run(f"test cluster binaries missing ({', '.join(missing)} in {bin_dir}): "
                    "run bash scripts/test-cluster-binaries")
    if shutil.which("openssl") is None:
        _cannot_run("openssl is not installed; the test cluster makes its certificates with it")
    return bin_dir


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory, cluster_bin_dir: Path) -> Iterator[TestCluster]:
    """One kube-apiserver 1.20 + etcd for the session, stopped (processes gone) at its end."""
    with TestCluster(tmp_path_factory.mktemp("cluster"), cluster_bin_dir) as started:
        yield started


@pytest.fixture
def clean_cluster(cluster: TestCluster) -> TestCluster:
    """The session's cluster with no BuildConfigs or DaemonSets in `ci` or `other`."""
    cluster.reset()
    return cluster


# -- the example group, applied to the session's cluster ------------------------------------

GROUP = "openshift-4.7"
BC = f"/apis/{kinds.BUILDCONFIG.group}/v1/namespaces/ci/buildconfigs"
DS = "/apis/apps/v1/namespaces/ci/daemonsets"
GOLANG_BC = "builder-rhel-8-golang-1.15-openshift-4.7--art-builder"
FIRST_BC = "builder-rhel-8-base-openshift-4.7--art-builder"  # the first the example renders
DAEMONSET = "art-managed-openshift-4.7-dont-gc-me-bro"
OBJECTS = 7  # the example group: six BuildConfigs and the DaemonSet
# These tests apply the imagestream target's objects (its DaemonSet is what prune, the
# shards and the all-or-nothing checks need; test_targets.py covers the qci default).
IMAGESTREAM = ("--push-to", "imagestream")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of the example build data, which a test may edit."""
    copy = tmp_path / "build-data"
    shutil.copytree(EXAMPLE, copy)
    return copy


@pytest.fixture
def proxy(clean_cluster: TestCluster) -> Iterator[FaultProxy]:
    """A fault proxy in front of a clean cluster; no error inside it by the end."""
    with FaultProxy(clean_cluster) as started:
        yield started
    assert started.errors == []


def gen(cluster: TestCluster, data: Path, *args: str, user: str = "admin",
        group: str = GROUP, out: Path | None = None) -> Run:
    """gen-buildconfigs --apply as `user`, in-process."""
    return apply_via(cluster.kubeconfig(user), data, *args, group=group, out=out)


def apply_via(kubeconfig: Path, data: Path, *args: str, group: str = GROUP,
              out: Path | None = None) -> Run:
    """gen-buildconfigs --apply with this kubeconfig, in-process."""
    return run_cli("--data-path", str(data), "-g", group, "gen-buildconfigs",
                   "-o", str(out or data.parent / "out.yaml"), *IMAGESTREAM, "--apply",
                   "--kubeconfig", str(kubeconfig), *args)


def live(cluster: TestCluster) -> dict[str, dict[str, Any]]:
    """Every BuildConfig and DaemonSet in `ci`, by name."""
    found: dict[str, dict[str, Any]] = {}
    for collection in (BC, DS):
        status, body = cluster.api("GET", collection)
        assert status == 200, body
        found.update({item["metadata"]["name"]: item for item in body["items"]})
    return found


def versions(cluster: TestCluster) -> dict[str, str]:
    """The resourceVersion of every object live(), by name."""
    return {name: obj["metadata"]["resourceVersion"] for name, obj in live(cluster).items()}


def report_lines(run: Run) -> list[str]:
    """The run's report lines, one per object."""
    return [line for line in run.stderr.splitlines()
            if line.startswith(("buildconfig.build.openshift.io/", "daemonset.apps/"))]


def outcomes(run: Run) -> dict[str, str]:
    """The report: object name -> created, configured or unchanged."""
    return {line.split(" ")[0].split("/", 1)[1]: line.split(" ", 1)[1]
            for line in report_lines(run)}


def rendered(data: Path, tmp_path: Path) -> bytes:
    """The bytes gen-buildconfigs writes for the example group, without applying."""
    out = tmp_path / "plain.yaml"
    assert run_cli("--data-path", str(data), "-g", GROUP, "gen-buildconfigs", *IMAGESTREAM,
                   "-o", str(out)).code == 0
    return out.read_bytes()


def converges(cluster: TestCluster, data: Path) -> None:
    """A direct run applies the rest and reports what is there unchanged; then all is."""
    there = set(live(cluster))
    second = apply_via(cluster.kubeconfig("admin"), data)
    assert second.code == 0, second.stderr
    assert len(outcomes(second)) == OBJECTS
    assert {name for name, what in outcomes(second).items() if what == "unchanged"} == there
    assert {name for name, what in outcomes(second).items() if what == "created"} == (
        set(outcomes(second)) - there)
    third = apply_via(cluster.kubeconfig("admin"), data)
    assert set(outcomes(third).values()) == {"unchanged"}, third.stderr


def interrupt_when(process: subprocess.Popen[str], ready: Callable[[], bool],
                   signum: int = signal.SIGINT) -> tuple[int, str, float]:
    """`signum` (SIGINT) once `ready()` says so; once the process ended, (exit code, stderr,
    seconds from the signal to the end)."""
    deadline = time.monotonic() + 60
    while not ready():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.02)
    process.send_signal(signum)
    sent = time.monotonic()
    try:
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return process.returncode, stderr, time.monotonic() - sent

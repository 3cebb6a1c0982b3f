"""Fixtures of the tests against a real kube-apiserver (see testcluster.py).

`cluster` starts one TestCluster for the whole session (about 6 s); `clean_cluster` gives it
to a test with no BuildConfigs or DaemonSets left in `ci` or `other`; `cluster_bin_dir` is
the directory of the binaries, for a test that starts a cluster of its own. Every test that
uses any of them is marked `cluster` (so `-m "not cluster"` leaves them out). Without the
binaries a developer's run skips those tests, but a CI run (`CI=true`) fails them: a cluster
test that cannot run in CI must never pass as skipped.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cluster.testcluster import TestCluster, default_bin_dir, missing_binaries


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

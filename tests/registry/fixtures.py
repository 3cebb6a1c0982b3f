"""pytest fixtures of the registry tests, imported by the conftest of each test folder that
uses them (tests/registry, tests/commands).

`registries` starts three real registries for the session: `source` (stands for ART's
registry, where `image` and brew names resolve), `ci` (stands for QCI and the CI registry:
its host is given as --ci-registry and its `openshift/ci` repository as --qci-repo) and
`other` (any other destination, say quay.io). `imagestream_cluster` is a real test cluster
with the ImageStream CRD and the `ocp` and `ocp-private` namespaces, where the user
`art-publish` may get and patch ImageStreams. Without the binaries a developer's run skips
these tests; a CI run (`CI=true`) fails them, as the cluster tests do.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cluster import imagestream_crd
from cluster.testcluster import ClusterError, TestCluster, default_bin_dir, missing_binaries
from registry.testregistry import Registries, RegistryError, missing_tools

NAMESPACES = ("ocp", "ocp-private")
PATCHER = "art-publish"  # the test cluster's user that gets the imagestream rights


def cannot_run(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where a skipped test hides a gap."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registries]:
    """Three registries (source, ci, other) for the session, stopped at its end."""
    started = Registries(tmp_path_factory.mktemp("registries"), ("source", "ci", "other"))
    missing = missing_tools(started.bin_dir)
    if missing:
        cannot_run(f"registry tools missing ({', '.join(missing)}): run bash "
                   "scripts/test-registry-binaries")
    try:
        started.start()
    except RegistryError as exc:
        cannot_run(f"the test registries did not start: {exc}")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def imagestream_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestCluster]:
    """A test cluster serving ImageStreams in `ocp` and `ocp-private` (see the module doc)."""
    with started_imagestream_cluster(tmp_path_factory.mktemp("imagestream-cluster"),
                                     NAMESPACES, PATCHER) as cluster:
        yield cluster


@contextlib.contextmanager
def started_imagestream_cluster(folder: Path, namespaces: tuple[str, ...],
                                patcher: str) -> Iterator[TestCluster]:
    """A test cluster in `folder` with the ImageStream CRD, `patcher` allowed to get and
    patch imagestreams in `namespaces`; stopped at the end. Cannot run: fail (CI) or skip."""
    bin_dir = default_bin_dir()
    missing = missing_binaries(bin_dir)
    if missing:
        cannot_run(f"test cluster binaries missing ({', '.join(missing)} in {bin_dir}): "
                   "run bash scripts/test-cluster-binaries")
    cluster = TestCluster(folder, bin_dir)
    try:
        cluster.start()
        imagestream_crd.install(cluster, namespaces, patcher)
    except ClusterError as exc:
        cluster.stop()
        cannot_run(f"the test cluster did not start: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()


def kubeconfig(cluster: TestCluster, user: str = PATCHER) -> Path:
    """The kubeconfig of one of the test cluster's users."""
    return cluster.kubeconfig(user)

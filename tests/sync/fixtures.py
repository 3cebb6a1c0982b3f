"""pytest fixtures of the sync tests: the real test cluster (tests/cluster/testcluster.py)
with the ImageStream CRD, for the Lease lock and the record; for the whole job also the
Build CRD, the build service in front of the cluster and the real registries (`world`).

Without the binaries a developer's run skips these tests; a CI run (`CI=true`) fails them,
as the other cluster tests do.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cluster import build_crd, imagestream_crd
from cluster.buildservice import BuildService, Scenario
from cluster.testcluster import ClusterError, TestCluster
from helpers import CORPUS
from registry.fixtures import started_imagestream_cluster
from registry.testregistry import Registries
from sync.world import GROUPS, World

IMAGESTREAM_NAMESPACES = ("ocp", "ocp-private", "openshift")
LEASES = "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"


@pytest.fixture(scope="session")
def sync_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestCluster]:
    """A test cluster for the session, serving ImageStreams in `ocp`, `ocp-private` and
    `openshift`."""
    with started_imagestream_cluster(tmp_path_factory.mktemp("sync-cluster"),
                                     IMAGESTREAM_NAMESPACES, "art-publish") as cluster:
        yield cluster


def delete_leases(cluster: TestCluster, namespace: str = "ci") -> None:
    """Remove every Lease of `namespace`, so that a test starts with no lock or record."""
    status, body = cluster.api("DELETE", LEASES.format(namespace=namespace))
    if status != 200:
        raise ClusterError(f"delete leases: HTTP {status}: {body}")


@pytest.fixture(scope="session")
def job_stack(sync_cluster: TestCluster, registries: Registries) -> Iterator[BuildService]:
    """The Build CRD and the build service in front of the session's cluster."""
    build_crd.install(sync_cluster, readers=(), builders=())
    service = BuildService(sync_cluster, registries.authfile, registries.certs_dir).start()
    try:
        yield service
    finally:
        service.stop()
    assert service.errors == [], service.errors


def empty_cluster(cluster: TestCluster) -> None:
    """No Leases, BuildConfigs, Builds or ImageStreams left by an earlier test."""
    delete_leases(cluster)
    cluster.reset()
    build_crd.delete_all(cluster)
    for namespace in IMAGESTREAM_NAMESPACES:
        status, body = cluster.api("DELETE", imagestream_crd.path(namespace))
        if status != 200:
            raise ClusterError(f"delete imagestreams: HTTP {status}: {body}")


@pytest.fixture
def world(job_stack: BuildService, sync_cluster: TestCluster, registries: Registries,
          tmp_path: Path) -> World:
    """The real parts and a fresh root for the test's build data (see world.py); skipped
    when the corpus is absent."""
    if not all((CORPUS / group).is_dir() for group in GROUPS):
        pytest.skip(f"the corpus is absent ({CORPUS})")
    empty_cluster(sync_cluster)
    job_stack.scenarios.clear()
    job_stack.default = Scenario()
    return World(sync_cluster, registries, job_stack, tmp_path)

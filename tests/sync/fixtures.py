"""pytest fixtures of the sync tests: the real test cluster (tests/cluster/testcluster.py)
with the ImageStream CRD, for the Lease lock, the record and the whole job.

Without the binaries a developer's run skips these tests; a CI run (`CI=true`) fails them,
as the other cluster tests do.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cluster import imagestream_crd
from cluster.testcluster import ClusterError, TestCluster, default_bin_dir, missing_binaries
from registry.fixtures import cannot_run

IMAGESTREAM_NAMESPACES = ("ocp", "ocp-private")
LEASES = "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"


@pytest.fixture(scope="session")
def sync_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestCluster]:
    """A test cluster for the session, serving ImageStreams in `ocp` and `ocp-private`."""
    bin_dir = default_bin_dir()
    missing = missing_binaries(bin_dir)
    if missing:
        cannot_run(f"test cluster binaries missing ({', '.join(missing)} in {bin_dir}): "
                   "run bash scripts/test-cluster-binaries")
    cluster = TestCluster(tmp_path_factory.mktemp("sync-cluster"), bin_dir)
    try:
        cluster.start()
        imagestream_crd.install(cluster, IMAGESTREAM_NAMESPACES, "art-publish")
    except ClusterError as exc:
        cluster.stop()
        cannot_run(f"the test cluster did not start: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()


def delete_leases(cluster: TestCluster, namespace: str = "ci") -> None:
    """Remove every Lease of `namespace`, so that a test starts with no lock or record."""
    status, body = cluster.api("DELETE", LEASES.format(namespace=namespace))
    if status != 200:
        raise ClusterError(f"delete leases: HTTP {status}: {body}")

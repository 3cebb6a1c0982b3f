"""The test cluster of tests/cluster (one kube-apiserver and etcd for the session), for the
guards tested against it here; every test that uses it is marked `cluster`."""

from __future__ import annotations

import pytest

from cluster.conftest import clean_cluster, cluster, cluster_bin_dir

__all__ = ["clean_cluster", "cluster", "cluster_bin_dir"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `cluster` every test that needs the binaries (`cluster` and `clean_cluster` do)."""
    for item in items:
        if "cluster_bin_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cluster)

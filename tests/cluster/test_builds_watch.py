"""The watch of start-builds against the real test kube-apiserver (Build CRD), through the
fault proxy: every change arrives in order, and a cut connection is resumed from the last
resourceVersion without losing or repeating a change."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from cistreams.cluster import builds
from cistreams.cluster.api import Api
from cistreams.cluster.connection import connect
from cistreams.options import ConnectionOptions
from cluster import build_crd
from cluster.faultproxy import FaultProxy
from cluster.testcluster import TestCluster

SELECTOR = "art-builder-group=watch-test"


@pytest.fixture
def build_cluster(cluster: TestCluster) -> Iterator[TestCluster]:
    """The session's cluster with the Build CRD, art-publish may read Builds; no Builds."""
    build_crd.install(cluster, readers=("art-publish",), builders=())
    build_crd.delete_all(cluster)
    yield cluster
    build_crd.delete_all(cluster)


def create(cluster: TestCluster, name: str) -> None:
    body = {"apiVersion": "build.openshift.io/v1", "kind": "Build",
            "metadata": {"name": name, "namespace": "ci",
                         "labels": {"art-builder-group": "watch-test"},
                         "annotations": {"openshift.io/build-config.name": "bc",
                                         "openshift.io/build.number": name[-1]}},
            "spec": {}}
    status, answer = cluster.api("POST", build_crd.path(), body)
    assert status == 201, answer


def set_phase(cluster: TestCluster, name: str, phase: str) -> None:
    status, answer = cluster.api("PATCH", build_crd.path("ci", name) + "/status",
                                 {"status": {"phase": phase}},
                                 content_type="application/merge-patch+json")
    assert status == 200, answer


def follow(api: Api, version: str, seen: queue.Queue[tuple[str, str]], until: int) -> None:
    """Collect (name, phase) from the watch until `until` of them arrived."""
    watched = builds.watch(api, "ci", SELECTOR, version, time.monotonic() + 60)
    for count, state in enumerate(watched, start=1):
        seen.put((state.name, state.phase))
        if count >= until:
            return


def next_of(seen: queue.Queue[tuple[str, str]]) -> tuple[str, str]:
    return seen.get(timeout=30)


def test_the_watch_sees_every_change_and_survives_a_cut(build_cluster: TestCluster) -> None:
    with FaultProxy(build_cluster) as proxy:
        api = connect(ConnectionOptions(str(proxy.kubeconfig("art-publish"))))
        try:
            states, version = builds.list_builds(api, "ci", SELECTOR)
            assert states == []
            create(build_cluster, "bc-1")  # before the watch starts: replayed from `version`
            seen: queue.Queue[tuple[str, str]] = queue.Queue()
            worker = threading.Thread(target=follow, args=(api, version, seen, 4), daemon=True)
            worker.start()
            assert next_of(seen) == ("bc-1", "New")
            set_phase(build_cluster, "bc-1", "Running")
            assert next_of(seen) == ("bc-1", "Running")
            proxy.cut()  # the watch connection breaks
            set_phase(build_cluster, "bc-1", "Complete")  # while no watch is connected
            assert next_of(seen) == ("bc-1", "Complete")
            create(build_cluster, "bc-2")
            assert next_of(seen) == ("bc-2", "New")
            worker.join(30)
            assert not worker.is_alive() and seen.empty()  # nothing lost, nothing twice
        finally:
            api.client.close()
        watches = [s for s in proxy.seen if "watch=true" in s.path]
        assert len(watches) == 2  # the first, and the one resumed after the cut
        assert "resourceVersion=" in watches[1].path
        assert "timeoutSeconds=60" in watches[0].path  # the deadline, a minute away
        assert proxy.errors == []


def test_the_watch_ends_at_its_deadline(build_cluster: TestCluster) -> None:
    api = connect(ConnectionOptions(str(build_cluster.kubeconfig("art-publish"))))
    try:
        _, version = builds.list_builds(api, "ci", SELECTOR)
        got: list[Any] = list(builds.watch(api, "ci", SELECTOR, version, time.monotonic() + 1.5))
    finally:
        api.client.close()
    assert got == []  # it returned, with nothing to report


def test_a_user_who_may_not_watch_is_told_so(build_cluster: TestCluster) -> None:
    api = connect(ConnectionOptions(str(build_cluster.kubeconfig("nobody"))))
    try:
        with pytest.raises(builds.BuildsRefused, match="HTTP 403"):
            list(builds.watch(api, "ci", SELECTOR, "1", time.monotonic() + 5))
        with pytest.raises(builds.BuildsRefused, match="cannot list builds in namespace ci"):
            builds.list_builds(api, "ci", SELECTOR)
    finally:
        api.client.close()

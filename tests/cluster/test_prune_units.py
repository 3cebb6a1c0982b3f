"""cistreams.cluster.prune without a cluster: a fake Api answers lists and deletes, so every
filter, the order and every report line are asserted exactly (issue 11). The real server's
side is in test_prune.py."""

from __future__ import annotations

from typing import Any

import pytest

from cistreams.cluster import prune
from cistreams.cluster.api import Answer
from cistreams.cluster.kinds import BUILDCONFIG, DAEMONSET, Ref
from cistreams.errors import CistreamsError

LABEL = "art-builder-group"


def obj(kind: str, name: str, namespace: str = "ci", group: str | None = "g",
        uid: str = "") -> dict[str, Any]:
    api_version = "build.openshift.io/v1" if kind == "BuildConfig" else "apps/v1"
    metadata: dict[str, Any] = {"name": name, "namespace": namespace,
                                "labels": {} if group is None else {LABEL: group}}
    if uid:
        metadata["uid"] = uid
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}


class FakeApi:
    """Lists from `live` by collection path; deletes answer from `answers` by object path."""

    def __init__(self, live: dict[str, list[dict[str, Any]]] | None = None,
                 answers: dict[str, Answer] | None = None) -> None:
        self.live = live or {}
        self.answers = answers or {}
        self.calls: list[tuple[Any, ...]] = []
        self.metadata_only: list[bool] = []

    def get_all(self, path: str, label_selector: str,
                metadata_only: bool = False) -> list[dict[str, Any]]:
        self.calls.append(("list", path, label_selector))
        self.metadata_only.append(metadata_only)
        return self.live.get(path, [])

    def delete(self, path: str, uid: str, dry_run: bool) -> Answer:
        self.calls.append(("delete", path, uid, dry_run))
        return self.answers[path]


BC_PATH = "/apis/build.openshift.io/v1/namespaces/ci/buildconfigs"
DS_PATH = "/apis/apps/v1/namespaces/ci/daemonsets"


def test_the_group_is_the_one_namespace_and_label_of_every_object() -> None:
    assert prune.group_of([obj("BuildConfig", "a"), obj("DaemonSet", "d")]) == ("ci", "g")


@pytest.mark.parametrize(("objects", "found"), [
    ([obj("BuildConfig", "a"), obj("BuildConfig", "b", group="h")], "[\"('ci', 'g')\", \"('ci', 'h')\"]"),
    ([obj("BuildConfig", "a"), obj("BuildConfig", "b", namespace="x")],
     "[\"('ci', 'g')\", \"('x', 'g')\"]"),
    ([obj("BuildConfig", "a", group=None)], "[\"('ci', None)\"]"),
    ([], "[]"),
])
def test_objects_of_several_groups_cannot_be_pruned(objects: list[dict[str, Any]], found: str) -> None:
    with pytest.raises(CistreamsError) as caught:
        prune.group_of(objects)
    assert str(caught.value) == ("--prune needs every rendered object in one namespace with one "
                                 f"art-builder-group label; found {found}")


def test_stale_objects_are_the_groups_own_that_the_render_lacks_in_order() -> None:
    api = FakeApi({BC_PATH: [obj("BuildConfig", "keep", uid="1"), obj("BuildConfig", "z-old", uid="2"),
                             obj("BuildConfig", "a-old", uid="3"),
                             obj("BuildConfig", "elsewhere", namespace="other", uid="4"),
                             obj("BuildConfig", "other-group", group="h", uid="5"),
                             obj("BuildConfig", "unlabelled", group=None, uid="6")],
                   DS_PATH: [obj("DaemonSet", "ds-old", uid="7"), obj("DaemonSet", "keep", uid="8")]})
    stale = prune.find_stale(api, [obj("BuildConfig", "keep"), obj("DaemonSet", "keep")])  # type: ignore[arg-type]
    assert [(s.ref, s.uid) for s in stale] == [
        (Ref(BUILDCONFIG, "ci", "a-old"), "3"), (Ref(BUILDCONFIG, "ci", "z-old"), "2"),
        (Ref(DAEMONSET, "ci", "ds-old"), "7")]
    assert stale[0].live == obj("BuildConfig", "a-old", uid="3")
    assert api.calls == [("list", BC_PATH, "art-builder-group=g"), ("list", DS_PATH, "art-builder-group=g")]


def test_nothing_is_stale_when_the_render_has_everything() -> None:
    api = FakeApi({BC_PATH: [obj("BuildConfig", "keep", uid="1")]})
    assert prune.find_stale(api, [obj("BuildConfig", "keep")]) == []  # type: ignore[arg-type]


STALE = prune.Stale(Ref(BUILDCONFIG, "ci", "old"), "uid-1", {})
OLD = "/apis/build.openshift.io/v1/namespaces/ci/buildconfigs/old"


@pytest.mark.parametrize(("answer", "dry_run", "line"), [
    (Answer(200, {}), False, "buildconfig.build.openshift.io/old pruned"),
    (Answer(202, {}), False, "buildconfig.build.openshift.io/old pruned"),
    (Answer(200, {}), True, "buildconfig.build.openshift.io/old pruned (server dry run)"),
    (Answer(404, {}), False, "buildconfig.build.openshift.io/old already gone"),
    (Answer(409, {"message": "Precondition failed: UID in precondition: uid-1"}), False,
     "buildconfig.build.openshift.io/old left alone: recreated since it was listed (Precondition "
     "failed: UID in precondition: uid-1)"),
])
def test_each_delete_reports_one_line(answer: Answer, dry_run: bool, line: str) -> None:
    api = FakeApi(answers={OLD: answer})
    assert prune.delete(api, STALE, dry_run) == line  # type: ignore[arg-type]
    assert api.calls == [("delete", OLD, "uid-1", dry_run)]


def test_a_refused_delete_is_an_error() -> None:
    api = FakeApi(answers={OLD: Answer(403, {"message": "forbidden: no delete"})})
    with pytest.raises(CistreamsError) as caught:
        prune.delete(api, STALE, False)  # type: ignore[arg-type]
    assert str(caught.value) == ("buildconfig.build.openshift.io/old: cannot prune: HTTP 403: "
                                 "forbidden: no delete")


def test_an_object_without_labels_cannot_be_pruned_by_group() -> None:
    bare = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d", "namespace": "ci"}}
    with pytest.raises(CistreamsError, match=r"found \[\"\('ci', None\)\"\]$"):
        prune.group_of([bare])


def test_odd_items_from_a_proxy_are_skipped_not_fatal() -> None:
    api = FakeApi({BC_PATH: [{}, {"metadata": {"name": "x", "namespace": "ci", "uid": "1"}},
                             obj("BuildConfig", "old", uid="2")]})
    stale = prune.find_stale(api, [obj("BuildConfig", "keep")])  # type: ignore[arg-type]
    assert [(s.ref.name, s.uid) for s in stale] == [("old", "2")]


def test_pruning_lists_metadata_and_diff_lists_whole_objects() -> None:
    api = FakeApi()
    objects = [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": {"name": "d", "namespace": "ci",
                             "labels": {"art-builder-group": "g"}}}]
    prune.find_stale(api, objects)  # type: ignore[arg-type]
    prune.find_stale(api, objects, whole=True)  # type: ignore[arg-type]
    assert api.metadata_only == [True, True, False, False]

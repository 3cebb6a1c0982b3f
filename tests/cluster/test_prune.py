"""--prune: against the real test cluster, it deletes exactly the group's stale objects and
every guard holds; then cistreams.cluster.prune on its own, with a fake Api answering lists
and deletes, so that every filter, the order and every report line are asserted exactly.

--prune after a warning, against the real test cluster (issue 16): a stream whose
`transform:` is misspelt is an error (nothing applied, nothing pruned); a stream with a
plainly foreign key is a warning, and then the stream dropped meanwhile is not pruned unless
--prune-despite-warnings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cistreams.cluster import kinds
from cistreams.cluster import prune as pruning
from cistreams.cluster.api import Answer, ListRefused
from cistreams.cluster.connection import connect
from cistreams.cluster.kinds import Ref
from cistreams.errors import CistreamsError
from cistreams.options import IMAGESTREAM_TARGET, ConnectionOptions
from cluster.conftest import BC, DAEMONSET, DS, GOLANG_BC, GROUP, IMAGESTREAM, gen, live, report_lines
from cluster.testcluster import TestCluster
from helpers import Run, run_cli

RHEL7_BC = "builder-rhel-7-base-openshift-4.7--art-builder"


def drop_streams(data: Path, *names: str) -> None:
    """Remove whole streams from the copy of streams.yml (top-level keys and their blocks)."""
    streams = data / "streams.yml"
    text = streams.read_text()
    for name in names:
        text, count = re.subn(rf"^{re.escape(name)}:\n(?:[ #].*\n|\n)*", "", text, flags=re.M)
        assert count == 1, name
    streams.write_text(text)


def bc(name: str, group: str = GROUP, namespace: str = "ci",
       labelled: bool = True) -> dict[str, Any]:
    labels = {"art-builder-group": group} if labelled else {}
    return {"apiVersion": "build.openshift.io/v1", "kind": "BuildConfig",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"triggers": [],
                     "strategy": {"type": "Docker", "dockerStrategy": {}},
                     "source": {"type": "Dockerfile", "dockerfile": "FROM x\n"},
                     "output": {"to": {"kind": "ImageStreamTag", "name": f"{name}:latest"}}}}


def create(cluster: TestCluster, obj: dict[str, Any], collection: str) -> None:
    status, body = cluster.api("POST", collection, obj)
    assert status == 201, body


def test_a_removed_stream_is_pruned_and_nothing_else(clean_cluster: TestCluster,
                                                      data: Path) -> None:
    assert gen(clean_cluster, data).code == 0
    drop_streams(data, "rhel-7")
    run = gen(clean_cluster, data, "--prune")
    assert run.code == 0, run.stderr
    assert f"buildconfig.build.openshift.io/{RHEL7_BC} pruned" in report_lines(run)
    # the DaemonSet loses the stream's container
    assert f"daemonset.apps/{DAEMONSET} configured" in report_lines(run)
    assert "0 created, 1 configured, 5 unchanged, 1 pruned" in run.stderr
    names = set(live(clean_cluster))
    assert RHEL7_BC not in names and len(names) == 6


def test_only_the_groups_own_kinds_namespace_and_label_are_pruned(
        clean_cluster: TestCluster, data: Path) -> None:
    assert gen(clean_cluster, data).code == 0
    create(clean_cluster, bc("other-group", group="openshift-4.8"), BC)
    create(clean_cluster, bc("live-test-label", group=GROUP + ".test"), BC)
    create(clean_cluster, bc("no-label", labelled=False), BC)
    create(clean_cluster, bc("other-namespace", namespace="other"),
           BC.replace("/ci/", "/other/"))
    config_map = {"apiVersion": "v1", "kind": "ConfigMap",
                  "metadata": {"name": "same-label", "labels": {"art-builder-group": GROUP}}}
    create(clean_cluster, config_map, "/api/v1/namespaces/ci/configmaps")
    run = gen(clean_cluster, data, "--prune")
    assert run.code == 0, run.stderr
    assert not [line for line in report_lines(run) if "pruned" in line]
    assert {"other-group", "live-test-label", "no-label"} <= set(live(clean_cluster))
    assert clean_cluster.api("GET", BC.replace("/ci/", "/other/") + "/other-namespace")[0] == 200
    assert clean_cluster.api("GET", "/api/v1/namespaces/ci/configmaps/same-label")[0] == 200
    clean_cluster.api("DELETE", "/api/v1/namespaces/ci/configmaps/same-label")


def test_live_test_mode_prunes_only_live_test_objects(clean_cluster: TestCluster,
                                                      data: Path) -> None:
    assert gen(clean_cluster, data).code == 0
    create(clean_cluster, bc("stale-live-test", group=GROUP + ".test"), BC)
    run = gen(clean_cluster, data, "--live-test-mode", "--prune")
    assert run.code == 0, run.stderr
    assert "buildconfig.build.openshift.io/stale-live-test pruned" in report_lines(run)
    assert GOLANG_BC in live(clean_cluster)  # the real group's objects are untouched


def test_too_many_deletes_delete_nothing_and_apply_nothing(clean_cluster: TestCluster,
                                                           data: Path) -> None:
    assert gen(clean_cluster, data).code == 0
    before = {name: obj["metadata"]["resourceVersion"] for name, obj in live(clean_cluster).items()}
    drop_streams(data, "rhel", "rhel-7")
    streams = data / "streams.yml"
    streams.write_text(streams.read_text().replace(
        "  transform: rhel-8/golang\n", "  transform: rhel-8/golang\n  final_user: '1001'\n"))
    run = gen(clean_cluster, data, "--prune", "--max-prune", "1")
    assert run.code == 1
    assert "--prune would delete 2 objects, more than --max-prune 1" in run.stderr
    assert f"\n  would prune buildconfig.build.openshift.io/{RHEL7_BC}\n" in run.stderr
    assert "error: buildconfig" not in run.stderr  # what would be pruned is not an error
    after = {name: obj["metadata"]["resourceVersion"] for name, obj in live(clean_cluster).items()}
    assert after == before  # neither the deletes nor the change to golang happened
    allowed = gen(clean_cluster, data, "--prune", "--max-prune", "2")
    assert allowed.code == 0, allowed.stderr
    assert len(live(clean_cluster)) == 5


def test_the_default_limit_is_five(clean_cluster: TestCluster, data: Path) -> None:
    assert gen(clean_cluster, data).code == 0
    for index in range(6):
        create(clean_cluster, bc(f"stale-{index}"), BC)
    refused = gen(clean_cluster, data, "--prune")
    assert refused.code == 1 and "more than --max-prune 5" in refused.stderr
    clean_cluster.api("DELETE", f"{BC}/stale-5")
    assert gen(clean_cluster, data, "--prune").code == 0
    assert not [n for n in live(clean_cluster) if n.startswith("stale-")]


def test_no_prune_after_a_refusal(clean_cluster: TestCluster, data: Path) -> None:
    assert gen(clean_cluster, data).code == 0
    drop_streams(data, "rhel-7")
    run = gen(clean_cluster, data, "--prune", user="bc-only")
    assert run.code == 1 and "refused by the server" in run.stderr
    assert RHEL7_BC in live(clean_cluster)


RBAC = "/apis/rbac.authorization.k8s.io/v1/namespaces/ci"


def test_a_user_who_may_not_delete_prunes_and_applies_nothing(
        clean_cluster: TestCluster, data: Path) -> None:
    """`nobody` is given every right but delete for this test: the deletes' dry run fails,
    so not even the change to golang is applied."""
    rules = [{"apiGroups": ["build.openshift.io", "apps"],
              "resources": ["buildconfigs", "daemonsets"],
              "verbs": ["get", "list", "watch", "create", "update", "patch"]}]
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "no-delete"}, "rules": rules}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "no-delete"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                           "name": "no-delete"},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                             "name": "nobody"}]}
    assert gen(clean_cluster, data).code == 0
    create(clean_cluster, bc("stale-0"), BC)
    create(clean_cluster, role, f"{RBAC}/roles")
    try:
        create(clean_cluster, binding, f"{RBAC}/rolebindings")
        streams = data / "streams.yml"
        streams.write_text(streams.read_text().replace(
            "  transform: rhel-8/golang\n", "  transform: rhel-8/golang\n  final_user: '1001'\n"))
        before = live(clean_cluster)[GOLANG_BC]["metadata"]["resourceVersion"]
        run = gen(clean_cluster, data, "--prune", "--as", "nobody")
        assert run.code == 1
        assert "refused 1 of the deletes --prune needs" in run.stderr
        assert "buildconfig.build.openshift.io/stale-0: refused by the server: HTTP 403" \
            in run.stderr
        assert "stale-0" in live(clean_cluster)
        assert live(clean_cluster)[GOLANG_BC]["metadata"]["resourceVersion"] == before
    finally:
        clean_cluster.api("DELETE", f"{RBAC}/rolebindings/no-delete")
        clean_cluster.api("DELETE", f"{RBAC}/roles/no-delete")


def test_dry_run_lists_and_deletes_nothing(clean_cluster: TestCluster, data: Path) -> None:
    assert gen(clean_cluster, data).code == 0
    drop_streams(data, "rhel-7")
    run = gen(clean_cluster, data, "--prune", "--dry-run")
    assert run.code == 0, run.stderr
    assert f"buildconfig.build.openshift.io/{RHEL7_BC} pruned (server dry run)" in report_lines(run)
    assert RHEL7_BC in live(clean_cluster)


def test_a_recreated_object_is_not_deleted(clean_cluster: TestCluster, data: Path) -> None:
    from cistreams import app
    from cistreams.errors import Problems
    from cistreams.options import GenerateRequest, Source

    assert gen(clean_cluster, data).code == 0
    create(clean_cluster, bc("stale-0"), BC)
    objects = app.render_request(GenerateRequest(Source(str(data), GROUP), "-", push=IMAGESTREAM_TARGET),
                                 Problems()).objects
    api = connect(ConnectionOptions(str(clean_cluster.kubeconfig("admin"))))
    with api.client:
        (stale,) = pruning.find_stale(api, objects)
        clean_cluster.api("DELETE", f"{BC}/stale-0")
        create(clean_cluster, bc("stale-0"), BC)  # same name, new uid
        line = pruning.delete(api, stale, dry_run=False)
    assert line.startswith("buildconfig.build.openshift.io/stale-0 left alone: recreated")
    assert "stale-0" in live(clean_cluster)
    fresh = clean_cluster.api("GET", f"{BC}/stale-0")[1]["metadata"]["uid"]
    assert fresh != stale.uid


def test_diff_prune_shows_removals_as_changes(clean_cluster: TestCluster, data: Path) -> None:
    assert gen(clean_cluster, data).code == 0
    create(clean_cluster, bc(RHEL7_BC + "-old"), BC)
    args = ("--data-path", str(data), "-g", GROUP, "diff", *IMAGESTREAM, "--kubeconfig",
            str(clean_cluster.kubeconfig("admin")))
    plain = run_cli(*args)
    assert (plain.code, plain.stdout) == (0, ""), plain.stderr
    pruned = run_cli(*args, "--prune")
    assert pruned.code == 1
    assert f"+++ pruned/buildconfig.build.openshift.io/{RHEL7_BC}-old" in pruned.stdout
    assert f"-  name: {RHEL7_BC}-old" in pruned.stdout
    assert "1 of 8 objects would change" in pruned.stderr  # 7 rendered, 1 stale


@pytest.mark.parametrize("args", [
    ("--prune",),                                     # without --apply
    ("--apply", "--prune", "--stream", "golang"),
    ("--apply", "--prune", "--image", "x"),
    ("--apply", "--prune", "--oc", "/bin/true"),
    ("--apply", "--prune", "--compat", "doozer-2020"),
    ("--dry-run",),
])
def test_prune_and_dry_run_usage_errors(args: tuple[str, ...], data: Path) -> None:
    run = run_cli("--data-path", str(data), "-g", GROUP, "gen-buildconfigs", "-o", "-", *args)
    assert run.code == 2, run.stderr
    assert not run.stdout


def test_diff_prune_with_a_selection_is_a_usage_error(data: Path) -> None:
    run = run_cli("--data-path", str(data), "-g", GROUP, "diff", "--prune", "--stream", "rhel")
    assert run.code == 2


def test_daemonset_pruned_with_no_daemonset(clean_cluster: TestCluster, data: Path) -> None:
    assert gen(clean_cluster, data).code == 0
    run = gen(clean_cluster, data, "--prune", "--no-daemonset")
    assert run.code == 0, run.stderr
    assert f"daemonset.apps/{DAEMONSET} pruned" in report_lines(run)
    assert clean_cluster.api("GET", f"{DS}/{DAEMONSET}")[0] == 404


# -- the module on its own, with a fake Api ---------------------------------------------------

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
                 answers: dict[str, Answer] | None = None, refused: frozenset[str] = frozenset(),
                 ) -> None:
        self.live = live or {}
        self.answers = answers or {}
        self.refused = refused  # collection paths whose list the server refuses
        self.calls: list[tuple[Any, ...]] = []
        self.metadata_only: list[bool] = []

    def get_all(self, path: str, label_selector: str,
                metadata_only: bool = False) -> list[dict[str, Any]]:
        self.calls.append(("list", path, label_selector))
        self.metadata_only.append(metadata_only)
        if path in self.refused:
            raise ListRefused(f"{path}: forbidden")
        return self.live.get(path, [])

    def delete(self, path: str, uid: str, dry_run: bool) -> Answer:
        self.calls.append(("delete", path, uid, dry_run))
        return self.answers[path]


BC_PATH = "/apis/build.openshift.io/v1/namespaces/ci/buildconfigs"
DS_PATH = "/apis/apps/v1/namespaces/ci/daemonsets"


def test_the_group_is_the_one_namespace_and_label_of_every_object() -> None:
    assert pruning.group_of([obj("BuildConfig", "a"), obj("DaemonSet", "d")]) == ("ci", "g")


@pytest.mark.parametrize(("objects", "found"), [
    ([obj("BuildConfig", "a"), obj("BuildConfig", "b", group="h")], "[\"('ci', 'g')\", \"('ci', 'h')\"]"),
    ([obj("BuildConfig", "a"), obj("BuildConfig", "b", namespace="x")],
     "[\"('ci', 'g')\", \"('x', 'g')\"]"),
    ([obj("BuildConfig", "a", group=None)], "[\"('ci', None)\"]"),
    ([], "[]"),
])
def test_objects_of_several_groups_cannot_be_pruned(objects: list[dict[str, Any]], found: str) -> None:
    with pytest.raises(CistreamsError) as caught:
        pruning.group_of(objects)
    assert str(caught.value) == ("--prune needs every rendered object in one namespace with one "
                                 f"art-builder-group label; found {found}")


def test_stale_objects_are_the_groups_own_that_the_render_lacks_in_order() -> None:
    api = FakeApi({BC_PATH: [obj("BuildConfig", "keep", uid="1"), obj("BuildConfig", "z-old", uid="2"),
                             obj("BuildConfig", "a-old", uid="3"),
                             obj("BuildConfig", "elsewhere", namespace="other", uid="4"),
                             obj("BuildConfig", "other-group", group="h", uid="5"),
                             obj("BuildConfig", "unlabelled", group=None, uid="6")],
                   DS_PATH: [obj("DaemonSet", "ds-old", uid="7"), obj("DaemonSet", "keep", uid="8")]})
    stale = pruning.find_stale(api, [obj("BuildConfig", "keep"), obj("DaemonSet", "keep")])  # type: ignore[arg-type]
    assert [(s.ref, s.uid) for s in stale] == [
        (Ref(kinds.BUILDCONFIG, "ci", "a-old"), "3"), (Ref(kinds.BUILDCONFIG, "ci", "z-old"), "2"),
        (Ref(kinds.DAEMONSET, "ci", "ds-old"), "7")]
    assert stale[0].live == obj("BuildConfig", "a-old", uid="3")
    assert api.calls == [("list", BC_PATH, "art-builder-group=g"), ("list", DS_PATH, "art-builder-group=g")]


def test_a_kind_the_render_does_not_write_may_be_unlistable() -> None:
    """The QCI target writes no DaemonSet: a user who may not list DaemonSets can still
    prune BuildConfigs (and the other way round, whichever kind is listed first)."""
    live = {BC_PATH: [obj("BuildConfig", "old", uid="1")], DS_PATH: [obj("DaemonSet", "old", uid="2")]}
    no_ds = FakeApi(live, refused=frozenset({DS_PATH}))
    stale = pruning.find_stale(no_ds, [obj("BuildConfig", "keep")])  # type: ignore[arg-type]
    assert [(s.ref, s.uid) for s in stale] == [(Ref(kinds.BUILDCONFIG, "ci", "old"), "1")]
    no_bc = FakeApi(live, refused=frozenset({BC_PATH}))
    stale = pruning.find_stale(no_bc, [obj("DaemonSet", "keep")])  # type: ignore[arg-type]
    assert [(s.ref, s.uid) for s in stale] == [(Ref(kinds.DAEMONSET, "ci", "old"), "2")]


def test_a_kind_the_render_writes_must_be_listable() -> None:
    api = FakeApi({BC_PATH: [obj("BuildConfig", "old", uid="1")]}, refused=frozenset({BC_PATH}))
    with pytest.raises(ListRefused, match="forbidden"):
        pruning.find_stale(api, [obj("BuildConfig", "keep")])  # type: ignore[arg-type]


def test_nothing_is_stale_when_the_render_has_everything() -> None:
    api = FakeApi({BC_PATH: [obj("BuildConfig", "keep", uid="1")]})
    assert pruning.find_stale(api, [obj("BuildConfig", "keep")]) == []  # type: ignore[arg-type]


STALE = pruning.Stale(Ref(kinds.BUILDCONFIG, "ci", "old"), "uid-1", {})
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
    assert pruning.delete(api, STALE, dry_run) == line  # type: ignore[arg-type]
    assert api.calls == [("delete", OLD, "uid-1", dry_run)]


def test_a_refused_delete_is_an_error() -> None:
    api = FakeApi(answers={OLD: Answer(403, {"message": "forbidden: no delete"})})
    with pytest.raises(CistreamsError) as caught:
        pruning.delete(api, STALE, False)  # type: ignore[arg-type]
    assert str(caught.value) == ("buildconfig.build.openshift.io/old: cannot prune: HTTP 403: "
                                 "forbidden: no delete")


def test_an_object_without_labels_cannot_be_pruned_by_group() -> None:
    bare = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d", "namespace": "ci"}}
    with pytest.raises(CistreamsError, match=r"found \[\"\('ci', None\)\"\]$"):
        pruning.group_of([bare])


def test_odd_items_from_a_proxy_are_skipped_not_fatal() -> None:
    api = FakeApi({BC_PATH: [{}, {"metadata": {"name": "x", "namespace": "ci", "uid": "1"}},
                             obj("BuildConfig", "old", uid="2")]})
    stale = pruning.find_stale(api, [obj("BuildConfig", "keep")])  # type: ignore[arg-type]
    assert [(s.ref.name, s.uid) for s in stale] == [("old", "2")]


def test_a_listed_item_without_a_name_or_uid_is_never_pruned() -> None:
    """Its delete path would be the collection's own (which deletes every object in it)."""
    nameless = obj("BuildConfig", "", uid="u1")
    no_uid = obj("BuildConfig", "old")
    named = obj("BuildConfig", "stale", uid="u2")
    api = FakeApi({BC_PATH: [nameless, no_uid, named]})
    stale = pruning.find_stale(api, [obj("BuildConfig", "a")])  # type: ignore[arg-type]
    assert [(s.ref.name, s.uid) for s in stale] == [("stale", "u2")]
    assert all(not s.ref.path.endswith("/buildconfigs") for s in stale)


def test_pruning_lists_metadata_and_diff_lists_whole_objects() -> None:
    api = FakeApi()
    objects = [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": {"name": "d", "namespace": "ci",
                             "labels": {"art-builder-group": "g"}}}]
    pruning.find_stale(api, objects)  # type: ignore[arg-type]
    pruning.find_stale(api, objects, whole=True)  # type: ignore[arg-type]
    assert api.metadata_only == [True, True, False, False]


# -- the warning guard with the qci default target (issue 16) ----------------------------------

def gen_qci(cluster: TestCluster, data: Path, *args: str) -> Run:
    return run_cli("--data-path", str(data), "-g", GROUP, "gen-buildconfigs", "-o",
                   str(data.parent / "out.yaml"), "--apply", "--kubeconfig",
                   str(cluster.kubeconfig("admin")), *args)


def buildconfigs(cluster: TestCluster) -> dict[str, str]:
    """Every BuildConfig in `ci`: its name and resourceVersion."""
    status, body = cluster.api("GET", BC)
    assert status == 200, body
    return {item["metadata"]["name"]: item["metadata"]["resourceVersion"]
            for item in body["items"]}


def edit_stream(data: Path, name: str, old: str, new: str) -> None:
    streams = data / "streams.yml"
    text = streams.read_text()
    block = re.search(rf"^{re.escape(name)}:\n(?:[ #].*\n|\n)*", text, flags=re.M)
    assert block is not None and old in block.group(), name
    streams.write_text(text.replace(block.group(), block.group().replace(old, new, 1)))


def test_a_misspelt_transform_applies_and_prunes_nothing(clean_cluster: TestCluster,
                                                         data: Path) -> None:
    assert gen_qci(clean_cluster, data).code == 0
    before = buildconfigs(clean_cluster)
    assert RHEL7_BC in before
    edit_stream(data, "rhel-7", "  transform:", "  transfrom:")
    run = gen_qci(clean_cluster, data, "--prune")
    assert run.code == 1
    assert "rhel-7.transfrom: unknown key (did you mean 'transform'?)" in run.stderr
    assert buildconfigs(clean_cluster) == before  # nothing applied, nothing pruned


def test_a_warning_holds_the_prune_back_until_overridden(clean_cluster: TestCluster,
                                                         data: Path) -> None:
    assert gen_qci(clean_cluster, data).code == 0
    edit_stream(data, "rhel-7", "  transform: rhel-7/base-repos\n", "")
    edit_stream(data, "golang", "  mirror: true\n", "  mirror: true\n  owner: someone\n")
    held = gen_qci(clean_cluster, data, "--prune")
    assert held.code == 0, held.stderr
    assert "warning: not pruning: the build data gave 1 warning(s)" in held.stderr
    assert " pruned" not in held.stderr
    assert RHEL7_BC in buildconfigs(clean_cluster)
    done = gen_qci(clean_cluster, data, "--prune", "--prune-despite-warnings")
    assert done.code == 0, done.stderr
    assert f"buildconfig.build.openshift.io/{RHEL7_BC} pruned" in done.stderr
    assert RHEL7_BC not in buildconfigs(clean_cluster)

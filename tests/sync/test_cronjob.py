"""examples/cronjob against the real test cluster: every manifest passes a server-side dry
run; the whole job run as the example's service account succeeds against the real parts,
uses exactly the rights its Roles grant, and fails, saying why, without one of them."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from cluster.testcluster import TestCluster
from helpers import PROJECT, run_cli
from sync.world import World

EXAMPLE = PROJECT / "examples" / "cronjob"
ACCOUNT = "system:serviceaccount:ci:cistreams-sync"
RBAC = "rbac.authorization.k8s.io"
CORE = {"ServiceAccount": "serviceaccounts", "ConfigMap": "configmaps", "Secret": "secrets"}
Right = tuple[str, str, str, str]  # namespace, API group, resource, verb


def manifests() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted(EXAMPLE.glob("*.yaml")):
        found.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return found


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for doc in manifests() if doc["kind"] == kind]


def collection(obj: dict[str, Any]) -> str:
    namespace = obj["metadata"]["namespace"]
    if obj["kind"] in CORE:
        return f"/api/v1/namespaces/{namespace}/{CORE[obj['kind']]}"
    if obj["kind"] == "CronJob":
        return f"/apis/{obj['apiVersion']}/namespaces/{namespace}/cronjobs"
    return f"/apis/{obj['apiVersion']}/namespaces/{namespace}/{obj['kind'].lower()}s"


def served_cronjob(cluster: TestCluster, cronjob: dict[str, Any]) -> dict[str, Any]:
    """The CronJob as the test cluster serves it: batch/v1 from Kubernetes 1.21; the test
    cluster is 1.20, which serves the same spec (every field used here) as batch/v1beta1."""
    status, body = cluster.api("GET", "/apis/batch/v1")
    if status == 200 and any(r["name"] == "cronjobs" for r in body["resources"]):
        return cronjob
    older = copy.deepcopy(cronjob)
    older["apiVersion"] = "batch/v1beta1"
    return older


def dry_run(cluster: TestCluster, obj: dict[str, Any]) -> tuple[int, Any]:
    if obj["kind"] == "CronJob":
        obj = served_cronjob(cluster, obj)
    return cluster.api("POST", collection(obj) + "?dryRun=All", obj)


def test_every_manifest_passes_a_server_side_dry_run(sync_cluster: TestCluster) -> None:
    docs = manifests()
    assert sorted({d["kind"] for d in docs}) == ["ConfigMap", "CronJob", "Role", "RoleBinding",
                                                 "Secret", "ServiceAccount"]
    for doc in docs:
        status, body = dry_run(sync_cluster, doc)
        assert status == 201, (doc["kind"], doc["metadata"], body)
    # a dry run writes nothing, and it does judge: a broken schedule is refused
    [cronjob] = by_kind("CronJob")
    status, _ = sync_cluster.api("GET", collection(served_cronjob(
        sync_cluster, cronjob)) + "/cistreams-sync")
    assert status == 404
    broken = copy.deepcopy(cronjob)
    broken["spec"]["schedule"] = "every now and then"
    assert dry_run(sync_cluster, broken)[0] == 422


def test_the_cronjob_runs_one_at_a_time_with_its_config_and_secret() -> None:
    [cronjob] = by_kind("CronJob")
    spec = cronjob["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "cistreams-sync"
    [container] = pod["containers"]
    assert container["args"][0] == "sync"
    env = {e["name"]: e for e in container["env"]}
    assert env["CISTREAMS_DATA_PATH"]["valueFrom"]["configMapKeyRef"] == \
        {"name": "cistreams-sync", "key": "build-data-url"}
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert volumes["registry"]["secret"]["secretName"] == "cistreams-sync-registry"
    assert f"--registry-auth={mounts['registry']}/config.json" in container["args"]
    assert volumes["config"]["configMap"]["name"] == "cistreams-sync"
    assert f"--groups-file={mounts['config']}/groups" in container["args"]
    [config] = by_kind("ConfigMap")
    assert config["data"]["groups"].split("#")[0].strip() == ""  # a comment, then groups
    [secret] = by_kind("Secret")
    assert json.loads(secret["stringData"]["config.json"]) == {"auths": {}}


# -- the job as the service account -----------------------------------------------------------

def put(cluster: TestCluster, obj: dict[str, Any]) -> None:
    """Create or replace `obj` for real."""
    path = collection(obj)
    status, body = cluster.api("POST", path, obj)
    if status == 409:
        status, body = cluster.api("PUT", f"{path}/{obj['metadata']['name']}", obj)
    assert status in (200, 201), body


def granted() -> set[Right]:
    rights: set[Right] = set()
    for role in by_kind("Role"):
        for rule in role["rules"]:
            rights |= {(role["metadata"]["namespace"], group, resource, verb)
                       for group in rule["apiGroups"] for resource in rule["resources"]
                       for verb in rule["verbs"]}
    return rights


def right_of(method: str, target: str) -> Right | None:
    """The RBAC right a request needs (None for a cluster-wide review, which every
    authenticated user may make)."""
    url = urlsplit(target)
    parts = url.path.strip("/").split("/")
    if "namespaces" not in parts:
        return None
    group = "" if parts[0] == "api" else parts[1]
    rest = parts[parts.index("namespaces") + 1:]
    namespace, resource, named = rest[0], rest[1], len(rest) > 2
    if len(rest) > 3:
        resource += f"/{rest[3]}"
    if method == "GET":
        verb = "get" if named else ("watch" if parse_qs(url.query).get("watch") == ["true"]
                                    else "list")
    else:
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}[method]
    return namespace, group, resource, verb


@pytest.fixture
def account(world: World) -> Iterator[World]:
    for doc in manifests():
        if doc["kind"] in ("ServiceAccount", "Role", "RoleBinding"):
            put(world.cluster, doc)
    yield world
    for role in by_kind("Role"):
        put(world.cluster, role)  # as the example says, whatever a test changed


def test_the_job_as_the_service_account_uses_exactly_the_rights_granted(account: World) -> None:
    account.copy()
    mark = account.service.mark()
    run = run_cli(*account.args("--as", ACCOUNT, "--format", "json"))
    report = json.loads(run.stdout)
    assert run.code == 0, [g["message"] for g in report["groups"]]
    assert [g["status"] for g in report["groups"]] == ["synced", "synced"]
    seen = account.service.seen[mark:]
    assert {s.impersonated for s in seen} == {ACCOUNT}
    used = {right for s in seen if (right := right_of(s.method, s.path)) is not None}
    assert used <= granted()
    # granted, not asked for by this run: server-side apply needs `create` to create an
    # object (asked by the same PATCH), and `get` reads one the group's list cannot settle
    assert granted() - used == {("ci", "build.openshift.io", "buildconfigs", "create"),
                                ("ci", "build.openshift.io", "buildconfigs", "get")}


def without(cluster: TestCluster, namespace: str, resource: str, verb: str) -> None:
    """The example's Role in `namespace`, less one verb on one resource."""
    [role] = [r for r in by_kind("Role") if r["metadata"]["namespace"] == namespace]
    changed = copy.deepcopy(role)
    for rule in changed["rules"]:
        if resource in rule["resources"]:
            rule["verbs"] = [v for v in rule["verbs"] if v != verb]
    changed["rules"] = [rule for rule in changed["rules"] if rule["verbs"]]
    put(cluster, changed)


@pytest.mark.parametrize(("namespace", "resource", "verb", "failed_step", "says"), [
    ("ci", "buildconfigs/instantiate", "create", "start-builds",
     "may not create buildconfigs.build.openshift.io/instantiate in namespace ci"),
    ("ci", "buildconfigs", "create", "gen-buildconfigs", "forbidden"),
    ("ocp", "imagestreams", "patch", "mirror", "HTTP 403"),
    ("ci", "leases", "create", None, "cannot take the Lease ci/cistreams-sync-openshift-4.17: "
                                     "HTTP 403"),
    # every step went through, but the Lease cannot be released (nor the revision recorded)
    ("ci", "leases", "update", None, "cannot release the Lease ci/cistreams-sync-openshift-4.17: "
                                     "HTTP 403"),
])
def test_without_one_right_the_run_fails_and_says_why(
        account: World, namespace: str, resource: str, verb: str, failed_step: str | None,
        says: str) -> None:
    account.copy(groups=("openshift-4.17",))
    without(account.cluster, namespace, resource, verb)
    run = run_cli(*account.args("--as", ACCOUNT, "--format", "json",
                                groups=("openshift-4.17",)))
    assert run.code == 1
    [group] = json.loads(run.stdout)["groups"]
    assert group["status"] == "failed"
    failed = [s for s in group["steps"] if s["status"] == "failed"]
    if failed_step is None:
        assert failed == [] and says in group["message"], group["message"]
        ran = [s["status"] for s in group["steps"]]
        assert ran == (["ok"] * 4 if verb == "update" else ["not-run"] * 4)
    else:
        assert [s["name"] for s in failed] == [failed_step]
        assert any(says in e for e in failed[0]["errors"]), failed[0]["errors"]

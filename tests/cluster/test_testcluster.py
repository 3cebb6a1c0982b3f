"""The test cluster is what the other cluster tests take it for.

Real TLS (verified with the cluster's CA only), RBAC per user, a BuildConfig CRD that enforces
the bundled schema, server-side apply on both kinds, and an API server that can be stopped and
restarted with its data. The first tests check `crd.py` alone and need no cluster.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cluster.crd import buildconfig_crd, load_bundled_schema, structural_schema
from cluster.testcluster import ClusterError, TestCluster

BC = "/apis/build.openshift.io/v1/namespaces/{ns}/buildconfigs"
DS = "/apis/apps/v1/namespaces/{ns}/daemonsets"
APPLY = "application/apply-patch+yaml"


def buildconfig(name: str, namespace: str = "ci") -> dict[str, Any]:
    """A minimal valid BuildConfig: a Docker build of an inline Dockerfile to an ImageStreamTag."""
    return {"apiVersion": "build.openshift.io/v1", "kind": "BuildConfig",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"triggers": [],
                     "source": {"type": "Dockerfile", "dockerfile": "FROM scratch\n"},
                     "strategy": {"type": "Docker", "dockerStrategy": {"noCache": True}},
                     "output": {"to": {"kind": "ImageStreamTag", "name": f"{name}:latest"}}}}


def daemonset(name: str, namespace: str = "ci") -> dict[str, Any]:
    """A minimal valid apps/v1 DaemonSet."""
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "registry.example/x:1"}]}}}}


def create(cluster: TestCluster, obj: dict[str, Any], user: str = "admin") -> int:
    """POST `obj` to its collection as `user`; the HTTP status."""
    template = BC if obj["kind"] == "BuildConfig" else DS
    return cluster.api("POST", template.format(ns=obj["metadata"]["namespace"]), obj, user=user)[0]


# -- crd.py alone -------------------------------------------------------------------------------


def schema_nodes(node: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema node under `node` that describes a value, with a readable path."""
    yield path or "<root>", node
    for key, child in node.get("properties", {}).items():
        yield from schema_nodes(child, f"{path}.{key}")
    for keyword in ("items", "additionalProperties"):
        if isinstance(node.get(keyword), dict):
            yield from schema_nodes(node[keyword], f"{path}[{keyword}]")


def test_derived_schema_has_no_references_and_no_forbidden_keywords() -> None:
    text = json.dumps(structural_schema(load_bundled_schema()))
    for forbidden in ('"$ref"', '"$defs"', '"$schema"', '"additionalProperties": false'):
        assert forbidden not in text


def test_every_node_of_the_derived_schema_is_structural() -> None:
    schema = structural_schema(load_bundled_schema())
    for path, node in schema_nodes(schema):
        assert isinstance(node.get("type"), str) or node.get("x-kubernetes-preserve-unknown-fields") \
            or node.get("x-kubernetes-int-or-string"), path
        assert not ("properties" in node and "additionalProperties" in node), path


def test_derived_schema_keeps_types_and_required_fields() -> None:
    spec = structural_schema(load_bundled_schema())["properties"]["spec"]
    assert spec["properties"]["runPolicy"] == {"type": "string"}
    assert spec["required"] == ["strategy"]  # triggers are optional, as on the server
    assert spec["properties"]["strategy"]["required"] == ["type"]
    to = spec["properties"]["output"]["properties"]["to"]
    assert to["type"] == "object" and to["properties"]["kind"] == {"type": "string"}


def test_metadata_is_a_bare_object_as_crds_require() -> None:
    assert structural_schema(load_bundled_schema())["properties"]["metadata"] == {"type": "object"}


def test_recursion_and_open_unions_become_preserved_unknown_fields() -> None:
    document = {"$ref": "#/$defs/Node", "$defs": {
        "Node": {"type": "object", "additionalProperties": False,
                 "properties": {"child": {"$ref": "#/$defs/Node"}, "size": {"type": ["string", "number"]},
                                "port": {"type": ["integer", "string"]}, "free": {"type": "object"}}}}}
    node = structural_schema(document)
    props = node["properties"]
    # The root is Node already, so its `child` is where the recursion is cut.
    assert props["child"] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    assert props["size"] == {"x-kubernetes-preserve-unknown-fields": True}
    assert props["port"]["x-kubernetes-int-or-string"] is True
    assert props["free"] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def test_crd_names() -> None:
    crd = buildconfig_crd()
    assert crd["metadata"]["name"] == "buildconfigs.build.openshift.io"
    assert crd["spec"]["scope"] == "Namespaced"
    assert crd["spec"]["names"] == {"plural": "buildconfigs", "singular": "buildconfig", "shortNames": ["bc"],
                                    "kind": "BuildConfig", "listKind": "BuildConfigList"}


# -- the running cluster ------------------------------------------------------------------------


def test_tls_is_verified_with_the_clusters_ca_and_fails_without_it(cluster: TestCluster) -> None:
    request = urllib.request.Request(f"{cluster.server}/version",
                                     headers={"Authorization": f"Bearer {cluster.token('admin')}"})
    no_proxy = urllib.request.ProxyHandler({})
    verified = ssl.create_default_context(cafile=str(cluster.ca_path))
    with urllib.request.build_opener(no_proxy, urllib.request.HTTPSHandler(context=verified)).open(
            request, timeout=30) as response:
        assert json.loads(response.read())["gitVersion"] == "v1.20.2"
    system_cas = ssl.create_default_context()
    with pytest.raises(urllib.error.URLError) as raised:
        urllib.request.build_opener(no_proxy, urllib.request.HTTPSHandler(context=system_cas)).open(
            request, timeout=30)
    assert isinstance(raised.value.reason, ssl.SSLCertVerificationError)


def test_kubeconfig_verifies_tls_and_kubectl_fails_without_the_ca(cluster: TestCluster,
                                                                  tmp_path: Path) -> None:
    path = cluster.kubeconfig("art-publish")
    config = json.loads(path.read_text())
    assert config["current-context"] == "art-publish"
    assert [c["name"] for c in config["contexts"]] == ["art-publish"]
    assert cluster.kubectl("get", "bc", "-n", "ci", user="art-publish").returncode == 0
    del config["clusters"][0]["cluster"]["certificate-authority-data"]
    bare = tmp_path / "no-ca"
    bare.write_text(json.dumps(config))
    done = cluster.kubectl("--kubeconfig", str(bare), "get", "bc", "-n", "ci")  # the last one counts
    assert done.returncode != 0 and "x509" in done.stderr


def test_admin_creates_a_buildconfig_and_a_daemonset(clean_cluster: TestCluster) -> None:
    assert create(clean_cluster, buildconfig("a")) == 201
    applied = clean_cluster.kubectl("apply", "-f", "-", input=json.dumps(daemonset("a")))
    assert applied.returncode == 0, applied.stderr
    done = clean_cluster.kubectl("get", "bc,ds", "-n", "ci", "-o", "name")
    assert done.stdout.split() == ["buildconfig.build.openshift.io/a", "daemonset.apps/a"], done.stderr


@pytest.mark.parametrize(("field", "value"), [("runPolicy", 5), ("triggers", "none"), ("strategy", None)])
def test_the_crd_rejects_a_buildconfig_against_the_schema(clean_cluster: TestCluster, field: str,
                                                          value: object) -> None:
    bad = buildconfig("bad")
    if value is None:
        del bad["spec"][field]
    else:
        bad["spec"][field] = value
    status, body = clean_cluster.api("POST", BC.format(ns="ci"), bad)
    assert status == 422, body
    assert f"spec.{field}" in body["message"]


def test_the_crd_prunes_unknown_fields(clean_cluster: TestCluster) -> None:
    obj = buildconfig("pruned")
    obj["spec"]["bogus"] = 1
    obj["spec"]["strategy"]["dockerStrategy"]["bogus"] = 2
    assert create(clean_cluster, obj) == 201
    stored = clean_cluster.api("GET", BC.format(ns="ci") + "/pruned")[1]
    assert "bogus" not in stored["spec"] and stored["spec"]["strategy"]["dockerStrategy"] == {"noCache": True}


@pytest.mark.parametrize(("user", "namespace", "bc_status", "ds_status"), [
    ("art-publish", "ci", 201, 201), ("art-publish", "other", 403, 403),
    ("bc-only", "ci", 201, 403), ("bc-only", "other", 403, 403),
    ("nobody", "ci", 403, 403), ("nobody", "other", 403, 403)])
def test_who_may_create_what_where(clean_cluster: TestCluster, user: str, namespace: str,
                                   bc_status: int, ds_status: int) -> None:
    assert create(clean_cluster, buildconfig("x", namespace), user) == bc_status
    assert create(clean_cluster, daemonset("x", namespace), user) == ds_status


def can(cluster: TestCluster, user: str, verb: str, group: str, resource: str, namespace: str) -> bool:
    """Whether `user` may `verb` the resource in `namespace`, as the server's authorizer says."""
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
              "spec": {"resourceAttributes": {"verb": verb, "group": group, "resource": resource,
                                              "namespace": namespace}}}
    status, answer = cluster.api("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review,
                                 user=user)
    assert status == 201, answer
    return bool(answer["status"]["allowed"])


@pytest.mark.parametrize(("user", "resources"), [
    ("art-publish", [("build.openshift.io", "buildconfigs"), ("apps", "daemonsets")]),
    ("bc-only", [("build.openshift.io", "buildconfigs")])])
def test_every_verb_in_ci_and_nothing_else(cluster: TestCluster, user: str,
                                           resources: list[tuple[str, str]]) -> None:
    everything = [("build.openshift.io", "buildconfigs"), ("apps", "daemonsets"), ("", "configmaps")]
    for verb in ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"):
        for group, resource in everything:
            expected = verb != "deletecollection" and (group, resource) in resources
            assert can(cluster, user, verb, group, resource, "ci") == expected, (verb, resource)
            assert not can(cluster, user, verb, group, resource, "other"), (verb, resource)


def test_kubectl_agrees_on_rights(cluster: TestCluster) -> None:
    for namespace, answer in (("ci", "yes"), ("other", "no")):
        done = cluster.kubectl("auth", "can-i", "patch", "daemonsets.apps", "-n", namespace,
                               user="art-publish")
        assert done.stdout.strip() == answer, done.stderr


def test_nobody_may_not_even_read(cluster: TestCluster) -> None:
    for path in (BC.format(ns="ci"), DS.format(ns="ci"), "/api/v1/namespaces"):
        assert cluster.api("GET", path, user="nobody")[0] == 403, path


@pytest.mark.parametrize("make", [buildconfig, daemonset])
def test_server_side_apply_with_and_without_dry_run(clean_cluster: TestCluster, make: Any) -> None:
    obj = make("applied")
    path = (BC if obj["kind"] == "BuildConfig" else DS).format(ns="ci") + "/applied"
    body = json.dumps(obj)  # JSON is YAML; the content type is what makes it an apply
    status, answer = clean_cluster.api("PATCH", path + "?fieldManager=x&dryRun=All", body,
                                       user="art-publish", content_type=APPLY)
    assert status == 201 and answer["metadata"]["name"] == "applied", answer
    assert clean_cluster.api("GET", path)[0] == 404  # a dry run stores nothing
    status, answer = clean_cluster.api("PATCH", path + "?fieldManager=x", body, user="art-publish",
                                       content_type=APPLY)
    assert status == 201, answer
    assert [m["manager"] for m in answer["metadata"]["managedFields"]] == ["x"]
    obj["metadata"]["labels"] = {"applied": "again"}
    status, answer = clean_cluster.api("PATCH", path + "?fieldManager=x", json.dumps(obj),
                                       user="art-publish", content_type=APPLY)
    assert status == 200 and answer["metadata"]["labels"] == {"applied": "again"}, answer


def test_reset_deletes_everything_even_with_finalizers(cluster: TestCluster) -> None:
    held = buildconfig("held", "other")
    held["metadata"]["finalizers"] = ["example.com/hold"]
    for obj in (buildconfig("a"), daemonset("a"), held, daemonset("b", "other")):
        assert create(cluster, obj) == 201
    cluster.reset()
    for namespace in ("ci", "other"):
        for template in (BC, DS):
            assert cluster.api("GET", template.format(ns=namespace))[1]["items"] == []


def test_apiserver_stops_and_restarts_with_its_data(clean_cluster: TestCluster) -> None:
    assert create(clean_cluster, buildconfig("kept")) == 201
    clean_cluster.stop_apiserver()
    try:
        with pytest.raises(urllib.error.URLError):
            clean_cluster.api("GET", "/readyz")
        assert clean_cluster.kubectl("get", "bc", "-n", "ci").returncode != 0
    finally:
        clean_cluster.start_apiserver()
    status, stored = clean_cluster.api("GET", BC.format(ns="ci") + "/kept")
    assert status == 200 and stored["spec"]["strategy"]["type"] == "Docker"


def test_a_failed_start_says_why_and_leaves_no_process(cluster_bin_dir: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("etcd", "kubectl"):
        (bin_dir / name).symlink_to(cluster_bin_dir / name)
    broken = bin_dir / "kube-apiserver"
    broken.write_text("#!/bin/sh\necho 'Error: unknown flag: --pretend' >&2\nexit 1\n")
    broken.chmod(0o755)
    with pytest.raises(ClusterError, match=r"(?s)exited with status 1.*unknown flag: --pretend"):
        TestCluster(tmp_path / "work", bin_dir).start()
    assert processes_mentioning(str(tmp_path)) == [], "etcd left running"


def processes_mentioning(text: str) -> list[str]:
    """The command lines of running processes that contain `text`."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):  # the process may be gone by now
            command = entry.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if text in command:
                found.append(command)
    return found

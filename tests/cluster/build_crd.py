"""The Build CustomResourceDefinition (`build.openshift.io/v1`, `builds`) for the test cluster.

A plain kube-apiserver does not serve Builds; this CRD does, with a `status` subresource as
OpenShift has (a create ignores `status`, which only `.../status` writes), so a client that
lists and watches Builds sees what it sees on OpenShift: `metadata`, `spec` as OpenShift copies
it from the BuildConfig, `status.phase` one of OpenShift's seven phases (the server refuses
any other) and the other status fields as the build controller writes them. `install` adds it
to a running TestCluster with rights in `ci`: builds get/list/watch for the readers, and
`create buildconfigs/instantiate` for the builders, checked by the build service
(buildservice.py) with a real access review. Standard library only.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from cluster.testcluster import CRDS, RBAC, ClusterError, TestCluster

GROUP = "build.openshift.io"
VERSION = "v1"
PLURAL = "builds"
NAMESPACE = "ci"
PHASES = ("New", "Pending", "Running", "Complete", "Failed", "Error", "Cancelled")
READY_TIMEOUT = 60.0
OPEN: dict[str, Any] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def build_crd() -> dict[str, Any]:
    """The `builds.build.openshift.io` CRD (apiextensions.k8s.io/v1) with a status subresource."""
    status = {**OPEN, "properties": {"phase": {"type": "string", "enum": list(PHASES)}}}
    schema = {"type": "object", "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"},
        "metadata": {"type": "object"}, "spec": OPEN, "status": status}}
    columns = [{"name": "Status", "type": "string", "jsonPath": ".status.phase"},
               {"name": "Started", "type": "date", "jsonPath": ".status.startTimestamp"}]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": PLURAL, "singular": "build", "kind": "Build",
                      "listKind": "BuildList"},
            "versions": [{"name": VERSION, "served": True, "storage": True,
                          "schema": {"openAPIV3Schema": schema},
                          "subresources": {"status": {}},
                          "additionalPrinterColumns": columns}],
        },
    }


def path(namespace: str = NAMESPACE, name: str = "") -> str:
    """The API path of the namespace's Builds (or of one)."""
    base = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}"
    return f"{base}/{name}" if name else base


def _created(answer: tuple[int, Any], what: str) -> None:
    status, body = answer
    if not (200 <= status < 300 or status == 409):  # 409: installed by an earlier test
        raise ClusterError(f"create {what}: HTTP {status}: {body}")


def _grant(cluster: TestCluster, name: str, users: Iterable[str],
           rules: list[dict[str, Any]]) -> None:
    """A Role `name` in `ci` with `rules`, bound to `users` (kept when it exists already)."""
    meta = {"name": name, "namespace": NAMESPACE}
    subjects = [{"apiGroup": RBAC, "kind": "User", "name": user} for user in users]
    binding = {"roleRef": {"apiGroup": RBAC, "kind": "Role", "name": name}, "subjects": subjects}
    for kind, extra in (("Role", {"rules": rules}), ("RoleBinding", binding)):
        collection = f"/apis/{RBAC}/v1/namespaces/{NAMESPACE}/{kind.lower()}s"
        obj = {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": meta, **extra}
        _created(cluster.api("POST", collection, obj), collection)


def install(cluster: TestCluster, readers: Iterable[str], builders: Iterable[str]) -> None:
    """The CRD; builds get/list/watch in `ci` for `readers`; `create buildconfigs/instantiate`
    there for `builders`. Returns once Builds are served; installing twice is harmless."""
    crd = build_crd()
    _created(cluster.api("POST", CRDS, crd), CRDS)
    _grant(cluster, "build-readers", readers,
           [{"apiGroups": [GROUP], "resources": [PLURAL], "verbs": ["get", "list", "watch"]}])
    _grant(cluster, "build-starters", builders,
           [{"apiGroups": [GROUP], "resources": ["buildconfigs/instantiate"],
             "verbs": ["create"]}])
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if cluster.api("GET", path())[0] == 200:
            return
        time.sleep(0.1)
    raise ClusterError(f"Builds not served {READY_TIMEOUT:.0f} s after the CRD was created")


def delete_all(cluster: TestCluster, namespace: str = NAMESPACE) -> None:
    """Delete every Build in `namespace` (nothing holds a finalizer on them)."""
    options = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
    status, body = cluster.api("DELETE", path(namespace), options)
    if not 200 <= status < 300:
        raise ClusterError(f"delete {path(namespace)}: HTTP {status}: {body}")

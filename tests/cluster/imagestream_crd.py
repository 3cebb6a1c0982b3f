"""The ImageStream CustomResourceDefinition (`image.openshift.io/v1`) for the test cluster.

A plain kube-apiserver does not serve ImageStreams; this CRD does, with a structural schema of
what `mirror` writes and reads: `spec.tags[]` with `name`, `from`, `referencePolicy`,
`importPolicy`, `annotations`, `reference` and `generation`, as OpenShift's API defines them
(`referencePolicy.type` is Source or Local, `importPolicy.importMode` Legacy or
PreserveOriginal). The server rejects a patch that breaks the schema, and JSON patches (the
`test` operation included) run as they do against OpenShift. `install` adds it to a running
TestCluster, with namespaces and a Role that lets a user get and patch ImageStreams there.
"""

from __future__ import annotations

import time
from typing import Any

from cluster.testcluster import CRDS, RBAC, ClusterError, TestCluster

GROUP = "image.openshift.io"
VERSION = "v1"
PLURAL = "imagestreams"
READY_TIMEOUT = 60.0

Schema = dict[str, Any]


def _object(properties: Schema, required: list[str] | None = None) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def tag_schema() -> Schema:
    """One `spec.tags[]` item (OpenShift's TagReference)."""
    string = {"type": "string"}
    return _object({
        "name": string,
        "annotations": {"type": "object", "nullable": True, "additionalProperties": string},
        "from": _object({"kind": string, "name": string, "namespace": string}, ["kind", "name"]),
        "reference": {"type": "boolean"},
        "generation": {"type": "integer", "format": "int64", "nullable": True},
        "importPolicy": _object({"insecure": {"type": "boolean"},
                                 "scheduled": {"type": "boolean"},
                                 "importMode": {"type": "string",
                                                "enum": ["Legacy", "PreserveOriginal"]}}),
        "referencePolicy": _object({"type": {"type": "string", "enum": ["Source", "Local"]}},
                                   ["type"]),
    }, ["name"])


def imagestream_crd() -> Schema:
    """The `imagestreams.image.openshift.io` CRD (apiextensions.k8s.io/v1)."""
    spec = _object({"lookupPolicy": _object({"local": {"type": "boolean"}}),
                    "dockerImageRepository": {"type": "string"},
                    "tags": {"type": "array", "items": tag_schema()}})
    schema = _object({"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                      "metadata": {"type": "object"}, "spec": spec,
                      "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}})
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": PLURAL, "singular": "imagestream", "kind": "ImageStream",
                      "listKind": "ImageStreamList", "shortNames": ["is"]},
            "versions": [{"name": VERSION, "served": True, "storage": True,
                          "schema": {"openAPIV3Schema": schema}}],
        },
    }


def path(namespace: str, name: str = "") -> str:
    """The API path of the namespace's ImageStreams (or of one)."""
    base = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}"
    return f"{base}/{name}" if name else base


def _created(answer: tuple[int, Any], what: str) -> None:
    """A create that succeeded, or found the object there already (a second install)."""
    status, body = answer
    if not (200 <= status < 300 or status == 409):
        raise ClusterError(f"create {what}: HTTP {status}: {body}")


def install(cluster: TestCluster, namespaces: tuple[str, ...], user: str) -> None:
    """The CRD, the namespaces, and rights for `user` to get and patch ImageStreams in them;
    returns once ImageStreams are served. Installing twice is harmless."""
    crd = imagestream_crd()
    _created(cluster.api("POST", CRDS, crd), CRDS)
    for namespace in namespaces:
        _created(cluster.api("POST", "/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}), namespace)
        meta = {"name": f"{user}-imagestreams", "namespace": namespace}
        rule = {"apiGroups": [GROUP], "resources": [PLURAL], "verbs": ["get", "patch"]}
        binding = {"roleRef": {"apiGroup": RBAC, "kind": "Role", "name": meta["name"]},
                   "subjects": [{"apiGroup": RBAC, "kind": "User", "name": user}]}
        for kind, extra in (("Role", {"rules": [rule]}), ("RoleBinding", binding)):
            collection = f"/apis/{RBAC}/v1/namespaces/{namespace}/{kind.lower()}s"
            obj = {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": meta, **extra}
            _created(cluster.api("POST", collection, obj), collection)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if cluster.api("GET", path(namespaces[0]))[0] == 200:
            return
        time.sleep(0.1)
    raise ClusterError(f"ImageStreams not served {READY_TIMEOUT:.0f} s after the CRD was created")


def imagestream(namespace: str, name: str, tags: list[dict[str, Any]]) -> dict[str, Any]:
    """An ImageStream object with these spec.tags."""
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "ImageStream",
            "metadata": {"name": name, "namespace": namespace}, "spec": {"tags": tags}}

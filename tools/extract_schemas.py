#!/usr/bin/env python3
"""Extract the BuildConfig and DaemonSet schemas that cistreams bundles (run by hand, not in CI).

Usage (no network needed once the two archives are downloaded):

    cd "$(mktemp -d)"
    npm pack openshift-rest-client                     # openshift-rest-client-<v>.tgz
    pip download --no-deps kubernetes-validate -d .    # kubernetes_validate-<v>-py3-none-any.whl
    python /path/to/tools/extract_schemas.py openshift-rest-client-*.tgz \
        kubernetes_validate-*.whl src/cistreams/schemas

Each output file is a self-contained JSON Schema (draft 2020-12): `{"$ref": root, "$defs": ...}`
holding only the definitions reachable from the root. Edits made on the way, all on purpose:

* descriptions and `x-kubernetes-*` extensions are dropped (size; they never constrain);
* OpenAPI v2 `#/definitions/X` references become `#/$defs/X`;
* every object definition with `properties` and no `additionalProperties` gets
  `additionalProperties: false`, so a misspelt field is an error (the API server prunes or
  rejects unknown fields; the kubernetes-validate "strict" schemas already do this), and
  `type: object` when it has no `type` (the OpenShift document omits it, which would let a
  string or number stand where an object belongs);
* the OpenShift document's IntOrString (`type: string, format: int-or-string`) becomes
  `type: [string, integer]` and Quantity becomes `type: [string, number]`, which is what the
  API server accepts (and what kubernetes-validate's schemas say);
* `status` is removed from `required` (it is written by the server, never by clients), and so
  are BuildConfigSpec's `nodeSelector` (Go type `OptionalNodeSelector`: openapi-gen marks it
  required only because its JSON tag lacks omitempty; the server accepts it absent) and its
  `triggers` (same reason: a BuildConfig without triggers is valid and only builds when asked,
  which is what ART's QCI BuildConfigs rely on since June 2026, art-tools 79f685261).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

OPENSHIFT_SPEC = "package/lib/specs/openshift-openapi-spec.json.gz"
OPENSHIFT_LICENSE = "package/LICENSE"
K8S_DIR = "kubernetes_validate/kubernetes-json-schema/v1.37.0-local-strict"
K8S_LICENSE = "kubernetes_validate-1.37.0.dist-info/licenses/LICENSE"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
NOT_REQUIRED = {
    "*": {"status"},
    "com.github.openshift.api.build.v1.BuildConfigSpec": {"nodeSelector", "triggers"},
}
OPENSHIFT_ROOTS = {
    "buildconfig-build.openshift.io-v1.json": "com.github.openshift.api.build.v1.BuildConfig",
    "daemonset-extensions-v1beta1.json": "io.k8s.api.extensions.v1beta1.DaemonSet",
}
K8S_OUTPUT = "daemonset-apps-v1.json"
K8S_ROOT = "io.k8s.api.apps.v1.DaemonSet"


def ref_name(ref: str) -> str:
    """The definition name a `$ref` points at (the last path segment)."""
    return ref.rsplit("/", 1)[-1]


def clean(node: Any) -> Any:
    """A copy without descriptions and x- extensions, with refs pointing into `$defs`."""
    if isinstance(node, list):
        return [clean(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = f"#/$defs/{ref_name(value)}"
        elif key == "properties":
            out[key] = {name: clean(sub) for name, sub in value.items()}
        elif key not in {"description", "$schema", "$id"} and not key.startswith("x-"):
            out[key] = clean(value)
    return out


def references(node: Any) -> set[str]:
    """Names of every definition `node` refers to directly."""
    if isinstance(node, list):
        return set().union(*(references(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = {ref_name(node["$ref"])} if "$ref" in node else set()
    for key, value in node.items():
        if key != "$ref":
            found |= references(value)
    return found


def closure(root: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """The definitions reachable from `root`, sorted by name."""
    seen: set[str] = set()
    todo = sorted(references(root))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(references(definitions[name]))
    return {name: definitions[name] for name in sorted(seen)}


def tighten(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Close objects against unknown fields and drop server-side `required` entries."""
    if "properties" in schema:
        schema.setdefault("type", "object")
        schema.setdefault("additionalProperties", False)
    dropped = NOT_REQUIRED["*"] | NOT_REQUIRED.get(name, set())
    if "required" in schema:
        required = [field for field in schema["required"] if field not in dropped]
        if required:
            schema["required"] = required
        else:
            del schema["required"]
    return schema


def document(root_name: str, root: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """One self-contained schema: the root's closure, cleaned and tightened."""
    defs = {name: tighten(name, clean(schema))
            for name, schema in closure(root, definitions).items()}
    defs[root_name] = tighten(root_name, clean(root))
    if defs.get(INT_OR_STRING) == {"type": "string", "format": "int-or-string"}:
        defs[INT_OR_STRING] = {"type": ["string", "integer"]}
    if defs.get(QUANTITY) == {"type": "string"}:
        defs[QUANTITY] = {"type": ["string", "number"]}
    return {"$schema": DRAFT, "$ref": f"#/$defs/{root_name}", "$defs": dict(sorted(defs.items()))}


def write(out_dir: Path, name: str, schema: dict[str, Any]) -> None:
    """Write compact, key-sorted JSON (stable diffs on re-extraction)."""
    text = json.dumps(schema, sort_keys=True, separators=(",", ":")) + "\n"
    (out_dir / name).write_text(text, encoding="utf-8")
    print(f"{name}: {len(schema['$defs'])} definitions, {len(text)} bytes")


def extract_openshift(tgz: Path, out_dir: Path) -> None:
    """BuildConfig (build.openshift.io/v1) and DaemonSet (extensions/v1beta1)."""
    import gzip

    with tarfile.open(tgz) as archive:
        spec_file = archive.extractfile(OPENSHIFT_SPEC)
        license_file = archive.extractfile(OPENSHIFT_LICENSE)
        assert spec_file is not None and license_file is not None
        spec = json.loads(gzip.decompress(spec_file.read()))
        (out_dir / "LICENSE-openshift-rest-client").write_bytes(license_file.read())
    definitions = spec["definitions"]
    for output, root in OPENSHIFT_ROOTS.items():
        write(out_dir, output, document(root, definitions[root], definitions))


def extract_kubernetes(wheel: Path, out_dir: Path) -> None:
    """DaemonSet (apps/v1) from kubernetes-validate's strict Kubernetes schemas."""
    with zipfile.ZipFile(wheel) as archive:
        definitions = json.loads(archive.read(f"{K8S_DIR}/_definitions.json"))["$defs"]
        root = json.loads(archive.read(f"{K8S_DIR}/{K8S_OUTPUT}"))
        (out_dir / "LICENSE-kubernetes-validate").write_bytes(archive.read(K8S_LICENSE))
    write(out_dir, K8S_OUTPUT, document(K8S_ROOT, root, definitions))


def sha256(path: Path) -> str:
    """Hex digest of a file, for SOURCES.md."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str]) -> int:
    """Entry point: extract_schemas.py OPENSHIFT_TGZ KUBERNETES_VALIDATE_WHEEL OUT_DIR."""
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    tgz, wheel, out_dir = Path(argv[0]), Path(argv[1]), Path(argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    extract_openshift(tgz, out_dir)
    extract_kubernetes(wheel, out_dir)
    for source in (tgz, wheel):
        print(f"sha256 {source.name}: {sha256(source)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Switching a live group between the push targets against the real test cluster (issue 17).

One apply moves a group from imagestream to QCI objects (or back): server-side apply with
cistreams' field manager removes the ImageChange trigger and the ImageStreamTag output it
no longer sets, also on objects first written by `kubectl apply` (taken over, see
cluster/ownership.py), and --prune deletes the DaemonSet the QCI target no longer renders.
`diff` shows all of it beforehand. doozer-2026 mode applies with server-side apply too.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from cluster.crd import GROUP as BUILD_GROUP
from cluster.crd import buildconfig_crd
from cluster.testcluster import TestCluster
from helpers import EXAMPLE, Run, run_cli

GROUP = "openshift-4.7"
BCS = f"/apis/{BUILD_GROUP}/v1/namespaces/ci/buildconfigs"
DSS = "/apis/apps/v1/namespaces/ci/daemonsets"
DAEMONSET = "art-managed-openshift-4.7-dont-gc-me-bro"
GOLANG = "builder-rhel-8-golang-1.15-openshift-4.7--art-builder"
SECRET = "registry-push-credentials-quay-qci-art-builder"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A private copy of the example build data (six BuildConfigs)."""
    return Path(shutil.copytree(EXAMPLE, tmp_path / "build-data"))


def cli(cluster: TestCluster, data: Path, verb: str, *args: str) -> Run:
    """`cistreams VERB` on the example group, against the cluster as admin."""
    out = ["-o", str(data.parent / "out.yaml")] if verb == "gen-buildconfigs" else []
    return run_cli("--data-path", str(data), "-g", GROUP, verb, *out,
                   "--kubeconfig", str(cluster.kubeconfig("admin")), *args)


def listed(cluster: TestCluster, collection: str) -> dict[str, dict[str, Any]]:
    status, body = cluster.api("GET", collection)
    assert status == 200, body
    return {item["metadata"]["name"]: item for item in body["items"]}


def assert_qci(bc: dict[str, Any]) -> None:
    """Exactly the QCI fields: a DockerImage output with the push secret, no trigger."""
    metadata, spec = bc["metadata"], bc["spec"]
    tag = metadata["labels"]["art-builder-qci-tag"]
    assert tag.startswith("art-builder-4.7-")
    assert spec["output"] == {"to": {"kind": "DockerImage", "name": f"quay.io/openshift/ci:{tag}"},
                              "pushSecret": {"name": SECRET}}
    assert "triggers" not in spec
    notes = metadata["annotations"]
    assert tag == f"art-builder-4.7-{notes['art-builder-imagestream-tag']}"
    assert {notes["art-builder-imagestream-namespace"], notes["art-builder-imagestream-name"]} <= \
        {"ocp", "openshift", "builder", "release"}
    assert "kubectl.kubernetes.io/last-applied-configuration" not in notes
    assert {e["manager"] for e in metadata["managedFields"]} == {"cistreams"}


def assert_imagestream(bc: dict[str, Any]) -> None:
    """Exactly the imagestream fields: an ImageStreamTag output and the ImageChange trigger."""
    spec = bc["spec"]
    assert spec["output"]["to"]["kind"] == "ImageStreamTag"
    # a pushSecret removed by server-side apply stays as null in a CRD (OpenShift drops it)
    assert spec["output"].pop("pushSecret", None) is None
    assert set(spec["output"]) == {"to"} and set(spec["output"]["to"]) == {"kind", "namespace", "name"}
    assert spec["triggers"] == [{"type": "ImageChange", "imageChange": {}}]
    assert "art-builder-qci-tag" not in bc["metadata"]["labels"]
    assert not [k for k in bc["metadata"]["annotations"] if k.startswith("art-builder-imagestream")]


def test_the_crd_accepts_qci_buildconfigs() -> None:
    """The test cluster's BuildConfig schema knows pushSecret, takes any output kind, and
    requires neither triggers nor strategy.type (OpenShift defaults it from the strategy)."""
    spec = buildconfig_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert "triggers" not in spec.get("required", [])
    output = spec["properties"]["output"]["properties"]
    assert output["pushSecret"]["properties"]["name"] == {"type": "string"}
    assert output["pushSecret"]["nullable"] is True  # kubernetes#103011, see crd.py
    assert output["to"]["properties"]["kind"] == {"type": "string"}
    assert "required" not in spec["properties"]["strategy"]


def test_imagestream_to_qci_is_one_apply_with_prune(clean_cluster: TestCluster,
                                                    example: Path) -> None:
    first = cli(clean_cluster, example, "gen-buildconfigs", "--push-to", "imagestream", "--apply")
    assert first.code == 0, first.stderr
    assert len(listed(clean_cluster, BCS)) == 6 and DAEMONSET in listed(clean_cluster, DSS)
    for bc in listed(clean_cluster, BCS).values():
        assert_imagestream(bc)

    diff = cli(clean_cluster, example, "diff", "--prune")  # the default target: qci
    assert diff.code == 1, diff.stderr
    assert "7 of 7 objects would change" in diff.stderr
    assert "-  triggers:\n" in diff.stdout and "-      kind: ImageStreamTag\n" in diff.stdout
    assert "+      kind: DockerImage\n" in diff.stdout and f"+      name: {SECRET}\n" in diff.stdout
    assert f"+++ pruned/daemonset.apps/{DAEMONSET}" in diff.stdout
    assert len(listed(clean_cluster, BCS)) == 6 and DAEMONSET in listed(clean_cluster, DSS)

    switch = cli(clean_cluster, example, "gen-buildconfigs", "--apply", "--prune")
    assert switch.code == 0, switch.stderr
    assert "0 created, 6 configured, 0 unchanged, 1 pruned" in switch.stderr
    for bc in listed(clean_cluster, BCS).values():
        assert_qci(bc)
    assert listed(clean_cluster, DSS) == {}
    again = cli(clean_cluster, example, "diff", "--prune")
    assert (again.code, again.stdout) == (0, ""), again.stderr


def test_qci_back_to_imagestream(clean_cluster: TestCluster, example: Path) -> None:
    assert cli(clean_cluster, example, "gen-buildconfigs", "--apply").code == 0
    diff = cli(clean_cluster, example, "diff", "--push-to", "imagestream")
    assert diff.code == 1 and "-    pushSecret:\n" in diff.stdout, diff.stdout
    assert "+  triggers:\n" in diff.stdout
    back = cli(clean_cluster, example, "gen-buildconfigs", "--push-to", "imagestream", "--apply",
               "--prune")
    assert back.code == 0, back.stderr
    assert "1 created, 6 configured, 0 unchanged" in back.stderr
    for bc in listed(clean_cluster, BCS).values():
        assert_imagestream(bc)
    assert list(listed(clean_cluster, DSS)) == [DAEMONSET]


def test_objects_first_written_by_kubectl_apply_switch_too(clean_cluster: TestCluster,
                                                          example: Path) -> None:
    """The seed's way: `oc apply -f` of the imagestream objects, then cistreams takes them
    over in one run: no trigger, no ImageStreamTag output, no last-applied annotation, the
    DaemonSet kubectl created pruned."""
    out = example.parent / "imagestream.yaml"
    rendered = run_cli("--data-path", str(example), "-g", GROUP, "gen-buildconfigs",
                       "--push-to", "imagestream", "-o", str(out))
    assert rendered.code == 0, rendered.stderr
    applied = clean_cluster.kubectl("apply", "-f", str(out))
    assert applied.returncode == 0, applied.stderr
    golang = listed(clean_cluster, BCS)[GOLANG]
    assert {e["manager"] for e in golang["metadata"]["managedFields"]} == \
        {"kubectl-client-side-apply"}

    switch = cli(clean_cluster, example, "gen-buildconfigs", "--apply", "--prune")
    assert switch.code == 0, switch.stderr
    assert f"buildconfig.build.openshift.io/{GOLANG} configured (taken over from kubectl apply)" \
        in switch.stderr
    assert f"daemonset.apps/{DAEMONSET} pruned" in switch.stderr
    buildconfigs = listed(clean_cluster, BCS)
    assert len(buildconfigs) == 6
    for bc in buildconfigs.values():
        assert_qci(bc)
    assert listed(clean_cluster, DSS) == {}


def test_doozer_2026_mode_applies_with_server_side_apply(clean_cluster: TestCluster,
                                                         example: Path) -> None:
    run = cli(clean_cluster, example, "gen-buildconfigs", "--compat", "doozer-2026", "--apply")
    assert run.code == 0, run.stderr
    assert "6 created, 0 configured, 0 unchanged" in run.stderr
    written = yaml.safe_load_all((example.parent / "out.yaml").read_text())
    assert {d["apiVersion"] for d in written} == {"build.openshift.io/v1"}
    for bc in listed(clean_cluster, BCS).values():
        managers = {(e["manager"], e["operation"]) for e in bc["metadata"]["managedFields"]}
        assert managers == {("cistreams", "Apply")}
        assert "type" not in bc["spec"]["strategy"]  # doozer's bytes, as applied
        assert bc["spec"]["output"]["to"]["kind"] == "DockerImage" and "triggers" not in bc["spec"]
    # the default mode writes the same objects in its own layout, with what it adds
    default = cli(clean_cluster, example, "diff")
    assert default.code == 1
    assert "+    type: Docker\n" in default.stdout
    assert "by doozer." in default.stdout and "by cistreams." in default.stdout


def test_the_qci_target_needs_no_daemonset_rights(clean_cluster: TestCluster,
                                                  example: Path) -> None:
    """bc-only may write BuildConfigs and nothing else: the QCI target applies and prunes
    with those rights alone (a DaemonSet it may not even list is not its to delete); an
    admin's --prune removes the DaemonSet afterwards."""
    assert cli(clean_cluster, example, "gen-buildconfigs", "--push-to", "imagestream",
               "--apply").code == 0
    out = ["-o", str(example.parent / "bc-only.yaml")]
    run = run_cli("--data-path", str(example), "-g", GROUP, "gen-buildconfigs", *out, "--apply",
                  "--prune", "--kubeconfig", str(clean_cluster.kubeconfig("bc-only")))
    assert run.code == 0, run.stderr
    assert "0 created, 6 configured, 0 unchanged" in run.stderr and " pruned" not in run.stderr
    assert list(listed(clean_cluster, DSS)) == [DAEMONSET]
    admin = cli(clean_cluster, example, "gen-buildconfigs", "--apply", "--prune")
    assert admin.code == 0 and f"daemonset.apps/{DAEMONSET} pruned" in admin.stderr, admin.stderr
    assert listed(clean_cluster, DSS) == {}

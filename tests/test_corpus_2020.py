"""The 2020 snapshots of ocp-build-data render to the objects of spec section 6.5."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import CORPUS, run_cli

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")

EXPECTED_47 = [  # (BuildConfig name, stream, localdev repo count)
    ("builder-rhel-8-base-openshift-4.7--art-builder", "rhel", 6),
    ("builder-rhel-7-base-openshift--art-builder", "rhel-7", 1),
    ("builder-rhel-8-golang-openshift-4.7--art-builder", "golang-1.14", 6),
    ("builder-rhel-8-golang-1.15-openshift-4.7--art-builder", "golang", 6),
    ("release-rhel-8-release-golang-1.14-openshift-4.7--art-builder",
     "rhel-8-golang-1.14-ci-build-root", 0),
    ("release-rhel-8-release-golang-1.15-openshift-4.7--art-builder",
     "rhel-8-golang-1.15-ci-build-root", 0),
    ("builder-rhel-7-golang-1.15-openshift-4.7--art-builder", "rhel-7-golang", 1),
]


def render(folder: str, *extra: str) -> list[dict[str, Any]]:
    data = CORPUS / folder
    out = Path(pytest.importorskip("tempfile").mkdtemp()) / "out.yaml"
    result = run_cli("--data-path", str(data), "-g", folder.split("_")[0], "images:streams",
                     "gen-buildconfigs", "-o", str(out), *extra)
    assert result.code == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(out.read_text()) if doc]


# the imagestream target is what 2020's CI had (and doozer-2020 mode's only target)
@pytest.mark.parametrize("mode", [("--push-to", "imagestream"), ("--compat", "doozer-2020")])
def test_openshift_47(mode: tuple[str, ...]) -> None:
    objects = render("openshift-4.7_2020-11-30", *mode)
    *bcs, ds = objects
    assert ds["kind"] == "DaemonSet"
    streams = {bc["metadata"]["labels"]["art-builder-stream"]: bc for bc in bcs}
    assert [(bc["metadata"]["name"], bc["metadata"]["labels"]["art-builder-stream"],
             bc["spec"]["source"]["dockerfile"].count("localdev-") // 4) for bc in bcs] == EXPECTED_47
    root = streams["rhel-8-golang-1.15-ci-build-root"]["spec"]
    assert root["strategy"]["dockerStrategy"]["from"] == {
        "kind": "ImageStreamTag", "namespace": "ocp", "name": "builder:rhel-8-golang-1.15-openshift-4.7"}
    assert root["output"]["to"] == {"kind": "ImageStreamTag", "namespace": "openshift",
                                    "name": "release:rhel-8-release-golang-1.15-openshift-4.7"}
    containers = [c["name"] for c in ds["spec"]["template"]["spec"]["containers"]]
    assert containers[0] == "ocp-builder-rhel-8-base-openshift-4-7"
    assert containers[-2:] == ["openshift-release-rhel-8-release-golang-1-15-openshift-4-7",
                               "ocp-builder-rhel-7-golang-1-15-openshift-4-7"]
    rhel = streams["rhel"]["spec"]["source"]["dockerfile"]
    order = [line.split("'[")[1].split("]")[0] for line in rhel.splitlines() if "'[localdev" in line]
    assert order == sorted(order) and order[0] == "localdev-openstack-16-for-rhel-8-rpms"


def test_openshift_46_has_the_same_shape_without_localdev() -> None:
    objects = render("openshift-4.6_2020-11-30", "--compat", "doozer-2020")
    assert [o["kind"] for o in objects] == ["BuildConfig"] * 7 + ["DaemonSet"]
    assert all("localdev" not in o["spec"]["source"]["dockerfile"] for o in objects[:7])


@pytest.mark.parametrize("mode", [(), ("--compat", "doozer-2020")])
def test_openshift_45_writes_an_empty_file(mode: tuple[str, ...]) -> None:
    assert render("openshift-4.5_2020-11-30", *mode) == []


def test_openshift_47_for_todays_ci_pushes_to_qci() -> None:
    objects = render("openshift-4.7_2020-11-30")
    assert [o["kind"] for o in objects] == ["BuildConfig"] * len(EXPECTED_47)  # no DaemonSet
    root = next(o for o in objects
                if o["metadata"]["labels"]["art-builder-stream"] == "rhel-8-golang-1.15-ci-build-root")
    assert root["spec"]["output"] == {
        "to": {"kind": "DockerImage",
               "name": "quay.io/openshift/ci:art-builder-4.7-rhel-8-release-golang-1.15-openshift-4.7"},
        "pushSecret": {"name": "registry-push-credentials-quay-qci-art-builder"}}
    assert "triggers" not in root["spec"]

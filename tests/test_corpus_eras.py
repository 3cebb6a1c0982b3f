"""Build data of every era (2020 to 2026) renders in the default mode, for both targets.

The expected entries per corpus directory come from reading its streams.yml (entries with a
transform, in file order) and images/*.yml (enabled files whose content.source.ci_alignment
has an upstream_image and a transform, sorted by file name; `mode: disabled` ones excluded).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import CORPUS, corpus_dirs, group_of, run_cli

EXPECTED: dict[str, list[str]] = {
    "openshift-4.10": [
        "rhel-7-ci-build-root", "golang", "rhel-8-golang-ci-build-root", "openshift-base-nodejs",
        "openshift-base-rhel8", "openshift-enterprise-base",
    ],
    "openshift-4.10_2022-02-24": [
        "rhel-7-ci-build-root", "golang", "rhel-8-golang-ci-build-root", "rhel-7-golang",
        "openshift-base-nodejs", "openshift-base-rhel8", "openshift-enterprise-base",
    ],
    "openshift-4.11": [
        "golang", "rhel-8-golang-ci-build-root", "rhel-7-golang", "openshift-base-nodejs",
        "openshift-base-rhel8", "openshift-base-rhel9", "openshift-enterprise-base",
    ],
    "openshift-4.11_2022-02-22": [
        "rhel-7-ci-build-root", "golang", "rhel-8-golang-ci-build-root", "rhel-7-golang",
        "openshift-base-nodejs", "openshift-base-rhel8", "openshift-enterprise-base",
    ],
    "openshift-4.12": [
        "golang", "rhel-9-golang", "rhel-8-golang-ci-build-root", "openshift-base-nodejs",
        "openshift-base-rhel8", "openshift-base-rhel9", "openshift-enterprise-base",
    ],
    "openshift-4.13": [
        "golang", "rhel-9-golang", "rhel-8-golang-ci-build-root", "rhel-9-golang-ci-build-root",
        "openshift-base-nodejs", "openshift-base-rhel8", "openshift-base-rhel9",
        "openshift-enterprise-base-rhel9", "openshift-enterprise-base",
    ],
    "openshift-4.14": [
        "golang", "golang-1.21", "rhel-9-golang", "rhel-9-golang-1.21", "rhel-9-golang-ci-build-root",
        "rhel-9-golang-ci-build-root-1.21", "rhel-8-golang-ci-build-root",
        "rhel-8-golang-ci-build-root-1.21", "golang-1.19", "openshift-base-nodejs", "openshift-base-rhel8",
        "openshift-base-rhel9", "openshift-enterprise-base-rhel9", "openshift-enterprise-base",
    ],
    "openshift-4.15": [
        "golang", "golang-1.21", "rhel-9-golang", "rhel-9-golang-1.21", "rhel-8-golang-ci-build-root",
        "rhel-8-golang-ci-build-root-1.21", "rhel-9-golang-ci-build-root",
        "rhel-9-golang-ci-build-root-1.21", "openshift-base-nodejs", "openshift-base-rhel8",
        "openshift-base-rhel9", "openshift-enterprise-base-rhel9", "openshift-enterprise-base",
        "ose-installer-terraform-providers",
    ],
    "openshift-4.16": [
        "golang", "rhel-9-golang", "rhel-9-golang-1.23", "rhel-8-golang-1.23",
        "rhel-8-golang-ci-build-root", "rhel-9-golang-ci-build-root", "rhel-8-golang-1.23-ci-build-root",
        "rhel-9-golang-1.23-ci-build-root", "openshift-base-nodejs.rhel9", "openshift-base-rhel9",
        "openshift-enterprise-base-rhel9",
    ],
    "openshift-4.17": [
        "rhel-9-golang", "rhel-8-golang", "rhel-9-golang-1.23", "rhel-8-golang-1.23",
        "rhel-8-golang-ci-build-root", "rhel-9-golang-ci-build-root", "rhel-8-golang-1.23-ci-build-root",
        "rhel-9-golang-1.23-ci-build-root", "openshift-base-nodejs.rhel9", "openshift-base-rhel9",
        "openshift-enterprise-base-rhel9",
    ],
    "openshift-4.18": [
        "rhel-9-golang", "rhel-8-golang", "rhel-9-golang-1.23", "rhel-8-golang-1.23",
        "rhel-8-golang-ci-build-root", "rhel-9-golang-ci-build-root", "rhel-8-golang-1.23-ci-build-root",
        "rhel-9-golang-1.23-ci-build-root", "openshift-base-nodejs.rhel9", "openshift-base-rhel9",
        "openshift-enterprise-base-rhel9",
    ],
    "openshift-4.19": ["openshift-base-nodejs.rhel9"],
    "openshift-4.20": ["openshift-base-nodejs.rhel9"],
    "openshift-4.21": ["openshift-base-nodejs.rhel9"],
    "openshift-4.22": ["openshift-base-nodejs.rhel9"],
    "openshift-4.23": ["openshift-base-nodejs.rhel9"],
    "openshift-4.5": [],
    "openshift-4.5_2020-11-30": [],
    "openshift-4.6": [
        "rhel-7-ci-build-root", "rhel-8-golang-1.14-ci-build-root", "rhel-8-golang-1.15-ci-build-root",
        "openshift-base-nodejs", "openshift-base-rhel8",
    ],
    "openshift-4.6_2020-11-30": [
        "rhel", "rhel-7", "golang-1.14", "golang", "rhel-8-golang-1.14-ci-build-root",
        "rhel-8-golang-1.15-ci-build-root", "rhel-7-golang",
    ],
    "openshift-4.7": [
        "rhel-7-ci-build-root", "rhel-8-golang-1.15-ci-build-root", "openshift-base-nodejs",
        "openshift-base-rhel8", "openshift-enterprise-base",
    ],
    "openshift-4.7_2020-11-30": [
        "rhel", "rhel-7", "golang-1.14", "golang", "rhel-8-golang-1.14-ci-build-root",
        "rhel-8-golang-1.15-ci-build-root", "rhel-7-golang",
    ],
    "openshift-4.8": [
        "rhel-7-ci-build-root", "rhel-8-golang-ci-build-root", "openshift-base-nodejs",
        "openshift-base-rhel8", "openshift-enterprise-base",
    ],
    "openshift-4.8_2022-02-23": [
        "rhel-7-ci-build-root", "golang", "rhel-8-golang-ci-build-root", "rhel-7-golang",
        "openshift-base-nodejs", "openshift-base-rhel8", "openshift-enterprise-base",
    ],
    "openshift-4.9": [
        "rhel-7-ci-build-root", "rhel-8-golang-ci-build-root", "openshift-base-nodejs",
        "openshift-base-rhel8", "openshift-enterprise-base",
    ],
    "openshift-4.9_2022-02-24": [
        "rhel-7-ci-build-root", "golang", "rhel-8-golang-ci-build-root", "rhel-7-golang",
        "openshift-base-nodejs", "openshift-base-rhel8", "openshift-enterprise-base",
    ],
    "openshift-5.0": ["openshift-base-nodejs.rhel9"],
}


def test_every_corpus_directory_is_listed() -> None:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not present")
    assert sorted(p.name for p in corpus_dirs()) == sorted(EXPECTED)


def _render(folder: str, tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    data = CORPUS / folder
    if not data.is_dir():
        pytest.skip("shared corpus not present")
    out = tmp_path / "out.yaml"
    result = run_cli("--data-path", str(data), "-g", group_of(data), "images:streams",
                     "gen-buildconfigs", *args, "-o", str(out))
    assert result.code == 0, result.stderr
    return [d for d in yaml.safe_load_all(out.read_text()) if d]


def _common(docs: list[dict[str, Any]], folder: str) -> list[dict[str, Any]]:
    buildconfigs = [d for d in docs if d["kind"] == "BuildConfig"]
    names = [bc["metadata"]["labels"]["art-builder-stream"] for bc in buildconfigs]
    assert names == EXPECTED[folder]
    for bc in buildconfigs:
        assert bc["apiVersion"] == "build.openshift.io/v1"
        dockerfile = bc["spec"]["source"]["dockerfile"]
        assert "{" + "MAJOR}" not in dockerfile and "OPENSHIFT_CI" in dockerfile
    return buildconfigs


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_renders_for_imagestreams(folder: str, tmp_path: Path) -> None:
    docs = _render(folder, tmp_path, "--push-to", "imagestream")
    buildconfigs = _common(docs, folder)
    for bc in buildconfigs:
        assert bc["metadata"]["name"] == bc["spec"]["output"]["to"]["name"].replace(":", "-") \
            + "--art-builder"
        assert bc["spec"]["triggers"] == [{"type": "ImageChange", "imageChange": {}}]
    assert [d["kind"] for d in docs].count("DaemonSet") == (1 if buildconfigs else 0)


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_renders_for_qci_by_default(folder: str, tmp_path: Path) -> None:
    docs = _render(folder, tmp_path)
    buildconfigs = _common(docs, folder)
    assert len(docs) == len(buildconfigs)  # no DaemonSet
    version = group_of(CORPUS / folder).removeprefix("openshift-")
    for bc in buildconfigs:
        metadata, spec = bc["metadata"], bc["spec"]
        notes = metadata["annotations"]
        tag = f"art-builder-{version}-{notes['art-builder-imagestream-tag']}"
        assert metadata["labels"]["art-builder-qci-tag"] == tag
        assert metadata["name"] == (f"{notes['art-builder-imagestream-name']}-"
                                    f"{notes['art-builder-imagestream-tag']}--art-builder")
        assert spec["output"] == {"to": {"kind": "DockerImage", "name": f"quay.io/openshift/ci:{tag}"},
                                  "pushSecret": {"name": "registry-push-credentials-quay-qci-art-builder"}}
        assert "triggers" not in spec


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_renders_in_doozer_2026_mode(folder: str, tmp_path: Path) -> None:
    """Every era renders in doozer-2026 mode too (its bytes: tests/test_doozer2026_compat.py);
    it selects the same entries (only the order of image metadata may differ)."""
    docs = _render(folder, tmp_path, "--compat", "doozer-2026")
    names = [d["metadata"]["labels"]["art-builder-stream"] for d in docs]
    assert sorted(names) == sorted(EXPECTED[folder])
    assert {d["kind"] for d in docs} <= {"BuildConfig"}

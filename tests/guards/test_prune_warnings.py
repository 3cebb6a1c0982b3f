"""--prune after a warning, against the real test cluster (issue 16): a stream whose
`transform:` is misspelt is an error (nothing applied, nothing pruned); a stream with a
plainly foreign key is a warning, and then the stream dropped meanwhile is not pruned unless
--prune-despite-warnings."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from cluster.testcluster import TestCluster
from helpers import EXAMPLE, Run, run_cli

GROUP = "openshift-4.7"
BC = "/apis/build.openshift.io/v1/namespaces/ci/buildconfigs"
RHEL7_BC = "builder-rhel-7-base-openshift-4.7--art-builder"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    copy = tmp_path / "build-data"
    shutil.copytree(EXAMPLE, copy)
    return copy


def gen(cluster: TestCluster, data: Path, *args: str) -> Run:
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
    assert gen(clean_cluster, data).code == 0
    before = buildconfigs(clean_cluster)
    assert RHEL7_BC in before
    edit_stream(data, "rhel-7", "  transform:", "  transfrom:")
    run = gen(clean_cluster, data, "--prune")
    assert run.code == 1
    assert "rhel-7.transfrom: unknown key (did you mean 'transform'?)" in run.stderr
    assert buildconfigs(clean_cluster) == before  # nothing applied, nothing pruned


def test_a_warning_holds_the_prune_back_until_overridden(clean_cluster: TestCluster,
                                                         data: Path) -> None:
    assert gen(clean_cluster, data).code == 0
    edit_stream(data, "rhel-7", "  transform: rhel-7/base-repos\n", "")
    edit_stream(data, "golang", "  mirror: true\n", "  mirror: true\n  owner: someone\n")
    held = gen(clean_cluster, data, "--prune")
    assert held.code == 0, held.stderr
    assert "warning: not pruning: the build data gave 1 warning(s)" in held.stderr
    assert " pruned" not in held.stderr
    assert RHEL7_BC in buildconfigs(clean_cluster)
    done = gen(clean_cluster, data, "--prune", "--prune-despite-warnings")
    assert done.code == 0, done.stderr
    assert f"buildconfig.build.openshift.io/{RHEL7_BC} pruned" in done.stderr
    assert RHEL7_BC not in buildconfigs(clean_cluster)

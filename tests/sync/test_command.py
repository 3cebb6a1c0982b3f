"""`cistreams sync` on the command line: usage errors (exit 2), the groups, and, with the
steps stood in for (unit tests of the verb), the table, --format json, --junit, --report
and the exit code against the real Lease on the test cluster."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest

from cistreams.commands.sync import read_groups
from cluster.testcluster import TestCluster
from helpers import CORPUS, run_cli
from sync.fixtures import delete_leases
from sync.stubs import STEP_NAMES, Stub, stubs

GROUPS = ("openshift-4.17", "openshift-4.18")


def test_no_group_is_a_usage_error() -> None:
    run = run_cli("sync", "--data-path", "/nonexistent")
    assert run.code == 2
    assert "error: no group: give -g/--group NAME (repeatable) or --groups-file FILE" in run.stderr


def test_no_build_data_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CISTREAMS_DATA_PATH", "DOOZER_DATA_PATH"):
        monkeypatch.delenv(name, raising=False)
    run = run_cli("sync", "-g", "openshift-4.17")
    assert run.code == 2 and "error: no build data" in run.stderr


def test_a_bad_group_name_is_a_usage_error() -> None:
    run = run_cli("sync", "--data-path", "/x", "-g", "../etc")
    assert run.code == 2 and "'../etc' is not a group name" in run.stderr


def test_a_groups_file_adds_groups_in_order_each_once(tmp_path: Path) -> None:
    listed = tmp_path / "groups"
    listed.write_text("# the versions ART syncs\nopenshift-4.18\n\nopenshift-4.17  # old\n")
    assert read_groups(("openshift-4.17", "openshift-4.19"), listed, None) == \
        ["openshift-4.17", "openshift-4.19", "openshift-4.18"]
    assert read_groups((), None, "openshift-4.16") == ["openshift-4.16"]


def test_a_bad_line_in_the_groups_file_names_its_line(tmp_path: Path) -> None:
    listed = tmp_path / "groups"
    listed.write_text("openshift-4.18\nopen shift\n")
    with pytest.raises(click.BadParameter) as caught:
        read_groups((), listed, None)
    assert f"{listed}:2: 'open shift' is not a group name" in str(caught.value)
    run = run_cli("sync", "--data-path", "/x", "--groups-file", str(listed))
    assert run.code == 2 and f"{listed}:2:" in run.stderr


def test_bad_option_values_are_usage_errors() -> None:
    for args in (["--max-groups", "0"], ["--ci-registry", "a/b"], ["--build-timeout", "soon"],
                 ["--format", "xml"]):
        run = run_cli("sync", "--data-path", "/x", "-g", "g", *args)
        assert run.code == 2, (args, run.stderr)
        assert "Traceback" not in run.stderr


# -- the verb with the steps stood in for --------------------------------------------------------

@pytest.fixture
def data(tmp_path: Path) -> Path:
    if not (CORPUS / GROUPS[0]).is_dir():
        pytest.skip("the corpus is absent")
    for group in GROUPS:
        shutil.copytree(CORPUS / group, tmp_path / "data" / group)
    return tmp_path / "data"


@pytest.fixture
def cluster(sync_cluster: TestCluster) -> TestCluster:
    delete_leases(sync_cluster)
    return sync_cluster


def stand_in(monkeypatch: pytest.MonkeyPatch, steps: list[Stub]) -> None:
    monkeypatch.setattr("cistreams.job.adapters.default_steps", lambda: steps)


def sync_args(cluster: TestCluster, data: Path, *more: str) -> list[str]:
    return ["sync", "-g", GROUPS[0], "-g", GROUPS[1], "--data-path", str(data / "{group}"),
            "--kubeconfig", str(cluster.kubeconfig("admin")), *more]


def test_a_run_prints_the_table_and_writes_both_reports(
        cluster: TestCluster, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in(monkeypatch, [Stub(n, fail_groups=(GROUPS[1],) if n == "start-builds" else ())
                           for n in STEP_NAMES])
    junit, report = tmp_path / "out" / "junit.xml", tmp_path / "out" / "report.json"
    junit.parent.mkdir()
    run = run_cli(*sync_args(cluster, data, "--junit", str(junit), "--report", str(report)))
    assert run.code == 1, run.stderr
    table = run.stdout.splitlines()
    assert table[0].split() == ["GROUP", "RESULT", "GEN-BUILDCONFIGS", "MIRROR", "START-BUILDS",
                                "CHECK-UPSTREAM", "TIME"]
    assert table[1].split()[:6] == [GROUPS[0], "synced", "ok", "ok", "ok", "ok"]
    assert table[2].split()[:6] == [GROUPS[1], "failed", "ok", "ok", "FAILED", "-"]
    assert table[-1] == "2 groups: 1 synced, 1 failed"
    assert f"{GROUPS[1]}: start-builds: error: start-builds: it went wrong" in run.stderr
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == list(GROUPS)
    assert suites[1].findall("testcase")[2].find("failure") is not None
    document = json.loads(report.read_text())
    assert [g["status"] for g in document["groups"]] == ["synced", "failed"]
    # the failed group is tried again, the synced one is unchanged; exit 0 once none fails
    stand_in(monkeypatch, stubs())
    again = run_cli(*sync_args(cluster, data, "--format", "json"))
    assert again.code == 0, again.stderr
    statuses = [g["status"] for g in json.loads(again.stdout)["groups"]]
    assert statuses == ["unchanged", "synced"]


def test_dry_run_takes_no_lease_and_records_nothing(
        cluster: TestCluster, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    steps = stubs()
    stand_in(monkeypatch, steps)
    run = run_cli(*sync_args(cluster, data, "--dry-run", "--format", "json"))
    assert run.code == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["dry_run"] is True
    assert [g["status"] for g in document["groups"]] == ["dry-run", "dry-run"]
    assert sorted(steps[0].calls) == sorted(GROUPS)
    status, body = cluster.api("GET", "/apis/coordination.k8s.io/v1/namespaces/ci/leases")
    assert status == 200 and body["items"] == []
    real = run_cli(*sync_args(cluster, data, "--format", "json"))
    assert [g["status"] for g in json.loads(real.stdout)["groups"]] == ["synced", "synced"]


def test_a_user_who_may_not_read_leases_fails_each_group_with_one_line(
        cluster: TestCluster, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in(monkeypatch, stubs())
    args = sync_args(cluster, data)
    args[args.index("--kubeconfig") + 1] = str(cluster.kubeconfig("nobody"))
    run = run_cli(*args)
    assert run.code == 1
    assert f"{GROUPS[0]}: cannot read the Lease ci/cistreams-sync-{GROUPS[0]}: HTTP 403" \
        in run.stdout.replace(cluster.server + ": ", "")
    assert cluster.token("nobody") not in run.stdout + run.stderr

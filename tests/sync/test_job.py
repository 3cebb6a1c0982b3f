"""The whole job against the real parts (world.py): the test cluster, the build service in
front of it, three real registries, skopeo, and two corpus groups with their hosts rewritten.
Nothing is stood in for: every step is the verb's own code."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from cluster import build_crd, imagestream_crd
from helpers import run_cli
from sync.world import GROUPS, World

STEPS = ["gen-buildconfigs", "mirror", "start-builds", "check-upstream"]


def document(text: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def statuses(report: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    return [(g["group"], g["status"], [s["status"] for s in g["steps"]]) for g in report["groups"]]


def builds(world: World) -> list[str]:
    status, body = world.cluster.api("GET", build_crd.path())
    assert status == 200, body
    return sorted(item["metadata"]["name"] for item in body["items"])


def test_the_whole_job_then_nothing_then_one_changed_group(world: World) -> None:
    world.copy()
    junit = world.root / "junit.xml"
    run = run_cli(*world.args("--format", "json", "--junit", str(junit)))
    report = document(run.stdout)
    assert run.code == 0, [g["message"] for g in report["groups"]]
    assert statuses(report) == [(g, "synced", ["ok"] * 4) for g in GROUPS]
    for group in report["groups"]:
        steps = {s["name"]: s for s in group["steps"]}
        assert steps["gen-buildconfigs"]["counts"]["created"] == 11
        assert steps["mirror"]["counts"]["copied"] > 0
        assert steps["mirror"]["counts"]["error"] == 0
        assert steps["start-builds"]["counts"]["complete"] == 11
        assert steps["check-upstream"]["counts"]["error"] == 0
    started = builds(world)
    assert len(started) == 22 and all(name.endswith("-1") for name in started)
    # every BuildConfig's image was promoted: its imagestream tag names the proxy by digest
    status, stream = world.cluster.api("GET", imagestream_crd.path("ocp", "builder"))
    assert status == 200
    tags = {t["name"]: t for t in stream["spec"]["tags"]}
    assert tags["rhel-9-golang-1.22-openshift-4.17"]["from"]["name"].startswith(
        "quay-proxy.test/openshift/ci@sha256:")
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert [(s.get("name"), s.get("failures")) for s in suites] == [(g, "0") for g in GROUPS]
    assert [c.get("name") for c in suites[0].findall("testcase")] == STEPS

    again = run_cli(*world.args())
    assert again.code == 0, again.stderr
    lines = again.stdout.splitlines()
    assert [line.split()[1] for line in lines[1:3]] == ["unchanged", "unchanged"]
    assert builds(world) == started  # nothing was built again
    assert lines[-1] == "2 groups: 2 unchanged"

    streams = world.data / GROUPS[1] / "streams.yml"
    streams.write_text(streams.read_text() + "\n# a new commit\n")
    third = document(run_cli(*world.args("--format", "json")).stdout)
    assert statuses(third) == [(GROUPS[0], "unchanged", ["not-run"] * 4),
                               (GROUPS[1], "synced", ["ok"] * 4)]
    rebuilt = sorted(set(builds(world)) - set(started))
    assert len(rebuilt) == 11 and all("4.18" in name and name.endswith("-2") for name in rebuilt)

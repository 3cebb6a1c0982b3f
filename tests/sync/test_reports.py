"""The sync's reports from results made by hand: the table, the JSON report, the JUnit file
(its structure checked with xml.etree as Jenkins' JUnit plugin reads it) and the exit code."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from cistreams.job import reports
from cistreams.job.runner import GROUP_FAILED, HELD, SYNCED, UNCHANGED, GroupResult
from cistreams.job.steps import FAILED, NOT_RUN, OK, SKIPPED, StepResult
from sync.stubs import STEP_NAMES


def synced() -> GroupResult:
    steps = [StepResult(name, OK, 1.5, f"{name} done", {"done": 2}, [], [f"{name} line"])
             for name in STEP_NAMES]
    steps[1] = StepResult("mirror", SKIPPED, 0.25, "nothing to mirror")
    return GroupResult("openshift-4.17", SYNCED, "synced 0123456789ab", "0123456789abcdef" * 2 +
                       "01234567", steps, 4.75, 3, "2026-12-01T10:00:00.123456Z")


def failed() -> GroupResult:
    steps = [StepResult("gen-buildconfigs", OK, 0.5, "applied"),
             StepResult("mirror", FAILED, 2.0, "mirror: 1 error", {"errors": 2},
                        ["rhel9: cannot copy a -> b", "rhel8: auth <refused> & \"quoted\""],
                        ["error: rhel9: cannot copy a -> b"]),
             StepResult("start-builds", NOT_RUN, summary="mirror failed"),
             StepResult("check-upstream", NOT_RUN, summary="mirror failed")]
    return GroupResult("openshift-4.18", GROUP_FAILED, "mirror failed: rhel9: cannot copy a -> b",
                       "sha256:" + "a" * 64, steps, 2.5, 3, "2026-12-01T10:00:01.000000Z")


def unchanged() -> GroupResult:
    steps = [StepResult(n, NOT_RUN, summary="unchanged since 0123456789ab") for n in STEP_NAMES]
    return GroupResult("openshift-4.19", UNCHANGED, "unchanged since 0123456789ab", "0" * 40,
                       steps, 0.01, 1)


def test_the_exit_code_is_1_only_when_a_group_failed() -> None:
    assert reports.exit_code([synced(), unchanged()]) == 0
    held = GroupResult("g", HELD, "held by x since t")
    assert reports.exit_code([held]) == 0  # another run is syncing it
    assert reports.exit_code([synced(), failed()]) == 1


def test_the_table_has_a_row_per_group_and_says_what_happened() -> None:
    lines = reports.table([synced(), failed(), unchanged()])
    assert lines == [
        "GROUP           RESULT     GEN-BUILDCONFIGS  MIRROR   START-BUILDS  CHECK-UPSTREAM  TIME",
        "openshift-4.17  synced     ok                skipped  ok            ok              4.8s",
        "openshift-4.18  failed     ok                FAILED   -             -               2.5s",
        "openshift-4.19  unchanged  -                 -        -             -               0.0s",
        "",
        "openshift-4.17: synced 0123456789ab",
        "openshift-4.18: mirror failed: rhel9: cannot copy a -> b",
        "openshift-4.19: unchanged since 0123456789ab",
        "3 groups: 1 synced, 1 unchanged, 1 failed",
    ]


def test_the_json_report_has_every_group_and_step() -> None:
    document = json.loads(reports.as_json([synced(), failed()], dry_run=False))
    assert document["ok"] is False and document["dry_run"] is False
    assert document["summary"] == {"synced": 1, "unchanged": 0, "skipped": 0, "failed": 1,
                                   "dry-run": 0}
    first, second = document["groups"]
    assert (first["group"], first["status"], first["lease_requests"]) == ("openshift-4.17",
                                                                          "synced", 3)
    assert [s["name"] for s in first["steps"]] == list(STEP_NAMES)
    assert first["steps"][0] == {"name": "gen-buildconfigs", "status": "ok",
                                 "duration_seconds": 1.5, "summary": "gen-buildconfigs done",
                                 "counts": {"done": 2}, "errors": []}
    assert second["steps"][1]["errors"] == ["rhel9: cannot copy a -> b",
                                            "rhel8: auth <refused> & \"quoted\""]
    assert reports.as_json([synced()], False) == reports.as_json([synced()], False)


def test_the_junit_file_has_a_suite_per_group_and_a_case_per_step() -> None:
    text = reports.junit([synced(), failed(), unchanged()])
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == \
        {"tests": "12", "failures": "1", "errors": "0", "skipped": "7"}
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["openshift-4.17", "openshift-4.18", "openshift-4.19"]
    for suite in suites:
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == list(STEP_NAMES)
        assert int(suite.get("tests", "")) == len(cases)
        assert int(suite.get("failures", "")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("skipped", "")) == sum(c.find("skipped") is not None for c in cases)
        for case in cases:
            assert case.get("classname") == "cistreams-sync." + suite.get("name", "").replace(".", "_")
            float(case.get("time", ""))
    ok_suite, failed_suite, unchanged_suite = suites
    assert ok_suite.get("timestamp") == "2026-12-01T10:00:00"
    assert ok_suite.get("time") == "4.750"
    first = ok_suite.findall("testcase")[0]
    assert first.findtext("system-out") == "gen-buildconfigs line"
    assert ok_suite.findall("testcase")[1].find("skipped").get("message") == "nothing to mirror"  # type: ignore[union-attr]
    mirror = failed_suite.findall("testcase")[1]
    failure = mirror.find("failure")
    assert failure is not None
    assert failure.get("message") == "rhel9: cannot copy a -> b"
    assert failure.text == "rhel9: cannot copy a -> b\nrhel8: auth <refused> & \"quoted\""
    later = failed_suite.findall("testcase")[2].find("skipped")
    assert later is not None and later.get("message") == "mirror failed"
    properties = {p.get("name"): p.get("value") for p in failed_suite.iter("property")}
    assert properties == {"result": "failed", "revision": "sha256:" + "a" * 64,
                          "message": "mirror failed: rhel9: cannot copy a -> b"}
    assert all(c.find("skipped") is not None for c in unchanged_suite.findall("testcase"))


def test_a_group_failed_outside_its_steps_has_a_failing_case_of_its_own() -> None:
    steps = [StepResult(n, NOT_RUN, summary="the group's run ended before it") for n in STEP_NAMES]
    broken = GroupResult("g", GROUP_FAILED, "cannot read the Lease ci/x: HTTP 403: forbidden",
                         None, steps)
    suite = ET.fromstring(reports.junit([broken])).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("5", "1")
    sync_case = suite.findall("testcase")[-1]
    assert sync_case.get("name") == "sync"
    assert sync_case.find("failure").get("message") == broken.message  # type: ignore[union-attr]

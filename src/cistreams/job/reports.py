"""What a sync tells people and CI systems: a summary table, a JSON report, a JUnit file.

The JUnit file follows the format Jenkins' JUnit plugin reads: one `<testsuite>` per group
(its name the group), one `<testcase>` per step (classname `cistreams-sync.<group>` with the
group's dots turned into `_`, since Jenkins splits a classname at its last dot), a failed
step as `<failure>` with the step's error lines, a step that did not run as `<skipped>`
with the reason, and each step's lines in `<system-out>`.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cistreams.job.runner import DRY_RUN, GROUP_FAILED, HELD, SYNCED, UNCHANGED, GroupResult
from cistreams.job.steps import FAILED, NOT_RUN, OK, SKIPPED
from cistreams.output import files as output_files

RESULTS = (SYNCED, UNCHANGED, HELD, GROUP_FAILED, DRY_RUN)
_CELL = {OK: "ok", FAILED: "FAILED", SKIPPED: "skipped", NOT_RUN: "-"}


def exit_code(results: Sequence[GroupResult]) -> int:
    """0 when no group failed (synced, unchanged, held by another run, dry run), else 1."""
    return 1 if any(r.status == GROUP_FAILED for r in results) else 0


def counts(results: Sequence[GroupResult]) -> dict[str, int]:
    """How many groups ended each way."""
    return {status: sum(r.status == status for r in results) for status in RESULTS}


def summary_line(results: Sequence[GroupResult]) -> str:
    """`2 groups: 1 synced, 1 unchanged` (only the outcomes that occurred)."""
    noun = "group" if len(results) == 1 else "groups"
    parts = ", ".join(f"{n} {status}" for status, n in counts(results).items() if n)
    return f"{len(results)} {noun}: {parts or 'nothing to do'}"


def table(results: Sequence[GroupResult]) -> list[str]:
    """The summary table: a row per group with each step's status and the time, then a
    line per group saying what happened, then the summary line."""
    names = [s.name for s in results[0].steps] if results else []
    header = ["GROUP", "RESULT", *(n.upper() for n in names), "TIME"]
    rows = [[r.group, r.status, *(_CELL.get(s.status, s.status) for s in r.steps),
             f"{r.duration:.1f}s"] for r in results]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip()
             for row in [header, *rows]]
    lines.append("")
    lines.extend(f"{r.group}: {r.message}" for r in results)
    lines.append(summary_line(results))
    return lines


def document(results: Sequence[GroupResult], dry_run: bool) -> dict[str, Any]:
    """The JSON report: per group, per step, status, duration, counts, errors."""
    return {"ok": exit_code(results) == 0, "dry_run": dry_run, "summary": counts(results),
            "text": summary_line(results), "groups": [r.as_dict() for r in results]}


def as_json(results: Sequence[GroupResult], dry_run: bool) -> str:
    """The JSON report as text (sorted keys: the same run prints the same bytes)."""
    return json.dumps(document(results, dry_run), indent=2, sort_keys=True) + "\n"


def junit(results: Sequence[GroupResult]) -> str:
    """The JUnit XML document (see the module doc)."""
    root = ET.Element("testsuites", name="cistreams sync")
    total = {"tests": 0, "failures": 0, "skipped": 0}
    for result in results:
        suite = _suite(result)
        root.append(suite)
        for key in total:
            total[key] += int(suite.get(key, "0"))
    root.set("tests", str(total["tests"]))
    root.set("failures", str(total["failures"]))
    root.set("errors", "0")
    root.set("skipped", str(total["skipped"]))
    root.set("time", _seconds(sum(r.duration for r in results)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") \
        + "\n"


def _suite(result: GroupResult) -> ET.Element:
    failures = sum(s.status == FAILED for s in result.steps)
    skipped = sum(s.status in (SKIPPED, NOT_RUN) for s in result.steps)
    suite = ET.Element("testsuite", name=result.group, tests=str(len(result.steps)),
                       failures=str(failures), errors="0", skipped=str(skipped),
                       time=_seconds(result.duration))
    if result.started_at:
        suite.set("timestamp", result.started_at.split(".")[0])
    properties = ET.SubElement(suite, "properties")
    for name, value in (("result", result.status), ("revision", result.revision or ""),
                        ("message", result.message)):
        ET.SubElement(properties, "property", name=name, value=value)
    classname = f"cistreams-sync.{result.group.replace('.', '_')}"
    for step in result.steps:
        case = ET.SubElement(suite, "testcase", classname=classname, name=step.name,
                             time=_seconds(step.duration))
        if step.status == FAILED:
            failure = ET.SubElement(case, "failure", type="failed",
                                    message=step.errors[0] if step.errors else "failed")
            failure.text = "\n".join(step.errors)
        elif step.status in (SKIPPED, NOT_RUN):
            ET.SubElement(case, "skipped", message=step.summary or step.status)
        if step.lines:
            ET.SubElement(case, "system-out").text = "\n".join(step.lines)
    if result.status == GROUP_FAILED and not failures:
        # the group failed outside its steps (the cluster, the Lease): a failure of its own
        case = ET.SubElement(suite, "testcase", classname=classname, name="sync", time="0")
        ET.SubElement(case, "failure", type="failed", message=result.message).text = \
            result.message
        suite.set("tests", str(len(result.steps) + 1))
        suite.set("failures", "1")
    return suite


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def write(path: Path, text: str) -> None:
    """Write a report file atomically (a reader never sees half a file)."""
    output_files.write_atomic(str(path), text)

"""Every problem of a run is reported together, and misspellings are loud (issue 16).

`check` lists every error of the build data at once: an unknown placeholder in group.yml does
not hide the mistakes of streams.yml.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers import run_cli

BASE = Path(__file__).resolve().parents[1] / "bad_inputs" / "_base"
GROUP = "openshift-4.17"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of the bad-input base build data (valid: one BuildConfig)."""
    copy = tmp_path / "data"
    shutil.copytree(BASE, copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_a_placeholder_in_group_yml_does_not_hide_the_streams_errors(data: Path) -> None:
    edit(data / "group.yml", "rhel8/x86_64", "rhel{RHEL_MAJOR}/x86_64")
    edit(data / "streams.yml", "transform: rhel-8/golang", "transform: rhel-8/golnag")
    result = run_cli("check", "--data-path", str(data), "-g", GROUP, "--format", "json")
    assert result.code == 1
    errors = json.loads(result.stdout)["errors"]
    assert [(e["file"], e["line"], e["key"]) for e in errors] == [
        ("group.yml", 10, "repos.rhel-8-baseos-rpms.conf.baseurl.x86_64"),
        ("streams.yml", 4, "golang.transform")]


def test_a_placeholder_in_the_name_is_not_also_a_name_mismatch(data: Path) -> None:
    edit(data / "group.yml", "name: openshift-{MAJOR}.{MINOR}", "name: openshift-{MAJOR}.{MINR}")
    edit(data / "streams.yml", "transform: rhel-8/golang", "transform: rhel-8/golnag")
    result = run_cli("check", "--data-path", str(data), "-g", GROUP)
    assert result.code == 1
    assert result.stdout == f"{GROUP}: 2 error(s), 0 BuildConfig(s), 0 warning(s)\n"
    assert "does not match --group" not in result.stderr
    assert result.stderr.startswith("error: group.yml:1: name: unknown placeholder {MINR}")


def test_a_wrong_group_still_reports_what_was_found_before(data: Path) -> None:
    edit(data / "group.yml", "rhel8/x86_64", "rhel{RHEL_MAJOR}/x86_64")
    result = run_cli("check", "--data-path", str(data), "-g", "openshift-4.16")
    assert result.code == 1
    assert result.stdout == "openshift-4.16: 2 error(s), 0 BuildConfig(s), 0 warning(s)\n"
    assert [line.split(": ")[1] for line in result.stderr.splitlines()] == ["group.yml:1",
                                                                            "group.yml:10"]

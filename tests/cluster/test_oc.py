"""--apply through `oc apply` (with --oc, or in doozer-2020 mode), with a fake `oc` on PATH
that records its arguments."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from helpers import EXAMPLE, run_cli

FAKE_OC = """#!/usr/bin/env python3
import json, os, sys
log = os.environ["FAKE_OC_LOG"]
with open(log, "a") as handle:
    stdin = sys.stdin.read() if "-" in sys.argv else None
    handle.write(json.dumps({"argv": sys.argv[1:], "stdin": stdin}) + "\\n")
fails = int(os.environ.get("FAKE_OC_FAILS", "0"))
calls = sum(1 for _ in open(log))
if calls <= fails:
    sys.stderr.write("error: the server is currently unable to handle the request\\n")
    sys.exit(1)
print("buildconfig.build.openshift.io/x configured")
"""


@pytest.fixture
def fake_oc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    oc = bin_dir / "oc"
    oc.write_text(FAKE_OC)
    oc.chmod(oc.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "oc.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_OC_LOG", str(log))
    monkeypatch.setattr("cistreams.cluster.oc.RETRY_DELAY_SECONDS", 0.0)
    return log


def calls(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def gen(*extra: str) -> tuple[int, str]:
    """gen-buildconfigs with `--oc oc` (the fake on PATH) unless another --oc is given."""
    oc = () if "--oc" in extra else ("--oc", "oc")
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                     *oc, *extra)
    return result.code, result.stderr


def test_apply_runs_oc_with_an_argument_list(fake_oc: Path, tmp_path: Path) -> None:
    out = tmp_path / "my file; rm -rf ~.yaml"
    code, stderr = gen("-o", str(out), "--apply", "--as", "system:admin")
    assert code == 0, stderr
    assert calls(fake_oc) == [{"argv": ["apply", "-f", str(out), "--as", "system:admin"],
                               "stdin": None}]
    assert "Applying buildconfigs..." in stderr and "configured" in stderr


def test_as_is_ignored_without_apply(fake_oc: Path, tmp_path: Path) -> None:
    assert gen("-o", str(tmp_path / "o.yaml"), "--as", "someone")[0] == 0
    assert calls(fake_oc) == []


def test_nothing_to_apply_says_so(fake_oc: Path, tmp_path: Path) -> None:
    code, stderr = gen("-o", str(tmp_path / "o.yaml"), "--stream", "etcd_golang", "--apply")
    assert code == 0
    assert "No buildconfigs were generated; skipping apply." in stderr
    assert calls(fake_oc) == []


def test_retries_then_succeeds(fake_oc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_OC_FAILS", "2")
    assert gen("-o", str(tmp_path / "o.yaml"), "--apply")[0] == 0
    assert len(calls(fake_oc)) == 3


def test_gives_up_after_three_tries_with_ocs_error(fake_oc: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_OC_FAILS", "9")
    code, stderr = gen("-o", str(tmp_path / "o.yaml"), "--apply")
    assert code == 1
    assert "oc apply -f failed after 3 tries: error: the server is currently unable" in stderr
    assert len(calls(fake_oc)) == 3


def test_stdout_output_is_applied_from_stdin(fake_oc: Path) -> None:
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                     "-o", "-", "--apply", "--oc", "oc")
    assert result.code == 0
    [call] = calls(fake_oc)
    assert call["argv"] == ["apply", "-f", "-"]
    assert call["stdin"] == result.stdout


def test_oc_binary_can_be_chosen(fake_oc: Path, tmp_path: Path) -> None:
    kubectl = fake_oc.parent / "bin" / "kubectl"
    kubectl.write_text((fake_oc.parent / "bin" / "oc").read_text())
    kubectl.chmod(0o755)
    assert gen("-o", str(tmp_path / "o.yaml"), "--apply", "--oc", str(kubectl))[0] == 0
    assert len(calls(fake_oc)) == 1


def test_missing_oc_is_a_clear_error(tmp_path: Path) -> None:
    code, stderr = gen("-o", str(tmp_path / "o.yaml"), "--apply", "--oc", str(tmp_path / "nope"))
    assert code == 1
    assert "was not found" in stderr


def test_errors_mean_nothing_is_applied(fake_oc: Path, tmp_path: Path) -> None:
    assert gen("-o", str(tmp_path / "o.yaml"), "--apply", "--stream", "missing")[0] == 1
    assert calls(fake_oc) == []


def test_doozer_mode_applies_with_oc_without_being_told(fake_oc: Path, tmp_path: Path) -> None:
    code, stderr = gen("-o", str(tmp_path / "o.yaml"), "--apply", "--compat", "doozer-2020",
                       "--oc", "oc")
    assert code == 0, stderr
    bare = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                   "-o", str(tmp_path / "p.yaml"), "--apply", "--compat", "doozer-2020")
    assert bare.code == 0, bare.stderr
    assert [c["argv"] for c in calls(fake_oc)] == [["apply", "-f", str(tmp_path / "o.yaml")],
                                                  ["apply", "-f", str(tmp_path / "p.yaml")]]


def test_the_env_variable_chooses_the_oc_path(fake_oc: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CISTREAMS_OC", "oc")
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                     "-o", str(tmp_path / "o.yaml"), "--apply")
    assert result.code == 0, result.stderr
    assert len(calls(fake_oc)) == 1


def test_without_oc_apply_is_server_side_and_needs_a_kubeconfig(
        fake_oc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CISTREAMS_OC", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                     "-o", str(tmp_path / "o.yaml"), "--apply")
    assert result.code == 1
    assert f"kubeconfig {tmp_path / 'missing'}: no such file" in result.stderr
    assert calls(fake_oc) == []
    assert not (tmp_path / "o.yaml").exists()  # the cluster is checked before the file is written


def test_kubeconfig_and_context_reach_oc(fake_oc: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.yaml"
    code, stderr = gen("-o", str(out), "--apply", "--kubeconfig", "/k config", "--context", "c1")
    assert code == 0, stderr
    assert calls(fake_oc)[0]["argv"] == ["apply", "-f", str(out), "--kubeconfig", "/k config",
                                         "--context", "c1"]

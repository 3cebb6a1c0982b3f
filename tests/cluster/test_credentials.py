"""Credentials from a kubeconfig's exec plugin, against the real test cluster: a plugin that
works is used, and one that fails, is missing or prints nonsense is one clear line naming the
kubeconfig and context (exit 1, nothing applied, no output file), never an internal error."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cluster.conftest import apply_via, live, report_lines
from cluster.testcluster import TestCluster

PLUGIN = """#!{python}
import json, os, sys
mode = os.environ["PLUGIN_MODE"]
if mode == "fail":
    sys.stderr.write("error: you must log in first\\n(run login)\\n")
    sys.exit(4)
if mode == "nonsense":
    print("hello")
    sys.exit(0)
print(json.dumps({{"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                  "status": {{"token": os.environ["PLUGIN_TOKEN"]}}}}))
"""


def exec_kubeconfig(cluster: TestCluster, folder: Path, mode: str, command: str = "",
                    token: str | None = None) -> Path:
    """A kubeconfig for the test cluster whose user's token comes from an exec plugin."""
    plugin = folder / "plugin"
    plugin.write_text(PLUGIN.format(python=sys.executable))
    plugin.chmod(0o755)
    base = json.loads(cluster.kubeconfig("admin").read_text())
    env = [{"name": "PLUGIN_MODE", "value": mode},
           {"name": "PLUGIN_TOKEN", "value": token or cluster.token("admin")}]
    base["users"] = [{"name": "plugged", "user": {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1", "command": command or str(plugin),
        "env": env}}}]
    base["contexts"] = [{"name": "via-plugin",
                         "context": {"cluster": "test-cluster", "user": "plugged"}}]
    base["current-context"] = "via-plugin"
    path = folder / "kubeconfig"
    path.write_text(json.dumps(base))
    return path


def test_a_working_plugin_gives_the_token(clean_cluster: TestCluster, data: Path,
                                          tmp_path: Path) -> None:
    run = apply_via(exec_kubeconfig(clean_cluster, tmp_path, "ok"), data)
    assert run.code == 0, run.stderr
    assert len(report_lines(run)) == 7 and len(live(clean_cluster)) == 7
    assert clean_cluster.token("admin") not in run.stdout + run.stderr


@pytest.mark.parametrize(("mode", "command", "message"), [
    ("fail", "", "cannot get credentials (Exec {plugin} returned 4: error: you must log in first "
                 "(run login))"),
    ("nonsense", "", "the credential plugin printed no ExecCredential with a status.token"),
    ("ok", "/nowhere/kubelogin", "the credential plugin '/nowhere/kubelogin' was not found"),
    ("ok", "{folder}/text", "the credential plugin '{folder}/text' is not executable"),
    ("ok", "{folder}/script", "the credential plugin could not be run ([Errno 8] Exec format "
                              "error: '{folder}/script')"),
])
def test_a_plugin_that_gives_no_token_is_one_line_naming_file_and_context(
        clean_cluster: TestCluster, data: Path, tmp_path: Path, mode: str, command: str,
        message: str) -> None:
    for name, mode_bits in (("text", 0o644), ("script", 0o755)):  # neither is a program
        (tmp_path / name).write_text("just text\n")
        (tmp_path / name).chmod(mode_bits)
    kubeconfig = exec_kubeconfig(clean_cluster, tmp_path, mode, command.format(folder=tmp_path))
    run = apply_via(kubeconfig, data)
    assert run.code == 1, run.stderr
    expected = message.format(plugin=tmp_path / "plugin", folder=tmp_path)
    assert run.stderr.splitlines() == [
        f"error: kubeconfig {kubeconfig}, context via-plugin: {expected}"]
    assert live(clean_cluster) == {}
    assert not (data.parent / "out.yaml").exists()


def test_a_token_the_server_rejects_is_one_line_naming_file_and_context(
        clean_cluster: TestCluster, data: Path, tmp_path: Path) -> None:
    kubeconfig = exec_kubeconfig(clean_cluster, tmp_path, "ok", token="expired")
    run = apply_via(kubeconfig, data)
    assert run.code == 1
    assert run.stderr.splitlines() == [
        f"error: {clean_cluster.server}: the credentials of kubeconfig {kubeconfig}, context "
        "via-plugin were rejected (HTTP 401: Unauthorized); log in again or renew the token; "
        "nothing was applied (7 objects)"]
    assert live(clean_cluster) == {}

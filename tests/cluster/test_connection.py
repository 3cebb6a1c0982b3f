"""Finding the kubeconfig as kubectl does, and one clear line for each way it can be wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from cistreams.cluster.connection import connect, kubeconfig_path
from cistreams.errors import CistreamsError
from cistreams.options import ConnectionOptions
from helpers import EXAMPLE, run_cli


def test_the_option_wins_over_the_environment(tmp_path: Path) -> None:
    assert kubeconfig_path("/a/b", {"KUBECONFIG": "/c"}, tmp_path) == Path("/a/b")


def test_kubeconfig_env_first_entry(tmp_path: Path) -> None:
    assert kubeconfig_path(None, {"KUBECONFIG": ":/c:/d"}, tmp_path) == Path("/c")


def test_home_config_when_present(tmp_path: Path) -> None:
    assert kubeconfig_path(None, {}, tmp_path) is None  # then the pod's service account
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text("{}")
    assert kubeconfig_path(None, {}, tmp_path) == tmp_path / ".kube" / "config"


def test_a_missing_kubeconfig_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CistreamsError, match=r"kubeconfig .*nope: no such file"):
        connect(ConnectionOptions(str(tmp_path / "nope")))


def test_an_unknown_context_lists_the_known_ones(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("""apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: sekrit-token}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
""")
    with pytest.raises(CistreamsError) as raised:
        connect(ConnectionOptions(str(config), context="other"))
    assert "--context other: no such context" in str(raised.value)
    assert "(contexts: ctx)" in str(raised.value)
    assert "sekrit" not in str(raised.value)


def test_a_broken_kubeconfig_is_one_line_without_secrets(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("clusters: 5\ntoken: sekrit-token\n")
    with pytest.raises(CistreamsError) as raised:
        connect(ConnectionOptions(str(config)))
    assert "cannot be read" in str(raised.value)
    assert "sekrit" not in str(raised.value) and "\n" not in str(raised.value)


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: sekrit-token}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}, {name: lost, context: {cluster: gone, user: u}},
           {name: nobody, context: {cluster: c, user: ghost}}, {name: anon, context: {cluster: c}}]
current-context: ctx
"""


def problem(tmp_path: Path, text: str, context: str | None = None) -> str:
    """The one-line error connecting with a kubeconfig holding `text` gives."""
    config = tmp_path / "config"
    config.write_text(text)
    with pytest.raises(CistreamsError) as raised:
        connect(ConnectionOptions(str(config), context=context))
    message = str(raised.value)
    assert "\n" not in message and "sekrit" not in message, message
    return message.replace(str(config), "CONFIG")


@pytest.mark.parametrize(("text", "context", "message"), [
    ("clusters: [\n  {name: c}\nusers: [{user: {token: sekrit-token}}]\n", None,
     "kubeconfig CONFIG:3: not valid YAML (expected ',' or ']', but got '<scalar>')"),
    ("- clusters\n- contexts\n", None,
     "kubeconfig CONFIG: not a kubeconfig (a mapping with clusters, contexts and users)"),
    ("clusters: []\nusers: [{name: u, user: {token: sekrit-token}}]\n", None,
     "kubeconfig CONFIG: cannot be read ('contexts' is missing)"),
    (KUBECONFIG, "lost", "kubeconfig CONFIG, context lost: no cluster named 'gone' in the file"),
    (KUBECONFIG, "nobody", "kubeconfig CONFIG, context nobody: no user named 'ghost' in the file"),
    (KUBECONFIG, "anon", "kubeconfig CONFIG, context anon: names no user"),
    (KUBECONFIG.replace("current-context: ctx", "current-context: old"), None,
     "kubeconfig CONFIG: current-context old: no such context (contexts: anon, ctx, lost, nobody)"),
    (KUBECONFIG.replace("current-context: ctx", ""), None,
     "kubeconfig CONFIG: no current-context; give --context NAME (contexts: anon, ctx, lost, nobody)"),
    (KUBECONFIG.replace("{token: sekrit-token}", "{client-certificate: nope.crt, client-key: k}"),
     None, "kubeconfig CONFIG, context ctx: cannot set up the connection ([Errno 2] No such file or "
     "directory)"),
])
def test_each_kubeconfig_mistake_is_one_line_naming_the_file_and_context(
        tmp_path: Path, text: str, context: str | None, message: str) -> None:
    assert problem(tmp_path, text, context) == message


def test_a_folder_given_as_the_kubeconfig_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(CistreamsError) as raised:
        connect(ConnectionOptions(str(tmp_path)))
    assert str(raised.value) == f"kubeconfig {tmp_path}: cannot be read (Is a directory)"


@pytest.mark.parametrize("text", ["clusters: [\n", "[1, 2]\n", KUBECONFIG.replace("ctx\n", "x\n")])
def test_a_bad_kubeconfig_exits_1_with_one_line(tmp_path: Path, text: str) -> None:
    config = tmp_path / "config"
    config.write_text(text)
    out = tmp_path / "o.yaml"
    run = run_cli("--data-path", str(EXAMPLE), "-g", "openshift-4.7", "gen-buildconfigs", "-o",
                  str(out), "--apply", "--kubeconfig", str(config))
    assert run.code == 1, run.stderr
    [line] = run.stderr.splitlines()
    assert line.startswith(f"error: kubeconfig {config}"), line
    assert not out.exists()

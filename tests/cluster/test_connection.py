"""Finding the kubeconfig and reading --request-timeout, as kubectl does."""

from __future__ import annotations

from pathlib import Path

import pytest

from cistreams.cluster.connection import connect, kubeconfig_path, parse_duration
from cistreams.errors import CistreamsError
from cistreams.options import ConnectionOptions


@pytest.mark.parametrize(("text", "seconds"), [
    ("0", 0.0), ("30", 30.0), ("2.5", 2.5), ("30s", 30.0), ("1m", 60.0), ("1h2m3s", 3723.0),
    ("1m30s", 90.0)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5x", "-1", "1s1m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|negative"):
        parse_duration(text)


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

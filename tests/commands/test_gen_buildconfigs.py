"""The edges of issue 16 item 8: a selected entry that renders nothing says why; an empty
streams.yml says so; --no-daemonset is ignored (with a warning) in doozer-2020 mode, whose
bytes are doozer's; --assembly is a usage error there; doozer-2020 mode on newer build data is
one line; kubectl's --dry-run=server and --request-timeout forms work."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from cistreams import app
from cistreams.commands.shared import parse_duration
from cistreams.options import ConnectionOptions, GenerateRequest
from helpers import EXAMPLE, patch_generate, run_cli

BASE = Path(__file__).resolve().parents[1] / "bad_inputs" / "_base"
GROUP = "openshift-4.17"
NO_TRANSFORM = ("no transform, so no BuildConfig: CI uses this image as ART mirrors it (add "
                "transform: to build a CI image from it)")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(BASE, copy)
    with (copy / "streams.yml").open("a") as streams:
        streams.write("etcd:\n  image: openshift/etcd:v1\n"
                      "  upstream_image: registry.ci.openshift.org/ocp/etcd:v1\n")
    return copy


@pytest.mark.parametrize("mode", [(), ("--compat", "doozer-2020")])
def test_a_selected_stream_without_a_transform_says_why(data: Path, mode: tuple[str, ...]) -> None:
    result = run_cli("gen-buildconfigs", "--data-path", str(data), "-g", GROUP, "-o", "-",
                     "--stream", "etcd", "--stream", "golang", *mode)
    assert result.code == 0
    assert result.stderr.splitlines()[0] == f"warning: streams.yml:7: etcd: {NO_TRANSFORM}"
    assert result.stderr.count("warning:") == 1


def test_the_whole_group_does_not_list_the_streams_without_a_transform(data: Path) -> None:
    result = run_cli("check", "--data-path", str(data), "-g", GROUP)
    assert (result.code, result.stderr) == (0, "")


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "{}\n"])
def test_an_empty_streams_file_says_so(data: Path, text: str) -> None:
    (data / "streams.yml").write_text(text)
    result = run_cli("check", "--data-path", str(data), "-g", GROUP)
    assert result.code == 0
    assert result.stderr == "warning: streams.yml: has no streams, so no BuildConfig comes from it\n"


def test_no_daemonset_is_ignored_in_doozer_2020_mode_and_says_so(tmp_path: Path) -> None:
    args = ("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
            "--compat", "doozer-2020", "-o")
    plain = run_cli(*args, str(tmp_path / "plain.yaml"))
    without = run_cli(*args, str(tmp_path / "without.yaml"), "--no-daemonset")
    assert (plain.code, without.code) == (0, 0)
    assert without.stderr.splitlines()[0] == (
        "warning: --no-daemonset is ignored with --compat doozer-2020: doozer 2020 always wrote "
        "the DaemonSet, and this mode writes doozer's bytes")
    assert (tmp_path / "without.yaml").read_bytes() == (tmp_path / "plain.yaml").read_bytes()
    assert b"kind: DaemonSet" in (tmp_path / "plain.yaml").read_bytes()


@pytest.mark.parametrize("verb", [("gen-buildconfigs", "-o", "-"), ("check",)])
def test_assembly_with_doozer_2020_is_a_usage_error(verb: tuple[str, ...]) -> None:
    result = run_cli(*verb, "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "--compat",
                     "doozer-2020", "--assembly", "stream")
    assert result.code == 2
    assert result.stderr.endswith(
        "\nerror: --assembly needs the default mode: doozer 2020 had no assemblies, and 2020 "
        "build data has no {runtime_assembly}\n")
    assert run_cli(*verb, "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "--compat",
                   "doozer-2020").code == 0


def test_doozer_2020_mode_renders_the_2020_streams_of_newer_data(tmp_path: Path) -> None:
    """A newer transform counts only for a stream the run renders, as doozer failed only then."""
    data = tmp_path / "data"
    shutil.copytree(BASE, data)
    streams = data / "streams.yml"
    streams.write_text(streams.read_text() + streams.read_text().replace(
        "golang:", "golang9:", 1).replace("rhel-8/golang", "rhel-9/golang").replace(
        "rhel-8-golang", "rhel-9-golang"))
    args = ("gen-buildconfigs", "--data-path", str(data), "-g", GROUP, "-o", "-", "--compat",
            "doozer-2020")
    assert run_cli(*args, "--stream", "golang").code == 0
    whole = run_cli(*args)
    assert (whole.code, whole.stderr) == (1, (
        "error: doozer-2020 mode reads only the build data of late 2020, and this group's is "
        "newer: stream golang9 uses rhel-9/golang (a transform doozer has known since 2022). "
        "Run it without --compat doozer-2020\n"))


# -- kubectl's conventions ------------------------------------------------------------------------


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> list[GenerateRequest]:
    seen: list[GenerateRequest] = []

    def generate(request: GenerateRequest, *args: Any, **kwargs: Any) -> app.GenerateResult:
        seen.append(request)
        return app.GenerateResult([], 0)

    patch_generate(monkeypatch, generate)
    return seen


@pytest.mark.parametrize(("flag", "dry_run"), [
    ("--dry-run", True), ("--dry-run=server", True), ("--dry-run=none", False)])
def test_dry_run_takes_kubectls_forms(requests: list[GenerateRequest], flag: str,
                                      dry_run: bool) -> None:
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                     "-o", "-", "--apply", flag)
    assert result.code == 0, result.stderr
    assert [r.apply_options.dry_run for r in requests] == [dry_run]


def test_a_client_dry_run_is_refused_with_the_reason(requests: list[GenerateRequest]) -> None:
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                     "-o", "-", "--apply", "--dry-run=client")
    assert result.code == 2
    assert result.stderr.endswith(
        "\nerror: Invalid value for '--dry-run': client is not supported: cistreams applies with "
        "server-side apply, so only the server's dry run can say what would change; use "
        "--dry-run=server (or cistreams diff)\n")
    assert requests == []


@pytest.mark.parametrize(("text", "seconds"), [
    ("1m30s", 90.0), ("500ms", 0.5), ("2h", 7200.0), ("45", 45.0), ("0", 0.0), ("2.5", 2.5),
    ("1.5h", 5400.0), ("1h2m3s", 3723.0), ("1s1m", 61.0), ("250us", 0.00025), ("30s", 30.0)])
def test_request_timeout_takes_kubectls_durations(text: str, seconds: float,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_duration(text) == pytest.approx(seconds)
    seen: list[ConnectionOptions] = []

    def diff(request: GenerateRequest, connection: ConnectionOptions, *args: Any,
             **kwargs: Any) -> Any:
        seen.append(connection)
        raise SystemExit(0)

    monkeypatch.setattr(app, "diff", diff)
    with pytest.raises(SystemExit):
        run_cli("diff", "--data-path", str(EXAMPLE), "-g", "openshift-4.7", "--request-timeout",
                text)
    assert [c.request_timeout for c in seen] == [pytest.approx(seconds)]


@pytest.mark.parametrize("text", ["", "soon", "5x", "-1", "1m-30s", "m", "1 m"])
def test_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)

"""--apply through `oc apply` (with --oc, or in doozer-2020 mode): the argument list, which
failures are tried again (only those that can pass on a second try) and how the tool's own
error lines are shown. First with a fake `oc` on PATH that records its arguments, then
`Applier` on its own (waits recorded, never slept), then the real kubectl 1.20 against the
real test cluster."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from cistreams.cluster import oc
from cistreams.errors import CistreamsError
from cluster.faultproxy import FaultProxy
from cluster.testcluster import TestCluster
from helpers import EXAMPLE, run_cli

UNAVAILABLE = "error: the server is currently unable to handle the request"
FAKE_OC = """#!/usr/bin/env python3
import json, os, sys
UNAVAILABLE = "error: the server is currently unable to handle the request"
log = os.environ["FAKE_OC_LOG"]
with open(log, "a") as handle:
    stdin = sys.stdin.read() if "-" in sys.argv else None
    handle.write(json.dumps({"argv": sys.argv[1:], "stdin": stdin}) + "\\n")
fails = int(os.environ.get("FAKE_OC_FAILS", "0"))
calls = sum(1 for _ in open(log))
if calls <= fails:
    sys.stderr.write(os.environ.get("FAKE_OC_ERROR", UNAVAILABLE) + "\\n")
    sys.exit(1)
print("buildconfig.build.openshift.io/x configured")
"""


@pytest.fixture
def fake_oc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "oc"
    fake.write_text(FAKE_OC)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "oc.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_OC_LOG", str(log))
    monkeypatch.setattr("cistreams.cluster.oc.RETRY_DELAY_SECONDS", 0.0)
    return log


def calls(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def gen(*extra: str) -> tuple[int, str]:
    """gen-buildconfigs with `--oc oc` (the fake on PATH) unless another --oc is given."""
    with_oc = () if "--oc" in extra else ("--oc", "oc")
    result = run_cli("gen-buildconfigs", "--data-path", str(EXAMPLE), "-g", "openshift-4.7",
                     *with_oc, *extra)
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
    assert ("warning: no BuildConfig was rendered (no entry of this run names a transform), "
            "so nothing was applied") in stderr
    assert calls(fake_oc) == []


def test_a_transient_failure_is_retried_then_succeeds(
        fake_oc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_OC_FAILS", "2")
    assert gen("-o", str(tmp_path / "o.yaml"), "--apply")[0] == 0
    assert len(calls(fake_oc)) == 3


def test_gives_up_after_three_tries_with_ocs_error_lines(
        fake_oc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_OC_FAILS", "9")
    out = tmp_path / "o.yaml"
    code, stderr = gen("-o", str(out), "--apply")
    assert code == 1
    assert stderr.splitlines()[-2:] == [
        f"error: oc apply -f {out} failed 3 times (exit status 1 the last time):",
        "error: the server is currently unable to handle the request"]
    assert len(calls(fake_oc)) == 3


def test_an_error_that_cannot_pass_later_is_not_retried(
        fake_oc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_OC_FAILS", "9")
    monkeypatch.setenv("FAKE_OC_ERROR", 'error: unable to recognize "f": no matches for kind '
                                        '"BuildConfig" in version "v1"\nline two\nline two')
    out = tmp_path / "o.yaml"
    code, stderr = gen("-o", str(out), "--apply")
    assert code == 1
    assert stderr.splitlines()[-3:] == [
        f"error: oc apply -f {out} failed (exit status 1):",
        'error: unable to recognize "f": no matches for kind "BuildConfig" in version "v1"',
        "error: line two"]
    assert len(calls(fake_oc)) == 1


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


# -- Applier on its own ---------------------------------------------------------------------

class FakeOc:
    """Answers each run with the next (returncode, stdout, stderr); records argv and stdin."""

    def __init__(self, *answers: tuple[int, str, str]) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[list[str], str | None]] = []

    def __call__(self, argv: Sequence[str], stdin: str | None) -> subprocess.CompletedProcess[str]:
        self.calls.append((list(argv), stdin))
        code, out, err = self.answers.pop(0)
        return subprocess.CompletedProcess(list(argv), code, out, err)


FAIL = (1, "", UNAVAILABLE + "\n")
OK = (0, "buildconfig.build.openshift.io/x configured\n", "")


def applier(fake: FakeOc, sleeps: list[float], **more: object) -> oc.Applier:
    return oc.Applier(run=fake, sleep=sleeps.append, **more)  # type: ignore[arg-type]


def test_the_command_is_an_argument_list() -> None:
    assert oc.Applier().command("out file.yaml", None) == ["oc", "apply", "-f", "out file.yaml"]
    assert oc.Applier("kubectl", ("--kubeconfig", "k")).command("-", "system:admin") == \
        ["kubectl", "apply", "-f", "-", "--kubeconfig", "k", "--as", "system:admin"]
    assert oc.Applier().command("f", "") == ["oc", "apply", "-f", "f"]


def test_a_first_success_needs_no_wait() -> None:
    fake, sleeps = FakeOc(OK), list[float]()
    assert applier(fake, sleeps).apply("f.yaml", "me", "text") == OK[1]
    assert fake.calls == [(["oc", "apply", "-f", "f.yaml", "--as", "me"], "text")]
    assert sleeps == []


def test_the_wait_is_ten_seconds_and_grows_with_each_try() -> None:
    fake, sleeps = FakeOc(FAIL, FAIL, OK), list[float]()
    assert applier(fake, sleeps).apply("f.yaml", None) == OK[1]
    assert sleeps == [10.0, 20.0]
    assert len(fake.calls) == 3


def test_a_chosen_delay_is_used() -> None:
    fake, sleeps = FakeOc(FAIL, OK), list[float]()
    applier(fake, sleeps, delay_seconds=2.5).apply("f.yaml", None)
    assert sleeps == [2.5]


def test_three_failures_give_up_with_ocs_lines_and_no_wait_after_the_last() -> None:
    fake, sleeps = FakeOc(FAIL, FAIL, FAIL), list[float]()
    with pytest.raises(CistreamsError) as caught:
        applier(fake, sleeps).apply("f.yaml", None)
    assert str(caught.value).splitlines() == [
        "oc apply -f f.yaml failed 3 times (exit status 1 the last time):",
        "the server is currently unable to handle the request"]
    assert sleeps == [10.0, 20.0]
    assert len(fake.calls) == 3


def test_the_error_falls_back_to_stdout_then_the_exit_status() -> None:
    with pytest.raises(CistreamsError) as caught:
        applier(FakeOc((2, " on stdout\n", "")), [], tries=1).apply("f", None)
    assert str(caught.value).splitlines() == ["oc apply -f f failed (exit status 2):", "on stdout"]
    with pytest.raises(CistreamsError) as caught:
        applier(FakeOc((7, "", " \n")), []).apply("f", None)
    assert str(caught.value) == "oc apply -f f failed (exit status 7)"


def test_a_failure_that_cannot_pass_later_stops_the_retries() -> None:
    """A retryable failure, then one that retrying cannot fix: two tries, and the message
    says so (one try says nothing about tries)."""
    fake, sleeps = FakeOc(FAIL, (1, "", "error: the path \"f.yaml\" does not exist\n")), list[float]()
    with pytest.raises(CistreamsError) as caught:
        applier(fake, sleeps).apply("f.yaml", None)
    assert str(caught.value).splitlines() == [
        "oc apply -f f.yaml failed 2 times (exit status 1 the last time):",
        'the path "f.yaml" does not exist']
    assert (sleeps, len(fake.calls)) == ([10.0], 2)


def test_one_try_never_waits() -> None:
    sleeps: list[float] = []
    with pytest.raises(CistreamsError):
        applier(FakeOc(FAIL), sleeps, tries=1).apply("f", None)
    assert sleeps == []


def test_each_line_is_shown_once_as_a_line_of_its_own() -> None:
    repeated = "\n".join(['error: unable to recognize "f": no matches for kind "BuildConfig" in '
                          'version "v1"'] * 6 + ['unable to recognize "f": no matches for kind '
                                                 '"DaemonSet" in version "extensions/v1beta1"'])
    with pytest.raises(CistreamsError) as caught:
        applier(FakeOc((1, "", repeated)), []).apply("f", None)
    assert str(caught.value).splitlines() == [
        "oc apply -f f failed (exit status 1):",
        'unable to recognize "f": no matches for kind "BuildConfig" in version "v1"',
        'unable to recognize "f": no matches for kind "DaemonSet" in version "extensions/v1beta1"']


@pytest.mark.parametrize(("stderr", "again"), [
    (UNAVAILABLE, True),
    ("Error from server (ServiceUnavailable): the server is currently unable to handle the "
     "request", True),
    ("Error from server (InternalError): error when applying patch:\n{}\nfor: \"f\": Internal "
     "error occurred: etcdserver: request timed out", True),
    ("Error from server (TooManyRequests): the server has received too many requests", True),
    ("Error from server (Timeout): the server was unable to return a response in the time "
     "allotted", True),
    ("The connection to the server 127.0.0.1:9 was refused - did you specify the right host or "
     "port?", True),
    ("Unable to connect to the server: dial tcp 10.0.0.1:6443: i/o timeout", True),
    ("Unable to connect to the server: net/http: TLS handshake timeout", True),
    ('error: unable to recognize "f": Get "https://h:6443/api?timeout=32s": dial tcp '
     "127.0.0.1:6443: connect: connection refused", True),
    # each of the other transient wordings, alone
    ("Error from server (ServerTimeout): the server cannot complete the requested operation", True),
    ("Error from server: too many requests, slow down", True),
    ("Error from server: Internal error occurred: admission webhook", True),
    ("Error from server: the server was unable to return a response in the time allotted", True),
    ("error: etcdserver: leader changed", True),
    ("error: etcdserver: request timed out", True),
    ("The connection to the server h:6443 was refused - did you specify the right host or port?",
     True),
    ("error: read tcp 1.2.3.4:5->6.7.8.9:6443: read: connection reset by peer", True),
    ("error: write tcp 1.2.3.4:5->6.7.8.9:6443: write: broken pipe", True),
    ("Unable to connect to the server: unexpected EOF", True),
    ("Unable to connect to the server: http2: server sent GOAWAY and closed the connection", True),
    ("error: read tcp 1.2.3.4:5->6.7.8.9:6443: use of closed network connection", True),
    ("Unable to connect to the server: dial tcp 10.0.0.1:6443: connect: no route to host", True),
    ("Unable to connect to the server: dial tcp 10.0.0.1:6443: connect: network is unreachable",
     True),
    ("Unable to connect to the server: context deadline exceeded", True),
    ("Unable to connect to the server: Client.Timeout exceeded while reading body", True),
    ("error: net/http: request canceled", True),
    ("Unable to connect to the server: x509: certificate signed by unknown authority", False),
    ("Unable to connect to the server: dial tcp: lookup nowhere on 127.0.0.53:53: no such "
     "host", False),
    ('unable to recognize "f": no matches for kind "BuildConfig" in version "v1"', False),
    ("Error from server (Forbidden): error when retrieving current configuration of:\nName: "
     '"x"\nfrom server for: "f": buildconfigs "x" is forbidden', False),
    ("error: You must be logged in to the server (Unauthorized)", False),
    ('The BuildConfig "x" is invalid: spec.strategy: Required value', False),
    ("something nobody ever printed", False),
    ("", False),
    # one error that cannot pass makes the whole run one that cannot
    (f"{UNAVAILABLE}\nError from server (Forbidden): buildconfigs \"x\" is forbidden", False),
])
def test_what_is_tried_again(stderr: str, again: bool) -> None:
    result = subprocess.CompletedProcess(["oc"], 1, "", stderr)
    assert oc.can_pass_later(result) is again


def test_without_standard_error_standard_output_is_read() -> None:
    assert oc.can_pass_later(subprocess.CompletedProcess(["oc"], 1, UNAVAILABLE, " \n")) is True
    assert oc.can_pass_later(subprocess.CompletedProcess(["oc"], 1, UNAVAILABLE, "error: x")) is False


def test_blank_lines_are_dropped_and_many_lines_cut_short() -> None:
    text = "\n".join(["error: first", "", "   ", *(f"line {n}" for n in range(30))])
    with pytest.raises(CistreamsError) as caught:
        applier(FakeOc((1, "", text)), []).apply("f", None)
    lines = str(caught.value).splitlines()
    assert lines[:3] == ["oc apply -f f failed (exit status 1):", "first", "line 0"]
    assert lines[-1] == "... and 6 more error(s)" and len(lines) == 27


def test_run_with_input_feeds_stdin_and_captures_output() -> None:
    result = oc.run_with_input([sys.executable, "-c", "import sys; print(sys.stdin.read().upper())"],
                               "abc")
    assert (result.returncode, result.stdout, result.stderr) == (0, "ABC\n", "")
    failed = oc.run_with_input([sys.executable, "-c", "import sys; sys.exit('no')"], None)
    assert (failed.returncode, failed.stderr) == (1, "no\n")


def test_run_with_input_names_a_missing_or_unusable_binary(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-oc")
    with pytest.raises(CistreamsError) as caught:
        oc.run_with_input([missing, "apply"], None)
    assert str(caught.value) == (f"'{missing}' was not found; install oc or name the binary with "
                                 "--oc PATH (kubectl works too)")
    plain = tmp_path / "oc"
    plain.write_text("not a program\n")
    with pytest.raises(CistreamsError) as caught:
        oc.run_with_input([str(plain), "apply"], None)
    assert str(caught.value) == f"'{plain}' is not executable"


# -- the real kubectl against the real test cluster -----------------------------------------

KUBECTL_WRAPPER = """#!{python}
import os, sys
with open({log!r}, "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
os.execv({kubectl!r}, [{kubectl!r}, *sys.argv[1:]])
"""


@pytest.fixture
def kubectl(cluster: TestCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cluster's kubectl behind a wrapper that logs each run to `kubectl.log` beside it;
    HOME is the test's folder (kubectl caches discovery under ~/.kube), no retry wait."""
    wrapper = tmp_path / "kubectl"
    wrapper.write_text(KUBECTL_WRAPPER.format(python=sys.executable, log=str(tmp_path / "kubectl.log"),
                                              kubectl=str(cluster.bin_dir / "kubectl")))
    wrapper.chmod(0o755)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setattr("cistreams.cluster.oc.RETRY_DELAY_SECONDS", 0.0)
    return wrapper


def runs(kubectl: Path) -> int:
    log = kubectl.parent / "kubectl.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def kubectl_apply(kubectl: Path, kubeconfig: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = run_cli("--data-path", str(EXAMPLE), "-g", "openshift-4.7", "gen-buildconfigs",
                     "-o", str(out), "--apply", "--oc", str(kubectl), "--kubeconfig",
                     str(kubeconfig), *extra)
    return result.code, result.stderr


def test_kinds_the_server_does_not_serve_fail_at_once_with_each_line_once(
        clean_cluster: TestCluster, kubectl: Path, tmp_path: Path) -> None:
    """doozer-2020's apiVersion v1 BuildConfig and extensions/v1beta1 DaemonSet: the test
    cluster (like any OpenShift 4) serves neither; a second try cannot help."""
    out = tmp_path / "o.yaml"
    code, stderr = kubectl_apply(kubectl, clean_cluster.kubeconfig("admin"), out,
                                 "--compat", "doozer-2020")
    assert code == 1
    assert stderr.splitlines()[-3:] == [
        f"error: {kubectl} apply -f {out} failed (exit status 1):",
        f'error: unable to recognize "{out}": no matches for kind "BuildConfig" in version "v1"',
        f'error: unable to recognize "{out}": no matches for kind "DaemonSet" in version '
        '"extensions/v1beta1"']
    assert "\\n" not in stderr
    assert runs(kubectl) == 1


def test_a_server_that_refuses_connections_is_tried_three_times(
        cluster: TestCluster, kubectl: Path, tmp_path: Path) -> None:
    dead = tmp_path / "dead-kubeconfig"
    dead.write_text(cluster.kubeconfig("admin").read_text().replace(cluster.server,
                                                                    "https://127.0.0.1:9"))
    out = tmp_path / "o.yaml"
    code, stderr = kubectl_apply(kubectl, dead, out)
    assert code == 1
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert errors[0] == f"error: {kubectl} apply -f {out} failed 3 times (exit status 1 the last time):"
    assert any("127.0.0.1:9" in line and "refused" in line for line in errors[1:]), errors
    assert runs(kubectl) == 3


def test_a_503_passes_on_the_next_try(clean_cluster: TestCluster, kubectl: Path,
                                      tmp_path: Path) -> None:
    with FaultProxy(clean_cluster) as proxy:
        proxy.answer_503(1)
        code, stderr = kubectl_apply(kubectl, proxy.kubeconfig("admin"), tmp_path / "o.yaml")
        assert proxy.errors == []
    assert code == 0, stderr
    assert runs(kubectl) == 2
    assert "buildconfig.build.openshift.io/builder-rhel-8-golang-1.15-openshift-4.7--art-builder " \
           "created" in stderr

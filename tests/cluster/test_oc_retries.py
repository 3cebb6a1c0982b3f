"""cistreams.cluster.oc.Applier on its own: the argument list, the tries, and the waits it
asks for between them (recorded, never slept), with every expected value written out."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from cistreams.cluster import oc
from cistreams.errors import CistreamsError


class FakeOc:
    """Answers each run with the next (returncode, stdout, stderr); records argv and stdin."""

    def __init__(self, *answers: tuple[int, str, str]) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[list[str], str | None]] = []

    def __call__(self, argv: Sequence[str], stdin: str | None) -> subprocess.CompletedProcess[str]:
        self.calls.append((list(argv), stdin))
        code, out, err = self.answers.pop(0)
        return subprocess.CompletedProcess(list(argv), code, out, err)


FAIL = (1, "", "error: the server is currently unable to handle the request\n")
OK = (0, "buildconfig.build.openshift.io/x configured\n", "")


def applier(fake: FakeOc, sleeps: list[float], **more: object) -> oc.Applier:
    return oc.Applier(run=fake, sleep=sleeps.append, **more)  # type: ignore[arg-type]


def test_the_default_wait_is_ten_seconds() -> None:
    assert oc.RETRY_DELAY_SECONDS == 10.0
    assert (oc.Applier().delay_seconds, oc.Applier().tries, oc.Applier().oc) == (10.0, 3, "oc")


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


def test_the_wait_grows_with_each_try() -> None:
    fake, sleeps = FakeOc(FAIL, FAIL, OK), list[float]()
    assert applier(fake, sleeps).apply("f.yaml", None) == OK[1]
    assert sleeps == [10.0, 20.0]
    assert len(fake.calls) == 3


def test_a_chosen_delay_is_used() -> None:
    fake, sleeps = FakeOc(FAIL, OK), list[float]()
    applier(fake, sleeps, delay_seconds=2.5).apply("f.yaml", None)
    assert sleeps == [2.5]


def test_three_failures_give_up_with_ocs_error_and_no_wait_after_the_last() -> None:
    fake, sleeps = FakeOc(FAIL, FAIL, FAIL), list[float]()
    with pytest.raises(CistreamsError) as caught:
        applier(fake, sleeps).apply("f.yaml", None)
    assert str(caught.value) == ("oc apply -f failed after 3 tries: error: the server is currently "
                                 "unable to handle the request")
    assert sleeps == [10.0, 20.0]
    assert len(fake.calls) == 3


def test_the_error_falls_back_to_stdout_then_the_exit_status() -> None:
    with pytest.raises(CistreamsError, match=r"^oc apply -f failed after 1 tries: on stdout$"):
        applier(FakeOc((2, " on stdout\n", "")), [], tries=1).apply("f", None)
    with pytest.raises(CistreamsError, match=r"^oc apply -f failed after 2 tries: exit status 7$"):
        applier(FakeOc((1, "", ""), (7, "", " \n")), [], tries=2).apply("f", None)


def test_one_try_never_waits() -> None:
    sleeps: list[float] = []
    with pytest.raises(CistreamsError):
        applier(FakeOc(FAIL), sleeps, tries=1).apply("f", None)
    assert sleeps == []


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

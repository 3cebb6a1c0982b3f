"""The groups' runs with stand-in steps (unit tests of the runner) and the real Lease on the
real test cluster: the memory (unchanged groups, --force, a changed file), a failing step,
a held Lease, groups side by side; and what an unchanged group costs, request by request."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cistreams.cluster.connection import connect
from cistreams.cluster.lease import GroupLease
from cistreams.job import runner
from cistreams.job.revision import files_digest, short
from cistreams.job.runner import GROUP_FAILED, HELD, SYNCED, UNCHANGED, Sync, run_groups
from cistreams.job.steps import FAILED, NOT_RUN, OK, SyncOptions
from cistreams.options import ConnectionOptions, Source
from cluster.testcluster import TestCluster
from helpers import CORPUS
from sync.fixtures import delete_leases
from sync.gitserve import serve
from sync.stubs import STEP_NAMES, Stub, stubs

GROUPS = ("openshift-4.17", "openshift-4.18")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """Copies of two corpus groups, as `<dir>/<group>`."""
    if not (CORPUS / GROUPS[0]).is_dir():
        pytest.skip("the corpus is absent")
    root = tmp_path / "data"
    for group in GROUPS:
        shutil.copytree(CORPUS / group, root / group)
    return root


@pytest.fixture
def cluster(sync_cluster: TestCluster) -> TestCluster:
    delete_leases(sync_cluster)
    return sync_cluster


def options(cluster: TestCluster, **kwargs: object) -> SyncOptions:
    connection = ConnectionOptions(str(cluster.kubeconfig("admin")))
    return SyncOptions(connection, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def lines() -> list[str]:
    return []


def make_sync(cluster: TestCluster, data: Path, steps: list[Stub], lines: list[str],
              tmp_path: Path, **kwargs: object) -> Sync:
    source = Source(str(data / "{group}"), GROUPS[0])
    return Sync(source, options(cluster, **kwargs), steps, lines.append, tmp_path / "work")


@pytest.fixture
def work(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "work").mkdir()
    yield tmp_path / "work"


def test_a_synced_group_is_unchanged_next_time_at_the_cost_of_one_request(
        cluster: TestCluster, data: Path, lines: list[str], tmp_path: Path, work: Path) -> None:
    steps = stubs()
    first = make_sync(cluster, data, steps, lines, tmp_path).run_group(GROUPS[0])
    assert first.status == SYNCED, first
    assert [(s.name, s.status) for s in first.steps] == [(n, OK) for n in STEP_NAMES]
    assert first.revision is not None and first.revision.startswith("sha256:")
    assert steps[0].calls == [GROUPS[0]]
    again = make_sync(cluster, data, steps, lines, tmp_path).run_group(GROUPS[0])
    assert again.status == UNCHANGED
    assert again.message == f"unchanged since {short(first.revision)}"
    assert again.lease_requests == 1  # one GET of the Lease; the issue allows 3
    assert [s.status for s in again.steps] == [NOT_RUN] * 4
    assert steps[0].calls == [GROUPS[0]]  # no step ran
    assert any(line.startswith(f"{GROUPS[0]}: unchanged since ") for line in lines)


def test_force_syncs_an_unchanged_group(cluster: TestCluster, data: Path, lines: list[str],
                                        tmp_path: Path, work: Path) -> None:
    steps = stubs()
    assert make_sync(cluster, data, steps, lines, tmp_path).run_group(GROUPS[0]).status == SYNCED
    forced = make_sync(cluster, data, steps, lines, tmp_path, force=True).run_group(GROUPS[0])
    assert forced.status == SYNCED and steps[3].calls == [GROUPS[0]] * 2


def test_a_changed_file_syncs_only_its_group(cluster: TestCluster, data: Path, lines: list[str],
                                             tmp_path: Path, work: Path) -> None:
    steps = stubs()
    job = make_sync(cluster, data, steps, lines, tmp_path)
    assert [r.status for r in run_groups(job, GROUPS, 2)] == [SYNCED, SYNCED]
    streams = data / GROUPS[1] / "streams.yml"
    streams.write_text(streams.read_text() + "\n# a comment changes the digest\n")
    results = run_groups(make_sync(cluster, data, steps, lines, tmp_path), GROUPS, 2)
    assert [r.status for r in results] == [UNCHANGED, SYNCED]
    assert steps[0].calls.count(GROUPS[1]) == 2 and steps[0].calls.count(GROUPS[0]) == 1


def test_a_failing_step_ends_the_group_records_nothing_and_the_other_group_goes_on(
        cluster: TestCluster, data: Path, lines: list[str], tmp_path: Path, work: Path) -> None:
    steps = [Stub(n, fail_groups=(GROUPS[0],) if n == "mirror" else ()) for n in STEP_NAMES]
    results = run_groups(make_sync(cluster, data, steps, lines, tmp_path), GROUPS, 2)
    failed, other = results
    assert (failed.status, other.status) == (GROUP_FAILED, SYNCED)
    assert [s.status for s in failed.steps] == [OK, FAILED, NOT_RUN, NOT_RUN]
    assert failed.steps[1].errors == ["mirror: it went wrong"]
    assert failed.steps[2].summary == "mirror failed"
    assert failed.message == "mirror failed: mirror: it went wrong"
    assert steps[2].calls == [GROUPS[1]]
    # nothing recorded: the next run tries again
    steps[1].fail_groups = ()
    again = run_groups(make_sync(cluster, data, steps, lines, tmp_path), GROUPS, 2)
    assert [r.status for r in again] == [SYNCED, UNCHANGED]
    # the Lease was released all the same
    api = connect(ConnectionOptions(str(cluster.kubeconfig("admin"))))
    try:
        assert GroupLease(api, "ci", GROUPS[0]).read().holder is None
    finally:
        api.client.close()


def test_a_step_that_raises_is_a_failed_step_with_its_lines(
        cluster: TestCluster, data: Path, lines: list[str], tmp_path: Path, work: Path) -> None:
    steps = [Stub(n, fail_groups=(GROUPS[0],), raises=True) if n == "start-builds" else Stub(n)
             for n in STEP_NAMES]
    result = make_sync(cluster, data, steps, lines, tmp_path).run_group(GROUPS[0])
    assert result.status == GROUP_FAILED
    assert result.steps[2].errors == ["start-builds: broke\\nescaped", "second line"]
    assert f"{GROUPS[0]}: start-builds: error: second line" in lines


def test_a_held_lease_skips_the_group_with_one_line(cluster: TestCluster, data: Path,
                                                    lines: list[str], tmp_path: Path,
                                                    work: Path) -> None:
    api = connect(ConnectionOptions(str(cluster.kubeconfig("admin"))))
    other = GroupLease(api, "ci", GROUPS[0], holder="jenkins-42")
    try:
        assert other.acquire(other.read()) is None
        steps = stubs()
        result = make_sync(cluster, data, steps, lines, tmp_path).run_group(GROUPS[0])
        assert result.status == HELD
        assert result.message.startswith("held by jenkins-42 since ")
        assert [line for line in lines if "held by" in line] == [f"{GROUPS[0]}: {result.message}"]
        assert steps[0].calls == []
        assert other.release()
    finally:
        api.client.close()


def test_groups_run_side_by_side_up_to_max_groups(cluster: TestCluster, data: Path,
                                                  lines: list[str], tmp_path: Path,
                                                  work: Path) -> None:
    both = threading.Barrier(3)

    class Meeting(Stub):
        def run(self, group):  # type: ignore[no-untyped-def]
            both.wait(30)  # both groups must be inside their first step at once
            return super().run(group)

    steps: list[Stub] = [Meeting("gen-buildconfigs"), *(Stub(n) for n in STEP_NAMES[1:])]
    job = make_sync(cluster, data, steps, lines, tmp_path)
    done: list[list[runner.GroupResult]] = []
    thread = threading.Thread(target=lambda: done.append(run_groups(job, GROUPS, 2)))
    thread.start()
    both.wait(30)  # would time out (and fail the steps) if the groups ran one by one
    thread.join(60)
    assert [r.status for r in done[0]] == [SYNCED, SYNCED]


def test_bad_build_data_fails_the_first_step_with_file_and_line(
        cluster: TestCluster, data: Path, lines: list[str], tmp_path: Path, work: Path) -> None:
    (data / GROUPS[0] / "streams.yml").write_text("a: [\n")
    steps = stubs()
    result = make_sync(cluster, data, steps, lines, tmp_path).run_group(GROUPS[0])
    assert result.status == GROUP_FAILED
    first = result.steps[0]
    assert (first.name, first.status) == ("gen-buildconfigs", FAILED)
    assert first.errors and first.errors[0].startswith("streams.yml:")
    assert [s.status for s in result.steps[1:]] == [NOT_RUN] * 3
    assert steps[0].calls == []


def test_the_digest_covers_names_and_contents(tmp_path: Path) -> None:
    from cistreams.errors import FileRead

    one, two = tmp_path / "a.yml", tmp_path / "b.yml"
    one.write_text("x: 1\n")
    two.write_text("x: 1\n")
    first = files_digest([FileRead("a.yml", str(one), 0, 0)])
    assert first == files_digest([FileRead("a.yml", str(one), 0, 0)] * 2)
    assert first != files_digest([FileRead("b.yml", str(two), 0, 0)])
    one.write_text("x: 2\n")
    assert first != files_digest([FileRead("a.yml", str(one), 0, 0)])


@pytest.fixture
def plain_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git config reaches the tests."""
    config = tmp_path / "gitconfig"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def test_git_build_data_is_at_its_commit_and_a_push_syncs_its_group_only(
        cluster: TestCluster, data: Path, lines: list[str], tmp_path: Path, work: Path,
        plain_git: None) -> None:
    steps = stubs()
    with serve(tmp_path / "git", [(g, data / g) for g in GROUPS]) as served:
        def job() -> Sync:
            return Sync(Source(served.url, GROUPS[0]), options(cluster), steps, lines.append,
                        work)

        first = run_groups(job(), GROUPS, 2)
        assert [(r.status, r.revision) for r in first] == [(SYNCED, served.head(g)) for g in GROUPS]
        assert [r.status for r in run_groups(job(), GROUPS, 2)] == [UNCHANGED, UNCHANGED]
        new = served.change(GROUPS[1], "streams.yml", "\n# moved on\n")
        third = run_groups(job(), GROUPS, 2)
        assert [(r.status, r.revision) for r in third] == [(UNCHANGED, served.head(GROUPS[0])),
                                                           (SYNCED, new)]
        assert third[0].message == f"unchanged since {served.head(GROUPS[0])[:12]}"
        # every step read the group's own clone
        assert sorted(p.name for p in work.iterdir()) == sorted(GROUPS)


def test_a_bug_in_one_groups_run_fails_that_group_only(data: Path, lines: list[str],
                                                        tmp_path: Path, work: Path) -> None:
    def connect(options: SyncOptions) -> object:
        raise RuntimeError("boom")

    job = Sync(Source(str(data / "{group}"), GROUPS[0]), SyncOptions(), stubs(), lines.append,
               work, connect=connect)
    results = run_groups(job, GROUPS, 1)
    assert [(r.status, r.message) for r in results] == \
        [(GROUP_FAILED, "internal error: RuntimeError: boom")] * 2
    assert [s.status for s in results[0].steps] == [NOT_RUN] * 4
    assert f"{GROUPS[1]}: internal error: RuntimeError: boom" in lines


def test_a_lease_taken_over_during_the_run_fails_the_group_and_records_nothing(
        cluster: TestCluster, data: Path, lines: list[str], tmp_path: Path, work: Path) -> None:
    api = connect(ConnectionOptions(str(cluster.kubeconfig("admin"))))

    class TakeOver(Stub):
        def run(self, group):  # type: ignore[no-untyped-def]
            # another run that judged this one's Lease expired (a clock far ahead)
            thief = GroupLease(api, "ci", group.group, holder="thief",
                               clock=lambda: time.time() + 3600)
            assert thief.acquire(thief.read()) is None
            return super().run(group)

    steps: list[Stub] = [Stub("gen-buildconfigs"), TakeOver("mirror"),
                         *(Stub(n) for n in STEP_NAMES[2:])]
    try:
        result = make_sync(cluster, data, steps, lines, tmp_path).run_group(GROUPS[0])
        assert result.status == GROUP_FAILED
        assert "was taken over by thief" in result.message
        state = GroupLease(api, "ci", GROUPS[0]).read()
        assert state.holder == "thief" and state.record is None
    finally:
        api.client.close()

"""builddata/checkout.py against real git: a bare repository served by `git daemon` on
127.0.0.1 (and file:// where a transport does not matter). Every refusal also checks that
the folder is byte for byte as it was, .git included."""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cistreams import builddata
from cistreams.builddata import checkout
from cistreams.errors import CistreamsError
from helpers import EXAMPLE

GROUP = "openshift-4.7"  # the example group's branch
OTHER = "openshift-4.8"
OVERRIDE = "FROM replaced-by-buildconfig\n# from the build data\n"


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit(work: Path, message: str) -> None:
    git("add", "-A", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message, cwd=work)


@pytest.fixture(autouse=True)
def plain_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git config (insteadOf rules, hooks, signing) reaches the tests."""
    config = tmp_path / "gitconfig"
    config.write_text("[protocol \"file\"]\n\tallow = always\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@dataclass
class Origin:
    """The upstream: a work tree that pushes into a bare repository under `served`."""

    work: Path
    bare: Path

    @property
    def file_url(self) -> str:
        return self.bare.as_uri()

    def push_change(self, text: str, branch: str = GROUP) -> str:
        """Commit `text` into NEW.txt on `branch`, push it and return the new commit."""
        git("checkout", "-q", branch, cwd=self.work)
        (self.work / "NEW.txt").write_text(text)
        commit(self.work, text)
        git("push", "-q", str(self.bare), branch, cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work)


@pytest.fixture
def origin(tmp_path: Path) -> Origin:
    work = tmp_path / "upstream"
    shutil.copytree(EXAMPLE, work)
    override = work / "ci_transforms" / "rhel-8" / "golang"
    override.mkdir(parents=True)
    (override / "Dockerfile").write_text(OVERRIDE)
    git("init", "-q", "-b", GROUP, cwd=work)
    commit(work, "data")
    git("checkout", "-q", "-b", OTHER, cwd=work)
    (work / "OTHER.txt").write_text("the next release\n")
    commit(work, "next")
    git("checkout", "-q", GROUP, cwd=work)
    bare = tmp_path / "served" / "ocp-build-data.git"
    git("clone", "-q", "--bare", str(work), str(bare))
    return Origin(work, bare)


@dataclass
class Daemon:
    """`git daemon` serving `origin.bare` on 127.0.0.1."""

    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"git daemon exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail("git daemon did not start listening")


@pytest.fixture
def daemon(origin: Origin, tmp_path: Path) -> Iterator[Daemon]:
    port = _free_port()
    base = origin.bare.parent
    log = (tmp_path / "daemon.log").open("wb")
    process = subprocess.Popen(
        ["git", "daemon", "--export-all", "--reuseaddr", "--informative-errors",
         "--listen=127.0.0.1", f"--port={port}", f"--base-path={base}", str(base)],
        stdout=log, stderr=log)
    served = Daemon(process, f"git://127.0.0.1:{port}/{origin.bare.name}")
    try:
        _wait_listening(port, process)
        yield served
    finally:
        served.stop()
        log.close()


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and link under `folder` (.git included) with a digest of its content."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(folder))] = "-> " + str(path.readlink())
        elif path.is_file():
            found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[str(path.relative_to(folder))] = "dir"
    return found


def refused(url: str, dest: Path, match: str, branch: str = GROUP) -> None:
    """clone_or_update refuses with one line naming `dest` and leaves it as it was."""
    before = snapshot(dest)
    with pytest.raises(CistreamsError, match=match) as caught:
        builddata.clone_or_update(url, branch, dest)
    message = str(caught.value)
    assert str(dest) in message
    assert "--working-dir" in message
    assert "\n" not in message
    assert snapshot(dest) == before


def head(dest: Path) -> str:
    return git("rev-parse", "HEAD", cwd=dest)


# --- URLs --------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "remote"), [
    ("/data/ocp-build-data", False), ("relative/dir", False), ("file:///srv/data", False),
    ("https://github.com/openshift-eng/ocp-build-data", True),
    ("ssh://git@github.com/openshift-eng/ocp-build-data.git", True),
    ("git@github.com:openshift-eng/ocp-build-data.git", True),
    ("git://127.0.0.1:9418/ocp-build-data.git", True),
])
def test_remote_detection(path: str, remote: bool) -> None:
    assert builddata.is_remote(path) is remote


@pytest.mark.parametrize(("first", "second"), [
    ("https://github.com/org/data", "https://github.com/org/data.git"),
    ("https://github.com/org/data/", "HTTPS://GitHub.com/org/data"),
    ("git@github.com:org/data.git", "git@GitHub.com:org/data"),
    ("/srv/data.git", "/srv/data/"),
])
def test_same_remote_ignores_trailing_git_slash_and_host_case(first: str, second: str) -> None:
    assert checkout.same_remote(first, second)


@pytest.mark.parametrize(("first", "second"), [
    ("https://github.com/org/data", "git@github.com:org/data.git"),  # ssh vs https
    ("ssh://git@github.com/org/data", "git@github.com:org/data"),  # two ssh spellings
    ("https://github.com/org/data", "https://github.com/ORG/data"),  # paths keep their case
    ("https://github.com/org/data", "https://github.com/org/data2"),
    ("https://github.com/org/data", ""),
])
def test_other_spellings_are_another_remote(first: str, second: str) -> None:
    assert not checkout.same_remote(first, second)


# --- cloning -----------------------------------------------------------------------------

def test_a_missing_folder_gets_a_shallow_clone_of_the_group_branch(
        daemon: Daemon, origin: Origin, tmp_path: Path) -> None:
    dest = tmp_path / "wd" / "ocp-build-data"
    assert builddata.clone_or_update(daemon.url, GROUP, dest) == dest
    assert (dest / "group.yml").read_bytes() == (EXAMPLE / "group.yml").read_bytes()
    assert git("rev-parse", "--is-shallow-repository", cwd=dest) == "true"
    assert git("symbolic-ref", "--short", "HEAD", cwd=dest) == GROUP
    assert head(dest) == git("rev-parse", GROUP, cwd=origin.bare)


def test_an_empty_folder_is_cloned_into(daemon: Daemon, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    dest.mkdir()
    builddata.clone_or_update(daemon.url, GROUP, dest)
    assert (dest / "streams.yml").is_file()


def test_a_missing_branch_is_a_clear_error(daemon: Daemon, tmp_path: Path) -> None:
    with pytest.raises(CistreamsError, match=r"cannot clone branch 'openshift-9\.9'"):
        builddata.clone_or_update(daemon.url, "openshift-9.9", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_git_is_run_with_argument_lists(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def fake(argv: object) -> subprocess.CompletedProcess[str]:
        calls.append(list(argv))  # type: ignore[call-overload]
        return subprocess.CompletedProcess(argv, 0, "", "")  # type: ignore[arg-type]

    url = "git@example.com:org/data; rm -rf /.git"
    builddata.locate(url, GROUP, tmp_path, fake)
    assert calls[-1][:6] == ["git", "clone", "--quiet", "--depth", "1", "--branch"]
    assert calls[-1][-2] == url  # one argument, never interpreted by a shell


# --- reusing a clean clone ---------------------------------------------------------------

def test_a_clean_clone_is_reused_and_fetches_the_new_commit(
        daemon: Daemon, origin: Origin, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    builddata.clone_or_update(daemon.url, GROUP, dest)
    marker = dest / ".git" / "kept"
    marker.write_text("")
    new = origin.push_change("second commit\n")
    builddata.clone_or_update(daemon.url, GROUP, dest)
    assert marker.exists()  # reused, not cloned again
    assert head(dest) == new
    assert (dest / "NEW.txt").read_text() == "second commit\n"
    assert git("status", "--porcelain", cwd=dest) == ""
    # and again: the clone it left behind is reusable
    builddata.clone_or_update(daemon.url, GROUP, dest)
    assert head(dest) == new


def test_a_clean_clone_of_another_group_moves_to_the_group_branch(
        daemon: Daemon, origin: Origin, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    builddata.clone_or_update(daemon.url, GROUP, dest)
    builddata.clone_or_update(daemon.url, OTHER, dest)
    assert git("symbolic-ref", "--short", "HEAD", cwd=dest) == OTHER
    assert (dest / "OTHER.txt").is_file()
    builddata.clone_or_update(daemon.url, GROUP, dest)  # and back
    assert head(dest) == git("rev-parse", GROUP, cwd=origin.bare)
    assert not (dest / "OTHER.txt").exists()


def test_a_users_full_clone_is_reused_and_stays_full(origin: Origin, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    git("clone", "-q", "--branch", GROUP, origin.file_url, str(dest))
    new = origin.push_change("more\n")
    builddata.clone_or_update(origin.file_url + "/", GROUP, dest)  # the same remote, a '/' more
    assert head(dest) == new
    assert git("rev-parse", "--is-shallow-repository", cwd=dest) == "false"
    assert git("rev-list", "--count", "HEAD", cwd=dest) == "2"


def test_git_variables_of_a_hook_never_aim_it_at_another_repository(
        daemon: Daemon, origin: Origin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "ocp-build-data"
    builddata.clone_or_update(daemon.url, GROUP, dest)
    mine = tmp_path / "mine"
    git("clone", "-q", "--branch", OTHER, origin.file_url, str(mine))
    before = snapshot(mine)
    new = origin.push_change("after the hook\n")
    # as inside a git hook of the user's repository
    monkeypatch.setenv("GIT_DIR", str(mine / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(mine))
    monkeypatch.setenv("GIT_INDEX_FILE", str(mine / ".git" / "index"))
    builddata.clone_or_update(daemon.url, GROUP, dest)
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_WORK_TREE")
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert head(dest) == new
    assert snapshot(mine) == before


# --- refusals: nothing is touched ---------------------------------------------------------

def test_a_plain_folder_is_refused_and_kept(daemon: Daemon, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    dest.mkdir()
    (dest / "notes.txt").write_text("my notes\n")
    refused(daemon.url, dest, "is not empty and not a git clone")
    assert sorted(p.name for p in dest.iterdir()) == ["notes.txt"]


def test_a_plain_folder_inside_another_repository_is_refused(
        daemon: Daemon, tmp_path: Path) -> None:
    project = tmp_path / "project"
    git("init", "-q", str(project))
    dest = project / "ocp-build-data"
    dest.mkdir()
    (dest / "notes.txt").write_text("my notes\n")
    refused(daemon.url, dest, "not a git clone")


def test_a_file_in_place_of_the_folder_is_refused(daemon: Daemon, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    dest.write_text("a file\n")
    with pytest.raises(CistreamsError, match="is not a folder"):
        builddata.clone_or_update(daemon.url, GROUP, dest)
    assert dest.read_text() == "a file\n"


def test_a_users_clone_with_another_origin_is_refused(
        daemon: Daemon, origin: Origin, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    # the same repository under another spelling (file:// here, ssh vs https for real)
    git("clone", "-q", "--branch", GROUP, origin.file_url, str(dest))
    refused(daemon.url, dest, f"is a clone of {origin.file_url}, not of {daemon.url}")


def test_local_edits_are_refused(daemon: Daemon, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    builddata.clone_or_update(daemon.url, GROUP, dest)
    (dest / "group.yml").write_text("edited\n")
    refused(daemon.url, dest, r"has local changes \(group\.yml\)")
    assert (dest / "group.yml").read_text() == "edited\n"


def test_an_untracked_file_is_refused(daemon: Daemon, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    builddata.clone_or_update(daemon.url, GROUP, dest)
    (dest / "images").mkdir()
    (dest / "images" / "mine.yml").write_text("mine\n")
    refused(daemon.url, dest, r"has local changes \(images/mine\.yml\)")


def test_an_ignored_file_is_refused(daemon: Daemon, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    builddata.clone_or_update(daemon.url, GROUP, dest)
    (dest / ".git" / "info" / "exclude").write_text("*.swp\n")
    (dest / ".group.yml.swp").write_text("editor state\n")
    refused(daemon.url, dest, r"has local changes \(\.group\.yml\.swp\)")


def test_another_branch_with_edits_is_refused(daemon: Daemon, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    builddata.clone_or_update(daemon.url, GROUP, dest)
    git("checkout", "-q", "-b", "mine", cwd=dest)
    (dest / "streams.yml").write_text("edited: {}\n")
    refused(daemon.url, dest, "has local changes")


def test_local_commits_are_refused(daemon: Daemon, origin: Origin, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    builddata.clone_or_update(daemon.url, GROUP, dest)
    (dest / "group.yml").write_text("committed\n")
    commit(dest, "mine")
    origin.push_change("upstream moved on\n")
    refused(daemon.url, dest, f"has branch '{GROUP}' with commits not on origin/{GROUP}")


def test_another_branch_with_commits_is_refused(daemon: Daemon, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    builddata.clone_or_update(daemon.url, GROUP, dest)
    git("checkout", "-q", "-b", "mine", cwd=dest)
    (dest / "notes.txt").write_text("committed\n")
    commit(dest, "mine")
    refused(daemon.url, dest, "has branch 'mine' with commits not on origin/mine")


def test_a_group_branch_with_local_commits_is_refused_from_another_branch(
        daemon: Daemon, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    builddata.clone_or_update(daemon.url, GROUP, dest)
    builddata.clone_or_update(daemon.url, OTHER, dest)
    git("checkout", "-q", GROUP, cwd=dest)
    (dest / "group.yml").write_text("committed\n")
    commit(dest, "mine")
    git("checkout", "-q", OTHER, cwd=dest)
    refused(daemon.url, dest, f"has branch '{GROUP}' with commits not on origin/{GROUP}")


def test_a_detached_head_is_refused(daemon: Daemon, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    builddata.clone_or_update(daemon.url, GROUP, dest)
    git("checkout", "-q", "--detach", cwd=dest)
    refused(daemon.url, dest, "detached HEAD")


def test_a_clean_clone_whose_fetch_fails_is_kept(
        daemon: Daemon, origin: Origin, tmp_path: Path) -> None:
    dest = tmp_path / "ocp-build-data"
    builddata.clone_or_update(daemon.url, GROUP, dest)
    origin.push_change("never fetched\n")
    daemon.stop()
    refused(daemon.url, dest, f"could not fetch branch '{GROUP}' of {daemon.url}")
    assert (dest / "group.yml").is_file()


# --- the command line ----------------------------------------------------------------------

def cistreams(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`cistreams ARGS` as its own process: the exit code and stderr a user sees."""
    return subprocess.run([sys.executable, "-m", "cistreams", *args], cwd=cwd, text=True,
                          capture_output=True, check=False)


def test_cli_refuses_a_plain_folder_in_one_line(daemon: Daemon, tmp_path: Path) -> None:
    work = tmp_path / "wd"
    (work / "ocp-build-data").mkdir(parents=True)
    notes = work / "ocp-build-data" / "notes.txt"
    notes.write_text("my notes\n")
    out = tmp_path / "out.yaml"
    result = cistreams("gen-buildconfigs", "--data-path", daemon.url, "-g", GROUP,
                       "--working-dir", str(work), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: {work / 'ocp-build-data'} is not empty and not a git clone of {daemon.url}; "
        "move its files away, or use another --working-dir (cistreams left it as it is)"]
    assert notes.read_text() == "my notes\n"
    assert not out.exists()


def test_cli_renders_from_a_remote_without_a_working_dir(daemon: Daemon, tmp_path: Path) -> None:
    """The clone lives in a temporary folder; transforms must be read before it is removed."""
    out = tmp_path / "out.yaml"
    result = cistreams("--data-path", daemon.url, "-g", GROUP, "gen-buildconfigs",
                       "-o", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "# from the build data" in out.read_text()

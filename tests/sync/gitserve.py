"""Build data served over git: a bare repository with a branch per group, served by
`git daemon` on 127.0.0.1 (as ART's ocp-build-data is served by GitHub)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cluster.testcluster import free_port


def git(*args: str, cwd: Path | None = None) -> str:
    """Run git (an argument list); its output."""
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit(work: Path, message: str) -> str:
    """Commit everything in `work`; the new commit."""
    git("add", "-A", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message, cwd=work)
    return git("rev-parse", "HEAD", cwd=work)


@dataclass
class Served:
    """The upstream work tree, its bare repository and the git:// URL serving it."""

    work: Path
    bare: Path
    url: str

    def change(self, branch: str, name: str, text: str) -> str:
        """Append `text` to the file `name` on `branch` and push; the new commit."""
        git("checkout", "-q", branch, cwd=self.work)
        path = self.work / name
        path.write_text(path.read_text() + text)
        new = commit(self.work, f"change {name}")
        git("push", "-q", str(self.bare), branch, cwd=self.work)
        return new

    def head(self, branch: str) -> str:
        """The commit `branch` is at."""
        return git("rev-parse", branch, cwd=self.bare)


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"git daemon exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("git daemon did not start listening")


@contextmanager
def serve(root: Path, groups: Sequence[tuple[str, Path]]) -> Iterator[Served]:
    """A repository whose branch GROUP holds a copy of each given folder, served on a free
    port until the block ends."""
    work = root / "upstream"
    work.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=work)
    (work / "README").write_text("build data\n")
    commit(work, "start")
    for group, folder in groups:
        git("checkout", "-q", "-b", group, "main", cwd=work)
        for item in work.iterdir():
            if item.name not in (".git", "README"):
                shutil.rmtree(item) if item.is_dir() else item.unlink()
        shutil.copytree(folder, work, dirs_exist_ok=True)
        commit(work, group)
    bare = root / "served" / "ocp-build-data.git"
    git("clone", "-q", "--bare", str(work), str(bare))
    port = free_port()
    with (root / "daemon.log").open("wb") as log:
        process = subprocess.Popen(
            ["git", "daemon", "--export-all", "--reuseaddr", "--informative-errors",
             "--listen=127.0.0.1", f"--port={port}", f"--base-path={bare.parent}",
             str(bare.parent)], stdout=log, stderr=log)
    try:
        _wait_listening(port, process)
        yield Served(work, bare, f"git://127.0.0.1:{port}/{bare.name}")
    finally:
        process.terminate()
        process.wait()

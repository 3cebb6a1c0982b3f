"""Where the build data is: a local directory used as it is, or a git remote cloned shallowly
at the branch named like the group into the working directory (a clean clone is refreshed
and reused; one with local edits is never touched).
"""

from __future__ import annotations

import os
import shutil
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cistreams.errors import CistreamsError

if TYPE_CHECKING:
    import subprocess

_REMOTE_SCHEMES = {"ssh", "ssh+git", "git", "http", "https"}

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_command(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run a program from an argument list (never a shell), capturing its output."""
    # a clone that needs credentials must fail, not wait for a password nobody will type
    import subprocess  # here: a local --data-path never runs a program

    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        return subprocess.run(list(argv), capture_output=True, text=True, check=False, env=env)
    except FileNotFoundError:
        raise CistreamsError(f"'{argv[0]}' is not installed; it is needed for a git "
                             "--data-path (or use a local directory)") from None


def is_remote(data_path: str) -> bool:
    """True when `data_path` names a git remote rather than a local directory."""
    parsed = urllib.parse.urlparse(data_path)
    if parsed.scheme in _REMOTE_SCHEMES:
        return True
    if parsed.scheme == "file":
        return False
    if parsed.scheme == "":
        # scp-like "git@github.com:org/repo.git" has no scheme but a ':' (doozer's rule)
        return ":" in parsed.path
    raise CistreamsError(f"--data-path '{data_path}': unsupported URL scheme '{parsed.scheme}' "
                         "(use a directory, or an ssh/https git URL)")


def locate(data_path: str, group: str, working_dir: Path, run: Runner = run_command) -> Path:
    """The directory holding the group's build data, cloning or refreshing it if remote."""
    if not is_remote(data_path):
        local = Path(urllib.parse.urlparse(data_path).path if data_path.startswith("file:")
                     else data_path).expanduser().resolve()
        if not local.is_dir():
            raise CistreamsError(f"--data-path '{data_path}': no such directory")
        return local
    name = Path(urllib.parse.urlparse(data_path).path.rstrip("/") or data_path).name
    dest = working_dir / (name.removesuffix(".git") or "build-data")
    return clone_or_update(data_path, group, dest, run)


def _git(run: Runner, *args: str) -> subprocess.CompletedProcess[str]:
    return run(["git", *args])


def clone_or_update(url: str, branch: str, dest: Path, run: Runner = run_command) -> Path:
    """A shallow clone of `url` at `branch` in `dest`, reusing a clean clone already there."""
    if dest.exists() and _reusable(url, branch, dest, run):
        fetched = _git(run, "-C", str(dest), "fetch", "--depth", "1", "origin", branch)
        if fetched.returncode == 0:
            _git(run, "-C", str(dest), "reset", "--hard", "--quiet", "FETCH_HEAD")
            return dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    result = _git(run, "clone", "--quiet", "--depth", "1", "--branch", branch, "--", url, str(dest))
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "git failed"
        raise CistreamsError(f"cannot clone branch '{branch}' of {url}: {detail}")
    return dest


def _reusable(url: str, branch: str, dest: Path, run: Runner) -> bool:
    """A clone is reused when it has our origin and branch; local edits are never discarded."""
    origin = _git(run, "-C", str(dest), "remote", "get-url", "origin")
    if origin.returncode != 0 or origin.stdout.strip() != url:
        return False
    current = _git(run, "-C", str(dest), "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
    status = _git(run, "-C", str(dest), "status", "--porcelain").stdout.strip()
    if status:
        raise CistreamsError(f"{dest} has local changes; commit or remove them, or point "
                             "--working-dir elsewhere (cistreams never discards edits)")
    return current == branch

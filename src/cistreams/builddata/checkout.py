"""Where the build data is: a local directory used as it is, or a git remote cloned shallowly
at the branch named like the group into the working directory.

cistreams never deletes or rewrites what it did not create. The clone's folder is used when:

- it is missing or empty: the remote is cloned into it (`--depth 1 --branch GROUP`);
- it is a clean clone of the same remote: it is fetched and moved to the group's branch.
  "Clean" means no local edits, no untracked or ignored files and no commits that the
  remote-tracking branch lacks, so that moving it loses nothing. "The same remote" means
  `remote.origin.url` equals the URL once a trailing `/` and `.git` are dropped and the
  scheme and host are lower-cased; other spellings of one repository (ssh against https,
  `git@host:path` against `ssh://git@host/path`) count as another remote, since they may
  not reach the same server or rights. The raw config value is compared, not
  `git remote get-url`, which applies the user's `insteadOf` rewrites.

Anything else (a folder that is not a clone, a clone of another remote, local changes,
local commits, a detached HEAD, a failed fetch) stops the run with one line naming the
folder and what to do, and the folder is left exactly as it was.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cistreams.errors import CistreamsError

if TYPE_CHECKING:
    import subprocess

_REMOTE_SCHEMES = {"ssh", "ssh+git", "git", "http", "https"}
# scp-like "user@host:path" (no scheme, a ':' before any '/')
_SCP_LIKE = re.compile(r"^(?P<user>[^/:@]+@)?(?P<host>[^/:]+):(?P<path>.*)$")

# point git at another repository than the -C folder (a git hook running cistreams sets
# some); git drops the same ones when it runs itself in a submodule
_REPOSITORY_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                   "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_SHALLOW_FILE",
                   "GIT_GRAFT_FILE", "GIT_IMPLICIT_WORK_TREE", "GIT_PREFIX")

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_command(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run a program from an argument list (never a shell), capturing its output."""
    # a clone that needs credentials must fail, not wait for a password nobody will type
    import subprocess  # here: a local --data-path never runs a program

    env = {name: value for name, value in os.environ.items() if name not in _REPOSITORY_ENV}
    env["GIT_TERMINAL_PROMPT"] = "0"
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


def same_remote(first: str, second: str) -> bool:
    """True when two remote URLs are the same spelling of one repository (see the module)."""
    return _remote_key(first) == _remote_key(second)


def _remote_key(url: str) -> str:
    text = url.strip().rstrip("/").removesuffix(".git").rstrip("/")
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme and parsed.netloc:
        user, at, host = parsed.netloc.rpartition("@")
        return urllib.parse.urlunsplit((parsed.scheme.lower(), f"{user}{at}{host.lower()}",
                                        parsed.path, parsed.query, parsed.fragment))
    scp = _SCP_LIKE.match(text)
    if scp and not parsed.scheme:
        return f"{scp['user'] or ''}{scp['host'].lower()}:{scp['path']}"
    return text


def clone_or_update(url: str, branch: str, dest: Path, run: Runner = run_command) -> Path:
    """A clone of `url` at `branch` in `dest`: cloned shallowly when `dest` is missing or
    empty, fetched and moved to `branch` when it is a clean clone of `url`; anything else
    raises a CistreamsError and leaves `dest` untouched."""
    if not dest.exists() or (dest.is_dir() and not any(dest.iterdir())):
        return _clone(url, branch, dest, run)
    _check_clone_of(url, dest, run)
    current = _check_clean(dest, run)
    _check_no_local_commits(dest, current, run)
    if branch != current:
        _check_no_local_commits(dest, branch, run, must_exist=False)
    _fetch_and_switch(url, branch, dest, run)
    return dest


def _git(run: Runner, *args: str) -> subprocess.CompletedProcess[str]:
    return run(["git", *args])


def _in(dest: Path, run: Runner, *args: str) -> subprocess.CompletedProcess[str]:
    """git run in `dest`, taking no optional lock (a status must not rewrite the index)."""
    return _git(run, "--no-optional-locks", "-C", str(dest), *args)


def _refuse(dest: Path, problem: str, todo: str) -> CistreamsError:
    return CistreamsError(f"{dest} {problem}; {todo}, or use another --working-dir "
                          "(cistreams left it as it is)")


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    return lines[-1] if lines else "git failed"


def _clone(url: str, branch: str, dest: Path, run: Runner) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    # on failure git itself removes what it created (and keeps a folder that was there)
    result = _git(run, "clone", "--quiet", "--depth", "1", "--branch", branch, "--", url, str(dest))
    if result.returncode != 0:
        raise CistreamsError(f"cannot clone branch '{branch}' of {url}: {_last_line(result)}")
    return dest


def _check_clone_of(url: str, dest: Path, run: Runner) -> None:
    """`dest` is the top of a git work tree whose origin is `url`."""
    if not dest.is_dir():
        raise _refuse(dest, "is not a folder", "move it away")
    top = _in(dest, run, "rev-parse", "--show-toplevel")
    # a plain folder inside some other repository is not a clone either
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != dest.resolve():
        raise _refuse(dest, f"is not empty and not a git clone of {url}",
                      "move its files away")
    origin = _in(dest, run, "config", "--get", "remote.origin.url").stdout.strip()
    if not same_remote(origin, url):
        raise _refuse(dest, f"is a clone of {origin or 'no origin'}, not of {url}",
                      "point --data-path at that remote")


def _check_clean(dest: Path, run: Runner) -> str:
    """The branch checked out in `dest`, which has no changed, untracked or ignored file
    (moving to another commit could overwrite an ignored one)."""
    status = _in(dest, run, "status", "--porcelain", "--untracked-files=all", "--ignored")
    if status.returncode != 0:
        raise _refuse(dest, f"cannot be read by git ({_last_line(status)})", "repair it")
    changes = status.stdout.splitlines()
    if changes:
        more = f" and {len(changes) - 1} more" if len(changes) > 1 else ""
        raise _refuse(dest, f"has local changes ({changes[0][3:]}{more})",
                      "commit, move or remove them")
    head = _in(dest, run, "symbolic-ref", "--quiet", "--short", "HEAD")
    if head.returncode != 0:
        raise _refuse(dest, "is not on a branch (detached HEAD)", "check out a branch")
    return head.stdout.strip()


def _check_no_local_commits(dest: Path, branch: str, run: Runner,
                            must_exist: bool = True) -> None:
    """Local `branch` points where `origin/branch` does: moving it loses no commit."""
    local = _in(dest, run, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}")
    if local.returncode != 0 and not must_exist:
        return
    tracking = _in(dest, run, "rev-parse", "--verify", "--quiet",
                   f"refs/remotes/origin/{branch}^{{commit}}")
    if tracking.returncode != 0 or local.stdout.strip() != tracking.stdout.strip():
        raise _refuse(dest, f"has branch '{branch}' with commits not on origin/{branch}",
                      "push or remove them")


def _fetch_and_switch(url: str, branch: str, dest: Path, run: Runner) -> None:
    # --depth only where the clone is shallow already: it would cut a full clone's history
    shallow = _in(dest, run, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    tracking = f"refs/remotes/origin/{branch}"
    fetched = _in(dest, run, "fetch", "--quiet", "--no-write-fetch-head",
                  *(["--depth", "1"] if shallow else []),
                  "origin", f"+refs/heads/{branch}:{tracking}")
    if fetched.returncode != 0:
        raise _refuse(dest, f"could not fetch branch '{branch}' of {url} "
                      f"({_last_line(fetched)})", "check the remote and try again")
    # clean and without local commits (checked above): switching loses nothing
    switched = _in(dest, run, "checkout", "--quiet", "-B", branch, tracking)
    if switched.returncode != 0:
        raise _refuse(dest, f"could not check out '{branch}' ({_last_line(switched)})",
                      "check out the branch yourself")

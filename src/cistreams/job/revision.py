"""Which build data a group's sync reads, and the revision it is at.

A git `--data-path` is cloned (or refreshed) once per group into the run's working
directory, and every step reads that checkout: the revision is its HEAD commit. A local
directory is used as it is: the revision is a digest of every file the load read (names
and contents), so that any change a step could see changes it. `{group}` in the data path
stands for the group's name, so one local folder can hold the checkouts of several groups.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from cistreams import builddata
from cistreams.builddata import Runner, run_command
from cistreams.errors import CistreamsError, FileRead, Problems
from cistreams.options import Source

GROUP_PLACEHOLDER = "{group}"
_COMMIT = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


@dataclass(frozen=True)
class Checkout:
    """The group's build data as every step reads it (a local directory) and its revision."""

    source: Source
    revision: str


def data_path_of(data_path: str, group: str) -> str:
    """The data path for one group: `{group}` replaced by its name."""
    return data_path.replace(GROUP_PLACEHOLDER, group)


def files_digest(files: tuple[FileRead, ...] | list[FileRead]) -> str:
    """`sha256:<hex>` of the files' names and contents, in name order (a file read twice
    counts once)."""
    outer = hashlib.sha256()
    for display, path in sorted({(f.display, f.path) for f in files}):
        try:
            content = Path(path).read_bytes()
        except OSError as exc:
            raise CistreamsError(f"{display}: cannot be read again for the revision "
                                 f"({exc.strerror or exc})") from None
        outer.update(f"{display}\0{hashlib.sha256(content).hexdigest()}\n".encode())
    return f"sha256:{outer.hexdigest()}"


def short(revision: str) -> str:
    """A revision as people read it: 12 hex digits of a commit, or `sha256:` and 12 of a
    digest."""
    if revision.startswith("sha256:"):
        return revision[:19]
    return revision[:12]


def git_head(directory: Path, run: Runner = run_command) -> str:
    """The commit checked out in `directory`."""
    done = run(["git", "--no-optional-locks", "-C", str(directory), "rev-parse", "HEAD"])
    commit = done.stdout.strip()
    if done.returncode != 0 or not _COMMIT.fullmatch(commit):
        last = (done.stderr.strip().splitlines() or ["no commit"])[-1]
        raise CistreamsError(f"{directory}: cannot read the checked-out commit ({last})")
    return commit


def check_out(source: Source, work: Path, run: Runner = run_command) -> Checkout:
    """Locate (clone or refresh: a git URL, into `work/<group>`) the group's build data and
    read its revision. A local directory is loaded to learn the files it reads, so its
    mistakes are raised here, every one together."""
    data_path = data_path_of(source.data_path, source.group)
    if builddata.is_remote(data_path):
        directory = builddata.locate(data_path, source.group, work / source.group, run)
        revision = git_head(directory, run)
    else:
        from cistreams import app  # the loader's imports only for a run that loads

        directory = builddata.locate(data_path, source.group, work, run)
        local = dataclasses.replace(source, data_path=str(directory), working_dir=None)
        problems = Problems()
        data, _ = app.load_build_data(local, False, problems, run)
        problems.check()
        revision = files_digest(data.files_read)
    return Checkout(dataclasses.replace(source, data_path=str(directory), working_dir=None),
                    revision)

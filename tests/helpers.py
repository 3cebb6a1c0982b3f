"""Shared test helpers: running the CLI in-process and finding the real-world corpus."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cistreams.cli import main

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = PROJECT.parent / "shared" / "corpus" / "ocp-build-data"
EXAMPLE = PROJECT / "examples" / "build-data"


@dataclass
class Run:
    """The outcome of one in-process CLI run."""

    code: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> Run:
    """Run `cistreams ARGS` in-process, capturing exit code and both streams."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return Run(code, out.getvalue(), err.getvalue())


def corpus_dirs(pattern: str = "*") -> list[Path]:
    """Corpus group directories matching `pattern` (empty when the corpus is absent)."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.glob(pattern) if p.is_dir())


def group_of(data_dir: Path) -> str:
    """`openshift-4.7` for a corpus folder named `openshift-4.7` or `openshift-4.7_2020-11-30`."""
    return data_dir.name.split("_", 1)[0]


def child_pids() -> set[int]:
    """The pids of this process's children, zombies included, read from /proc.

    Tests check that forked children were reaped this way rather than with
    `os.waitpid(-1, ...)`, which would reap (and so hide) anyone's child, such as the
    session's test cluster, which runs as children of the test process."""
    me = str(os.getpid())
    found: set[int] = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if fields[1] == me:  # after the command name: state, then the parent's pid
            found.add(int(stat.parent.name))
    return found


class Terminal(io.StringIO):
    """A captured stream that says it is a terminal (for colour and progress bars)."""

    def isatty(self) -> bool:
        return True


def patch_generate(monkeypatch: Any, fake: Any) -> None:
    """Make the gen-buildconfigs command run `fake(request, problems, ...)` in place of
    app.prepare (write) and app.finish (apply): its result, or its exception, is the run's."""
    from cistreams import app

    monkeypatch.setattr(app, "prepare", fake)
    monkeypatch.setattr(app, "finish", lambda prepared, applier=None: prepared)

"""Shared test helpers: running the CLI in-process and finding the real-world corpus."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

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

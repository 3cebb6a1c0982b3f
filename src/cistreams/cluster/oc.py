"""Applying the generated file to a cluster with `oc` (or kubectl): argument lists only."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cistreams.errors import CistreamsError

if TYPE_CHECKING:
    import subprocess

# doozer waited 60 s between its 3 tries; an API hiccup rarely lasts that long.
RETRY_DELAY_SECONDS = 10.0

ApplyRunner = Callable[[Sequence[str], str | None], "subprocess.CompletedProcess[str]"]


def run_with_input(argv: Sequence[str], stdin: str | None) -> subprocess.CompletedProcess[str]:
    """Run `argv` (no shell), feeding `stdin` when given, and capture its output."""
    import subprocess  # here: only --apply runs a program

    try:
        return subprocess.run(list(argv), input=stdin, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise CistreamsError(f"'{argv[0]}' was not found; install oc or name the binary with "
                             "--oc PATH (kubectl works too)") from None
    except PermissionError:
        raise CistreamsError(f"'{argv[0]}' is not executable") from None


@dataclass(frozen=True)
class Applier:
    """Runs `<oc> apply -f FILE [--as USER]`, retrying like doozer (3 tries)."""

    oc: str = "oc"
    connection_args: tuple[str, ...] = ()  # --kubeconfig / --context, passed on to oc
    tries: int = 3
    delay_seconds: float = field(default_factory=lambda: RETRY_DELAY_SECONDS)
    run: ApplyRunner = run_with_input
    sleep: Callable[[float], None] = time.sleep

    def command(self, path: str, as_user: str | None) -> list[str]:
        """The argument list for applying `path` ('-' reads standard input)."""
        argv = [self.oc, "apply", "-f", path, *self.connection_args]
        if as_user:
            argv += ["--as", as_user]
        return argv

    def apply(self, path: str, as_user: str | None, stdin: str | None = None) -> str:
        """Apply the file; return what oc printed, or raise with oc's own error."""
        argv = self.command(path, as_user)
        error = ""
        for attempt in range(1, self.tries + 1):
            result = self.run(argv, stdin)
            if result.returncode == 0:
                return result.stdout
            error = (result.stderr or result.stdout).strip() or f"exit status {result.returncode}"
            if attempt < self.tries:
                self.sleep(self.delay_seconds * attempt)
        raise CistreamsError(f"{' '.join(argv[:3])} failed after {self.tries} tries: {error}")

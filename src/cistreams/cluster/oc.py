"""Applying the generated file to a cluster with `oc` (or kubectl): argument lists only.

Only a failure that can pass on a second try is retried: a connection refused or reset, a
timeout, the server's 5xx or 429, as oc and kubectl word them. Anything else (a kind the
server does not serve, a missing right, an invalid object) fails at once, with the tool's own
error lines shown as lines, each once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cistreams.errors import CistreamsError, ErrorList

if TYPE_CHECKING:
    import subprocess

# doozer waited 60 s between its 3 tries; an API hiccup rarely lasts that long.
RETRY_DELAY_SECONDS = 10.0
SHOWN_LINES = 25

# The first line of each error oc and kubectl print (the lines after it explain it).
_ERROR_START = re.compile(r"^(error:|Error from server|unable to recognize|The connection to "
                          r"the server|Unable to connect to the server)")
# What an error that can pass on a second try says: the API server's 5xx and 429 (by their
# reason or message), etcd's transient errors, and broken or timed-out connections.
_TRANSIENT = re.compile("|".join([
    r"\((ServiceUnavailable|InternalError|TooManyRequests|Timeout|ServerTimeout)\)",
    r"the server is currently unable to handle the request", r"too many requests",
    r"internal error occurred", r"the server was unable to return a response in the time",
    r"etcdserver: (request timed out|leader changed)",
    r"connection (was )?refused", r"was refused - did you specify", r"connection reset by peer",
    r"broken pipe", r"unexpected EOF", r"server sent GOAWAY", r"use of closed network connection",
    r"no route to host", r"network is unreachable", r"i/o timeout", r"TLS handshake timeout",
    r"context deadline exceeded", r"Client\.Timeout exceeded", r"request canceled",
]), re.IGNORECASE)

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


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The tool's error lines (standard error, else standard output), each once, in order,
    without its own `error: ` prefix (ours comes in front of every line)."""
    text = result.stderr if result.stderr.strip() else result.stdout
    lines = [line.strip().removeprefix("error: ") for line in text.splitlines()]
    return list(dict.fromkeys(line for line in lines if line))


def can_pass_later(result: subprocess.CompletedProcess[str]) -> bool:
    """True when every error the tool printed is one that a second try may not meet."""
    text = result.stderr if result.stderr.strip() else result.stdout
    starts = [line for line in (raw.strip() for raw in text.splitlines())
              if _ERROR_START.match(line)]
    return bool(starts) and all(_TRANSIENT.search(line) for line in starts)


@dataclass(frozen=True)
class Applier:
    """Runs `<oc> apply -f FILE [--as USER]`, up to 3 times when the failure is transient."""

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
        """Apply the file; return what oc printed, or raise with oc's own error lines."""
        argv = self.command(path, as_user)
        for attempt in range(1, self.tries + 1):
            result = self.run(argv, stdin)
            if result.returncode == 0:
                return result.stdout
            if attempt == self.tries or not can_pass_later(result):
                break
            self.sleep(self.delay_seconds * attempt)
        times, last = (f" {attempt} times", " the last time") if attempt > 1 else ("", "")
        headline = f"{' '.join(argv[:4])} failed{times} (exit status {result.returncode}{last})"
        lines = error_lines(result)
        if not lines:
            raise CistreamsError(headline)
        raise ErrorList([CistreamsError(f"{headline}:"), *map(CistreamsError, lines)],
                        SHOWN_LINES + 1)

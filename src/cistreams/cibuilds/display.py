"""What a long run shows while it runs: one line per change, and on a terminal a status line.

Every line said goes to standard error as it happens (in CI logs: one line per change, each
whole, nothing redrawn). On a terminal a status line (say, `5 of 20 builds done, 3 running;
1m02s`) sits under those lines and is redrawn every second; it is cleared before a line is
written and when the run ends, so the scrollback holds only the lines. Lines are kept
(`lines`) for --format json, which shows nothing while it runs. With `echo`, each line goes
to it instead (no status line): how `cistreams sync` collects a step's lines.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TextIO

from cistreams.errors import one_line

CLEAR = "\r\x1b[K"  # back to the start of the line, erase it
TICK_SECONDS = 1.0


class Display:
    """Lines and, on a terminal, a live status line (see the module doc)."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False,
                 terminal: bool | None = None,
                 echo: Callable[[str], None] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.echo = echo  # where lines go instead of `stream` (cistreams sync's log), if set
        self.terminal = (self.stream.isatty() if terminal is None else terminal) and not quiet \
            and echo is None
        self.lines: list[str] = []
        self._status = ""
        self._render: Callable[[], str] | None = None
        self._lock = threading.Lock()
        self._stop: threading.Event | None = None
        self._ticker: threading.Thread | None = None

    def say(self, text: str) -> None:
        """One line, whole (control characters escaped)."""
        line = one_line(text)
        with self._lock:
            self.lines.append(line)
            if self.quiet:
                return
            if self.echo is not None:
                self.echo(line)
                return
            if self._render is not None:  # drawn again as it is now, under the new line
                self._status = one_line(self._render())
            self.stream.write(f"{CLEAR if self._status else ''}{line}\n{self._status}")
            self.stream.flush()

    def status(self, text: str) -> None:
        """Replace the status line (terminal only)."""
        if not self.terminal:
            return
        with self._lock:
            self._status = one_line(text)
            self.stream.write(f"{CLEAR}{self._status}")
            self.stream.flush()

    def live(self, render: Callable[[], str]) -> None:
        """Redraw the status line from `render()` every second until `done()`."""
        if not self.terminal or self._ticker is not None:
            return
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(TICK_SECONDS):
                self.status(render())

        self.status(render())  # the first one at once, the others each second
        self._render = render
        self._stop, self._ticker = stop, threading.Thread(target=tick, daemon=True)
        self._ticker.start()

    def done(self) -> None:
        """Stop redrawing and erase the status line."""
        if self._stop is not None and self._ticker is not None:
            self._stop.set()
            self._ticker.join()
        self._stop = self._ticker = None
        with self._lock:
            self._render = None
            if self._status:
                self.stream.write(CLEAR)
                self.stream.flush()
            self._status = ""

"""Progress for long cluster runs: a bar on a terminal, after the first second, else nothing.

Logs in CI stay one line per object: the bar is drawn only when standard error is a
terminal, and only once a run has taken more than a second, so quick runs never flash one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

SHOW_AFTER_SECONDS = 1.0


def delayed_progress(label: str, total: int) -> Callable[[], None]:
    """A function to call once per finished item; draws a bar when it is worth one."""
    import threading

    started = time.monotonic()
    state: dict[str, Any] = {"done": 0, "bar": None}
    lock = threading.Lock()
    terminal = sys.stderr.isatty()

    def advance() -> None:
        with lock:
            state["done"] += 1
            if not terminal:
                return
            if state["bar"] is None and time.monotonic() - started > SHOW_AFTER_SECONDS:
                import click

                bar = click.progressbar(length=total, label=label, file=sys.stderr)
                bar.update(state["done"] - 1)
                state["bar"] = bar
            bar = state["bar"]
            if bar is not None:
                bar.update(1)
                if state["done"] >= total:
                    bar.render_finish()

    return advance

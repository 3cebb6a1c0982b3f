"""The progress bar: on a terminal after the first second, never in CI logs."""

from __future__ import annotations

import io

import pytest

from cistreams import progress
from helpers import Terminal


def test_a_terminal_gets_a_bar_once_a_run_is_slow(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    monkeypatch.setattr(progress, "SHOW_AFTER_SECONDS", -1.0)
    advance = progress.delayed_progress("applying", 3)
    for _ in range(3):
        advance()
    assert "applying" in screen.getvalue()
    assert "3/3" in screen.getvalue() or "100%" in screen.getvalue()


def test_a_quick_run_draws_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    monkeypatch.setattr(progress, "SHOW_AFTER_SECONDS", 3600.0)
    advance = progress.delayed_progress("applying", 3)
    for _ in range(3):
        advance()
    assert screen.getvalue() == ""


def test_logs_never_get_a_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    log = io.StringIO()
    monkeypatch.setattr("sys.stderr", log)
    monkeypatch.setattr(progress, "SHOW_AFTER_SECONDS", -1.0)
    advance = progress.delayed_progress("applying", 3)
    for _ in range(3):
        advance()
    assert log.getvalue() == ""

"""How `cistreams diff` prints: colour on a terminal only."""

from __future__ import annotations

import io

import pytest

from cistreams.commands import diff
from helpers import Terminal

DIFF = "--- live/x\n+++ applied/x\n@@ -1 +1 @@\n-a: 1\n+a: 2\n"


def test_a_terminal_gets_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Terminal()
    monkeypatch.setattr("sys.stdout", screen)
    diff.print_diff(DIFF)
    text = screen.getvalue()
    assert "\x1b[31m-a: 1" in text and "\x1b[32m+a: 2" in text and "\x1b[36m@@" in text
    assert "\x1b[1m--- live/x" in text


def test_a_pipe_gets_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = io.StringIO()
    monkeypatch.setattr("sys.stdout", pipe)
    diff.print_diff(DIFF)
    assert pipe.getvalue() == DIFF


def test_diff_colours_on_a_terminal_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Terminal()
    monkeypatch.setattr("sys.stdout", screen)
    diff.print_diff("--- live/x\n+++ applied/x\n@@ -1,2 +1,2 @@\n b: 3\n-a: 1\n+a: 2\n")
    assert screen.getvalue() == ("\x1b[1m--- live/x\x1b[0m\n\x1b[1m+++ applied/x\x1b[0m\n"
                                 "\x1b[36m@@ -1,2 +1,2 @@\x1b[0m\n b: 3\n\x1b[31m-a: 1\x1b[0m\n"
                                 "\x1b[32m+a: 2\x1b[0m\n")

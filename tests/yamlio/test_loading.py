from __future__ import annotations

import pytest

from cistreams import yamlio
from cistreams.errors import CistreamsError


def test_lines_are_kept_for_keys_and_items() -> None:
    data = yamlio.load("a: 1\nb:\n  c: 2\nd:\n- x\n- y\n", "f.yml")
    assert yamlio.line_of(data, "a") == 1
    assert yamlio.line_of(data["b"], "c") == 3
    assert yamlio.line_of(data["d"], 1) == 6


def test_duplicate_keys_are_an_error_with_both_lines() -> None:
    with pytest.raises(CistreamsError, match=r"f.yml:3: duplicate key 'a' \(first defined on line 1\)"):
        yamlio.load("a: 1\nb: 2\na: 3\n", "f.yml")


def test_merge_keys_may_be_overridden() -> None:
    data = yamlio.load("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n", "f.yml")
    assert data["use"] == {"x": 1, "y": 3}


def test_python_tags_are_refused() -> None:
    with pytest.raises(CistreamsError, match="unsupported YAML tag"):
        yamlio.load("a: !!python/object/apply:os.system ['true']\n", "f.yml")


def test_alias_bomb_fails_fast() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    with pytest.raises(CistreamsError, match="alias bomb"):
        yamlio.load("\n".join(lines) + "\n", "bomb.yml")


def test_syntax_errors_name_the_line() -> None:
    with pytest.raises(CistreamsError, match=r"^f.yml:2: YAML syntax error"):
        yamlio.load("a: 1\n  b: [\n", "f.yml")

from __future__ import annotations

import pytest

from cistreams import yamlengine
from cistreams.errors import CistreamsError


def test_lines_are_kept_for_keys_and_items() -> None:
    data = yamlengine.load("a: 1\nb:\n  c: 2\nd:\n- x\n- y\n", "f.yml")
    assert yamlengine.line_of(data, "a") == 1
    assert yamlengine.line_of(data["b"], "c") == 3
    assert yamlengine.line_of(data["d"], 1) == 6


def test_duplicate_keys_are_an_error_with_both_lines() -> None:
    with pytest.raises(CistreamsError, match=r"f.yml:3: duplicate key 'a' \(first defined on line 1\)"):
        yamlengine.load("a: 1\nb: 2\na: 3\n", "f.yml")


def test_merge_keys_may_be_overridden() -> None:
    data = yamlengine.load("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n", "f.yml")
    assert data["use"] == {"x": 1, "y": 3}


def test_python_tags_are_refused() -> None:
    with pytest.raises(CistreamsError, match="unsupported YAML tag"):
        yamlengine.load("a: !!python/object/apply:os.system ['true']\n", "f.yml")


def test_alias_bomb_fails_fast() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    with pytest.raises(CistreamsError, match="alias bomb"):
        yamlengine.load("\n".join(lines) + "\n", "bomb.yml")


def test_syntax_errors_name_the_line() -> None:
    with pytest.raises(CistreamsError, match=r"^f.yml:2: YAML syntax error"):
        yamlengine.load("a: 1\n  b: [\n", "f.yml")


def test_doozer_dump_is_pyyaml_default_output() -> None:
    assert yamlengine.dump_doozer([]) == ""
    text = yamlengine.dump_doozer([{"b": 1, "a": {"x": "50%"}}, {"k": []}])
    assert text == "a:\n  x: 50%\nb: 1\n---\nk: []\n"


def test_readable_dump_keeps_order_and_literal_blocks() -> None:
    text = yamlengine.dump_readable([{"b": "one\ntwo\n", "a": 1}])
    assert text == "---\nb: |\n  one\n  two\na: 1\n"

"""The two writers: the readable layout's rules, and doozer's bytes."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from cistreams import yamlio

SCALARS = st.one_of(st.text(max_size=40), st.integers(), st.booleans(), st.none())
DOCUMENTS = st.lists(st.dictionaries(st.text(min_size=1, max_size=10),
                                     st.one_of(SCALARS, st.lists(SCALARS, max_size=3)),
                                     max_size=5), max_size=3)


def test_readable_keeps_key_order_and_writes_multi_line_strings_as_literal_blocks() -> None:
    text = yamlio.dump_readable([{"b": "FROM x\nRUN y\n", "a": 1, "l": ["p\nq"]}])
    assert text == "---\nb: |\n  FROM x\n  RUN y\na: 1\nl:\n- |-\n  p\n  q\n"


def test_readable_never_wraps_long_lines_and_keeps_unicode() -> None:
    long = "word " * 300 + "é"
    text = yamlio.dump_readable([{"a": long.strip()}])
    assert text == f"---\na: {long.strip()}\n"


def test_readable_starts_every_document() -> None:
    assert yamlio.dump_readable([{"a": 1}, {"b": 2}]) == "---\na: 1\n---\nb: 2\n"
    assert yamlio.dump_readable([]) == ""


@given(DOCUMENTS)
def test_readable_round_trips(objects: list[dict[str, Any]]) -> None:
    assert list(yaml.safe_load_all(yamlio.dump_readable(objects))) == objects


def test_doozer_bytes_sort_keys_and_separate_documents() -> None:
    assert yamlio.dump_doozer([]) == ""
    text = yamlio.dump_doozer([{"b": 1, "a": {"x": "50%", "d": "FROM x\nRUN y\n"}}, {"k": []}])
    assert text == "a:\n  d: 'FROM x\n\n    RUN y\n\n    '\n  x: 50%\nb: 1\n---\nk: []\n"


@given(DOCUMENTS)
def test_doozer_bytes_are_pyyaml_defaults(objects: list[dict[str, Any]]) -> None:
    # doozer called yaml.dump_all(objects, f, default_flow_style=False): the default Dumper
    assert yamlio.dump_doozer(objects) == yaml.dump_all(objects, default_flow_style=False)

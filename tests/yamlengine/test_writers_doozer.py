"""The fast doozer-2020 writer must write exactly what yaml.dump_all (pure Python) writes."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cistreams.yamlengine import forkjoin, layout, writers
from cistreams.yamlengine.pyyaml_scalars import PyYamlScalars, analyze, choose_style


def reference(objects: list[dict[str, Any]]) -> str:
    return yaml.dump_all(objects, Dumper=yaml.Dumper, default_flow_style=False)


def fast_only(objects: list[dict[str, Any]]) -> str:
    """The fast path alone (no fallback), so a test sees its own bytes."""
    return writers.dump_documents(objects, PyYamlScalars(), sort_keys=True,
                                    separator="---\n", first_separator="")


# Characters that exercise every rule: indicators, quotes, breaks, escapes, unicode.
TRICKY = st.sampled_from([*list(" '\"#:-?,[]{}&*!|>%@`\\\n\t\r\0\x85\xa0\u2028\ufeffé€😀"),
                         "  ", "\n\n", ": ", " #", "---", "...", "'", "\\\n"])
WORDS = st.sampled_from(["true", "no", "null", "~", "1", "0x1F", "1.5e3", "2020-11-30", "=",
                         "<<", "50%", "FROM", "RUN", "a", "word", "x" * 30, "y" * 90])
TEXT = st.lists(st.one_of(TRICKY, WORDS, st.text(max_size=12)), max_size=40).map("".join)
LONG_LINES = st.lists(st.text(alphabet="ab '\n\"\\\t", min_size=0, max_size=120), max_size=8
                      ).map(" ".join)
STRINGS = st.one_of(TEXT, LONG_LINES, st.text())
KEYS = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_.-]{0,20}", fullmatch=True)
LEAVES: st.SearchStrategy[Any] = st.one_of(STRINGS, st.integers(), st.booleans(),
                                           st.builds(dict), st.builds(list))


def trees(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)), max_leaves=25)


DOCUMENTS = st.lists(st.dictionaries(KEYS, trees(LEAVES), min_size=1, max_size=6), max_size=3)


@settings(max_examples=600, deadline=None)
@given(DOCUMENTS)
def test_random_documents_match_pyyaml(objects: list[dict[str, Any]]) -> None:
    try:
        text = fast_only(objects)
    except layout.Unsupported:
        return
    assert text == reference(objects)


@settings(max_examples=1500, deadline=None)
@given(STRINGS, st.integers(min_value=0, max_value=5), st.sampled_from(["k", "a" * 70]))
def test_scalars_at_many_columns_match_pyyaml(value: str, depth: int, key: str) -> None:
    obj: Any = value
    for _ in range(depth):
        obj = {key: obj}
    objects = [{"x": obj}, {"list": [value, [value], {key: value}]}]
    assert fast_only(objects) == reference(objects)


@pytest.mark.parametrize("value", [
    "", " ", "a ", " a", "a\n", "\na", "a \nb", "a\n b", "- a", "-a", "? x", ":x", "a: b",
    "a:b", "a #b", "a#b", "#a", "'", '"', "yes", "NO", "1_000", ".5", "=", "é", "\t",
    "x" * 79 + " y", "x" * 81 + " y", "x" * 81 + "  y", "a\n\n\nb", "a'" * 60,
    "x" * 78 + "\n" + " " * 3 + "y", "\\" * 100, ("ab\n" * 40) + " ",
])
def test_edge_values_match_pyyaml(value: str) -> None:
    objects = [{"spec": {"dockerfile": value, "list": [value]}, (value and "k") or "e": value}]
    assert fast_only(objects) == reference(objects)


def test_styles_follow_pyyaml_rules() -> None:
    assert choose_style("plain text", layout.STR_TAG, False) == ""
    assert choose_style("true", layout.STR_TAG, False) == "'"
    assert choose_style("a\n b", layout.STR_TAG, False) == '"'
    assert choose_style("a\nb", layout.STR_TAG, False) == "'"
    assert analyze("a: b").plain is False
    assert analyze("a:b").plain is True


def test_shared_objects_fall_back_to_pyyaml() -> None:
    shared = {"a": "b"}
    objects = [{"one": shared, "two": shared}]
    with pytest.raises(layout.Unsupported):
        fast_only(objects)
    assert forkjoin.join(writers.dump_doozer(objects, reference)) == reference(objects)
    assert "&id001" in forkjoin.join(writers.dump_doozer(objects, reference))


@pytest.mark.parametrize("objects", [
    [{"a": 1.5}], [{"a": None}], [{1: "int key"}], [{"": "empty key"}], [{"a": ("t",)}],
    [{"long key " * 20: 1}], [{"on": 1}], [["not", "a", "mapping"]], [{}],
])
def test_unsupported_shapes_fall_back(objects: list[Any]) -> None:
    with pytest.raises(layout.Unsupported):
        fast_only(objects)
    assert forkjoin.join(writers.dump_doozer(objects, reference)) == reference(objects)


def test_empty_output() -> None:
    assert fast_only([]) == reference([]) == ""

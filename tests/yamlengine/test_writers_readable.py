"""The fast readable writer: the libyaml dumper's bytes, and always loads back unchanged."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cistreams import yamlengine
from cistreams.yamlengine import forkjoin, layout, writers
from cistreams.yamlengine.libyaml_scalars import LibYamlScalars

reference = yamlengine.reference_dump_readable


def fast_only(objects: list[dict[str, Any]]) -> str:
    return writers.dump_documents(objects, LibYamlScalars(), sort_keys=False,
                                    separator="---\n", first_separator="---\n")


TRICKY = st.sampled_from([*list(" '\"#:-?,[]{}&*!|>%@`\\\n\t\r\0\x85\xa0\u2028\ufeffé€😀\x7f"),
                         "  ", "\n\n", ": ", " #", "---", "...", "\n ", " \n", "x" * 200])
WORDS = st.sampled_from(["true", "no", "null", "~", "1", "0x1F", "1.5e3", "2020-11-30", "=",
                         "<<", "50%", "FROM x\n", "RUN a && \\\n  b\n", "word", "ß"])
STRINGS = st.one_of(st.lists(st.one_of(TRICKY, WORDS, st.text(max_size=10)), max_size=30
                             ).map("".join), st.text())
KEYS = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_.-]{0,20}", fullmatch=True)
LEAVES: st.SearchStrategy[Any] = st.one_of(STRINGS, st.integers(), st.booleans(),
                                           st.builds(dict), st.builds(list))
TREES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)), max_leaves=25)
DOCUMENTS = st.lists(st.dictionaries(KEYS, TREES, min_size=1, max_size=6), max_size=3)


@settings(max_examples=800, deadline=None)
@given(DOCUMENTS)
def test_fast_path_equals_libyaml_and_round_trips(objects: list[dict[str, Any]]) -> None:
    try:
        text = fast_only(objects)
    except layout.Unsupported:
        text = None
    if text is not None:
        assert text == reference(objects)
    written = yamlengine.dump_readable(objects)
    assert list(yaml.safe_load_all(written)) == objects


@settings(max_examples=800, deadline=None)
@given(STRINGS)
def test_every_string_round_trips(value: str) -> None:
    objects = [{"a": value, "b": [value, {"c": value}], "d": {"e": [[value]]}}]
    written = yamlengine.dump_readable(objects)
    assert list(yaml.safe_load_all(written)) == objects


@pytest.mark.parametrize("value", [
    "FROM x\nRUN y\n", "no newline\nat end", "trailing \nspace", "tab\there\n", " lead\n",
    "\nlead break", "keep\n\n", "", "true", "it's", "a: b", "é ü", "\ufeff", "😀",
])
def test_edge_values(value: str) -> None:
    objects = [{"spec": {"dockerfile": value, "command": ["/bin/bash", "-c", value]}}]
    assert yamlengine.dump_readable(objects) == reference(objects)
    assert list(yaml.safe_load_all(yamlengine.dump_readable(objects))) == objects


def test_literal_blocks_are_used_for_dockerfiles() -> None:
    objects = [{"spec": {"dockerfile": "FROM x\nRUN y\n"}, "list": ["a\nb"]}]
    assert fast_only(objects) == ("---\nspec:\n  dockerfile: |\n    FROM x\n    RUN y\n"
                                  "list:\n- |-\n  a\n  b\n")


def test_long_lines_fall_back_to_libyaml() -> None:
    objects = [{"a": "word " * 1000}]
    with pytest.raises(layout.Unsupported):
        fast_only(objects)
    assert forkjoin.join(writers.dump_readable(objects, reference)) == reference(objects)

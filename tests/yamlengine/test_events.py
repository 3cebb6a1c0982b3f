"""The event-built fast path loads exactly what the general (node) path loads, lines included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cistreams import yamlengine
from cistreams.errors import CistreamsError
from cistreams.yamlengine import events
from helpers import corpus_dirs


def general(text: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        patch.setattr(events, "load", lambda *_, **__: events.FALLBACK)
        return yamlengine.load(text, "f.yml")


def marks(data: Any) -> Any:
    """The data with every container's line marks spelled out, for comparison."""
    if isinstance(data, yamlengine.MarkedMap):
        return ("map", data.line, {k: (data.key_lines[k], marks(v)) for k, v in data.items()})
    if isinstance(data, yamlengine.MarkedSeq):
        return ("seq", data.line, list(zip(data.item_lines, map(marks, data), strict=True)))
    return (type(data).__name__, data)


def files() -> list[Path]:
    found = []
    for folder in corpus_dirs():
        found += [p for p in sorted(folder.rglob("*.yml")) if p.name != "group.ext.yml"]
    return found


@pytest.mark.parametrize("path", files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_files_load_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text()
    fast = events.load(text, "f.yml", yamlengine.MarkedMap, yamlengine.MarkedSeq)
    assert fast is not events.FALLBACK
    assert marks(fast) == marks(general(text, monkeypatch))


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=12), st.sampled_from(["yes", "no", "~", "0x1f", "1_000",
                                                           "2020-01-01", "<<", "=", ".inf"]))
TREES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(tree=TREES, flow=st.booleans())
def test_random_documents_load_the_same(tree: Any, flow: bool) -> None:
    text = yaml.safe_dump(tree, default_flow_style=flow, allow_unicode=True)
    with pytest.MonkeyPatch.context() as patch:
        try:
            slow: Any = marks(general(text, patch))
        except CistreamsError as exc:
            slow = str(exc)
    try:
        fast: Any = marks(yamlengine.load(text, "f.yml"))
    except CistreamsError as exc:
        fast = str(exc)
    assert fast == slow


def test_anchors_and_merges_take_the_general_path() -> None:
    text = "a: &x {k: 1}\nb:\n  <<: *x\n  j: 2\n"
    assert events.load(text, "f", yamlengine.MarkedMap, yamlengine.MarkedSeq) is events.FALLBACK
    assert yamlengine.load(text, "f") == {"a": {"k": 1}, "b": {"k": 1, "j": 2}}


SUBSTITUTED = """\
golang-{GO}:
  upstream_image: registry/ocp/builder:golang-{GO}-openshift-{MAJOR}.{MINOR}
  aliases:
  - a-{GO}
  - '{NOPE}'
  - plain
  nested:
    deep: '{{literal}} {UNKNOWN}'
  '{MAJOR}': key-is-a-placeholder
plain: '{{MAJOR}}'
"""


def test_substitution_while_loading_equals_substitution_after(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from cistreams.builddata import substitution
    from cistreams.errors import Problems

    variables = {"GO": "1.22", "MAJOR": 4, "MINOR": 17}
    results = []
    for fast in (True, False):
        problems = Problems()
        fmt = substitution.safe_formatter(variables, problems, unknown_is_error=False)
        with monkeypatch.context() as patch:
            if not fast:
                patch.setattr(events, "load", lambda *_, **__: events.FALLBACK)
            data = substitution.load_substituted(SUBSTITUTED, "streams.yml", fmt)
        results.append((marks(data), problems.warnings))
    assert results[0] == results[1]
    assert results[0][1] == [
        "streams.yml:5: golang-1.22.aliases.1: unknown placeholder {NOPE}; left as written "
        "(known: GO, MAJOR, MINOR)",
        "streams.yml:8: golang-1.22.nested.deep: unknown placeholder {UNKNOWN}; left as "
        "written (known: GO, MAJOR, MINOR)"]


WORDS = ["yes", "Yes", "YES", "no", "No", "true", "True", "TRUE", "false", "False", "FALSE",
         "on", "On", "OFF", "null", "Null", "NULL", "Falsey", "nullify", "offset", "onwards",
         "yesterday", "trueish", "Nothing", "tilde~"]


@pytest.mark.parametrize("word", WORDS)
def test_letter_initial_words_resolve_as_the_safe_loader_does(word: str) -> None:
    text = f"key: {word}\nlist:\n- {word}\n"
    fast = events.load(text, "f.yml", yamlengine.MarkedMap, yamlengine.MarkedSeq)
    expected = yaml.safe_load(text)
    assert fast == expected
    assert type(fast["key"]) is type(expected["key"])

"""A big mapping read in two halves equals the whole read: values, lines, substitutions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cistreams import yamlengine
from cistreams.builddata import substitution
from cistreams.errors import CistreamsError, Problems
from cistreams.yamlengine import events, forkjoin
from cistreams.yamlengine import halves as yamlhalves
from helpers import child_pids, corpus_dirs

needs_fork = pytest.mark.skipif(not forkjoin.can_fork(), reason="needs fork and a second CPU")


@pytest.fixture(autouse=True)
def halves_for_any_size(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(yamlhalves, "MIN_CHARS", 0)
    before = child_pids()
    yield
    assert child_pids() <= before  # every child this test forked was reaped


def marks(data: Any) -> Any:
    """The data with every container's line marks spelled out, for comparison."""
    if isinstance(data, yamlengine.MarkedMap):
        return ("map", data.line, data.source,
                {k: (data.key_lines[k], marks(v)) for k, v in data.items()})
    if isinstance(data, yamlengine.MarkedSeq):
        return ("seq", data.line, list(zip(data.item_lines, map(marks, data), strict=True)))
    return (type(data).__name__, data)


def both(text: str, formatter: Any = None) -> tuple[Any, Any]:
    """(two halves, whole) loads of `text`."""
    halved = events.load(text, "s.yml", yamlengine.MarkedMap, yamlengine.MarkedSeq, formatter, 2)
    whole = events.load(text, "s.yml", yamlengine.MarkedMap, yamlengine.MarkedSeq, formatter, 1)
    return halved, whole


def streams(count: int) -> str:
    parts = ["# streams\n"]
    for i in range(count):
        parts.append(f"\n# stream {i}\nstream-{i}:\n  aliases:\n  - alias-{i}\n"
                     f"  transform: rhel-8/golang\n  mirror: {'true' if i % 2 else 'false'}\n"
                     f"  upstream_image: registry.ci.openshift.org/ocp/b:s{i}-{{MAJOR}}.{{MINOR}}\n"
                     f"  note: |\n    line one\n    line two {i}\n")
    return "".join(parts)


@needs_fork
def test_halves_equal_the_whole_with_substitution(monkeypatch: pytest.MonkeyPatch) -> None:
    text = streams(60)
    assert yamlhalves.split(text) is not None
    joins: list[int] = []
    real_join = yamlhalves._joined

    def counted_join(first: Any, second: Any) -> Any:
        joins.append(len(second))
        return real_join(first, second)

    monkeypatch.setattr(yamlhalves, "_joined", counted_join)
    problems = Problems()
    formatter = substitution.safe_formatter({"MAJOR": 4, "MINOR": 17}, problems, False)
    halved, whole = both(text, formatter)
    assert joins and 0 < joins[0] < 60  # the child really read a share
    assert marks(halved) == marks(whole)
    assert halved["stream-59"]["upstream_image"].endswith(":s59-4.17")
    assert problems.warnings == [] and problems.errors == []


@pytest.mark.parametrize("text", [
    "a: 1\n---\nb: 2\n" * 3,  # several documents
    "%YAML 1.1\n---\na: 1\nb: 2\n",  # a directive
    "a: 1\r\nb: 2\rc: 3\n",  # a lone carriage return shifts libyaml's line count
    "a: 1\nb: 2\u2028c: 3\n",
    "just a scalar\n",
])
def test_unsafe_texts_are_not_cut(text: str) -> None:
    assert yamlhalves.split(text) is None


def test_the_cut_is_a_top_level_key_and_lines_keep_their_numbers() -> None:
    text = streams(10)
    halves = yamlhalves.split(text)
    assert halves is not None
    first, second = halves
    assert second.lstrip("\n").startswith("stream-")
    assert first.count("\n") == second.count("\n") - second.lstrip("\n").count("\n")
    assert first + second.lstrip("\n") == text


@needs_fork
@pytest.mark.parametrize("mistake", [
    "stream-1:\n  again: true\n",  # a key of the first half repeated in the second
    "stream-58:\n  again: true\n",  # a duplicate inside the second half
    "late: '{UNKNOWN}'\n",  # a warning only a whole read may give
    "bad: [unclosed\n",
])
def test_mistakes_read_as_the_whole_text_reads_them(mistake: str) -> None:
    text = streams(60) + mistake

    def outcome(jobs: int) -> Any:
        problems = Problems()
        formatter = substitution.safe_formatter({"MAJOR": 4, "MINOR": 17}, problems, False)
        try:
            loaded = events.load(text, "s.yml", yamlengine.MarkedMap, yamlengine.MarkedSeq,
                                     formatter, jobs)
        except (CistreamsError, yaml.YAMLError) as exc:
            return ("error", str(exc), problems.warnings)
        return (marks(loaded), problems.warnings)

    assert outcome(2) == outcome(1)


KEYS = st.from_regex(r"[a-z][a-z0-9_-]{0,6}", fullmatch=True)
VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10),
              st.sampled_from(["yes", "No", "~", "0x1f", "2020-01-01", "a: b", "- x", "#c",
                               "line\nbreak", "'q'", '"dq"', "{MAJOR}"])),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8)


@needs_fork
@settings(max_examples=60, deadline=None)
@given(entries=st.dictionaries(KEYS, VALUES, min_size=2, max_size=12),
       flow=st.booleans(), width=st.sampled_from([20, 80]))
def test_random_mappings_load_the_same(entries: dict[str, Any], flow: bool,
                                       width: int) -> None:
    text = yaml.safe_dump(entries, default_flow_style=flow, width=width, allow_unicode=True)
    try:
        whole = events.load(text, "s.yml", yamlengine.MarkedMap, yamlengine.MarkedSeq, None, 1)
    except yaml.YAMLError:
        return
    halved = events.load(text, "s.yml", yamlengine.MarkedMap, yamlengine.MarkedSeq, None, 2)
    assert marks(halved) == marks(whole)


@needs_fork
@pytest.mark.parametrize("path", [p / "streams.yml" for p in corpus_dirs()
                                  if (p / "streams.yml").is_file()], ids=lambda p: p.parent.name)
def test_corpus_streams_load_the_same(path: Any) -> None:
    text = path.read_text()
    halved, whole = both(text)
    assert marks(halved) == marks(whole)


@needs_fork
@pytest.mark.parametrize("text", [
    " stream1:\n   image: a\n#xxxxxxxxxxxxxxxxxxxx\nstream2:\n   image: b\n",  # indented top
    "{a: 1}\nkey: 2\n",  # a flow mapping, then stray content
    "--- {a: 1}\nkey: 2\n",
    "a: 1\n#xxxxxxxxxxxx\nkey: 2\n.NaN: 3\n",  # a key that is not equal to itself
    "a: 1\n.nan: 0\n#xxxxxxxxxxxx\nkey: 2\n.nan: 3\n",
])
def test_texts_found_by_review_read_as_the_whole_text_reads_them(text: str) -> None:
    def outcome(jobs: int) -> Any:
        try:
            return repr(marks(yamlengine.load(text, "streams.yml", jobs=jobs)))
        except CistreamsError as exc:
            return str(exc)

    assert outcome(2) == outcome(1)

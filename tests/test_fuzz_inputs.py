"""Random mutations of valid build data never give a traceback, a partial file or a hang.

Mutations work on the text (lines dropped, duplicated, cut, garbage inserted) and on the
parsed tree (any value replaced by null, numbers, lists, mappings or hostile strings). A run
may succeed or fail, but a failure is exit 1 with `error:` lines only, the previous output
untouched, and no temporary file left behind. SIGALRM bounds each run as a hang guard.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import run_cli

BASE = Path(__file__).parent / "bad_inputs" / "_base"
PREVIOUS = b"previous output\n"
HOSTILE = ["", " ", "'", '"', "$(id)", "`id`", "a\nb", "\u2028", "{MAJOR", "}", "{NOPE}",
           "x" * 300, "rhel-8/golang", "registry.ci.openshift.org/ocp/is:tag", "é", "\\",
           "!!python/object:os.system", "*alias", "&anchor", "- item", "key: value", "#"]
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.sampled_from(HOSTILE),
                   st.text(max_size=40), st.lists(st.sampled_from(HOSTILE), max_size=3),
                   st.dictionaries(st.sampled_from(["a", "x86_64", "enabled"]),
                                   st.sampled_from(HOSTILE), max_size=2))


@contextmanager
def hang_guard(seconds: int) -> Iterator[None]:
    def alarm(*_: object) -> None:
        raise TimeoutError(f"a run took more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += paths(value, (*prefix, index))
    return found


def replace(tree: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        tree = tree[step]
    tree[path[-1]] = value


@st.composite
def tree_mutation(draw: st.DrawFn, text: str) -> str:
    tree = yaml.safe_load(text)
    targets = paths(tree)
    for _ in range(draw(st.integers(1, 3))):
        replace(tree, draw(st.sampled_from(targets)), draw(VALUES))
        targets = paths(tree)
        if not targets:
            break
    return str(yaml.safe_dump(tree, allow_unicode=True))


@st.composite
def text_mutation(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines(keepends=True)
    index = draw(st.integers(0, len(lines) - 1))
    kind = draw(st.sampled_from(["drop", "duplicate", "cut", "insert"]))
    if kind == "drop":
        del lines[index]
    elif kind == "duplicate":
        lines.insert(index, lines[index])
    elif kind == "cut":
        lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
    else:
        garbage = draw(st.sampled_from([*HOSTILE, "\t", ": ", "[", "{", "&a", "*a", "<<: *a"]))
        position = draw(st.integers(0, len(lines[index])))
        lines[index] = lines[index][:position] + garbage + lines[index][position:]
    return "".join(lines)


def mutated(file: str) -> st.SearchStrategy[tuple[str, str]]:
    text = (BASE / file).read_text()
    return st.tuples(st.just(file), st.one_of(tree_mutation(text), text_mutation(text)))


def check_run(tmp_path: Path, file: str, text: str, mode: tuple[str, ...]) -> None:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    for name in ("group.yml", "streams.yml"):
        (data / name).write_text((BASE / name).read_text())
    (data / file).write_text(text)
    out = tmp_path / "out.yaml"
    out.write_bytes(PREVIOUS)
    with hang_guard(20):
        result = run_cli("--data-path", str(data), "-g", "openshift-4.17", "gen-buildconfigs",
                         *mode, "-o", str(out))
    assert result.code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out.yaml"]
    if result.code == 1:
        assert out.read_bytes() == PREVIOUS
        assert all(line.startswith(("error: ", "warning: "))
                   for line in result.stderr.splitlines()), result.stderr
    else:
        written = out.read_text()
        assert written == "" or written.endswith("\n")
        list(yaml.safe_load_all(written))


FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(change=st.one_of(mutated("streams.yml"), mutated("group.yml")),
       mode=st.sampled_from([(), ("--compat", "doozer-2020"), ("--live-test-mode",)]))
def test_mutations_fail_cleanly(tmp_path_factory: Any, change: tuple[str, str],
                                mode: tuple[str, ...]) -> None:
    check_run(tmp_path_factory.mktemp("fuzz"), change[0], change[1], mode)

"""The quick path of `{VAR}` substitution gives what the regex pass gives, problems included."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cistreams import yamlio
from cistreams.builddata import substitution
from cistreams.errors import CistreamsError, Location, Problems

WHERE = Location("streams.yml", 3, "s.upstream_image")
NAMES = ["MAJOR", "MINOR", "runtime_assembly", "X", "v12-", "a{b", "12"]
PIECES = st.sampled_from(["{MAJOR}", "{MINOR}", "{runtime_assembly}", "{X}", "{UNKNOWN}",
                          "{{", "}}", "{", "}", "{}", "a", ".", ":", " ", "é", "{MAJOR ",
                          "{v", "-}", "{a", "b}", "12", "{12}"])
VALUES = st.one_of(st.integers(0, 20), st.sampled_from(["", "12", "{MINOR}", "a}b", "é", "X",
                                                        "v", "MINOR"]))


def regex_only(variables: dict[str, Any], text: str) -> tuple[str, list[str], list[str]]:
    problems = Problems()
    formatter = substitution.SafeFormatter(variables, problems, unknown_is_error=False)
    result = substitution._PLACEHOLDER.sub(lambda match: formatter._one(match, WHERE), text)
    return result, [str(w) for w in problems.warnings], [str(e) for e in problems.errors]


def formatted(variables: dict[str, Any], text: str) -> tuple[str, list[str], list[str]]:
    problems = Problems()
    result = substitution.safe_formatter(variables, problems, unknown_is_error=False)(text, WHERE)
    return result, [str(w) for w in problems.warnings], [str(e) for e in problems.errors]


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(PIECES, max_size=8),
       variables=st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=4))
def test_quick_path_equals_the_regex_pass(pieces: list[str], variables: dict[str, Any]) -> None:
    text = "".join(pieces)
    assert formatted(variables, text) == regex_only(variables, text)


def test_quick_path_is_taken_only_when_safe() -> None:
    formatter = substitution.safe_formatter({"MAJOR": 4, "MINOR": 17}, Problems(), False)
    assert formatter.quick("v{MAJOR}.{MINOR}") == "v4.17"
    assert formatter.quick("v{MAJOR}.{PATCH}") is None  # an unknown name needs a warning
    assert formatter.quick("{{MAJOR}}") is None  # escaped braces: the regex pass
    braced = substitution.safe_formatter({"A": "{B}", "B": 1}, Problems(), False)
    assert braced.quick("{A}") is None  # a value with braces must not be substituted again
    assert braced("{A}", WHERE) == "{B}"


def test_a_replacement_never_forms_a_new_placeholder() -> None:
    variables = {"MINOR": "12", "v12-": "X"}
    assert formatted(variables, "{v{MINOR}-}") == regex_only(variables, "{v{MINOR}-}")
    assert formatted(variables, "{v{MINOR}-}")[0] == "{v12-}"


def test_a_name_with_braces_is_never_a_placeholder() -> None:
    result, warnings, _ = formatted({"a{b": "Z"}, "{a{b}")
    assert result == "{a{b}"
    assert any("unknown placeholder {b}" in warning for warning in warnings)


# The third leg (issue 11): the tests above compare the quick path with the regex pass, which
# share `_one`; these examples state the expected result outright.

VARS = {"MAJOR": 4, "MINOR": "17"}


@pytest.mark.parametrize(("text", "expected"), [
    ("v{MAJOR}.{MINOR}", "v4.17"),
    ("{{MAJOR}}", "{MAJOR}"),
    ("{{", "{"),
    ("}}", "}"),
    ("a{{b}}c", "a{b}c"),
    ("{{{MAJOR}}}", "{4}"),
    ("x}}{{y", "x}{y"),
    ("plain", "plain"),
    ("", ""),
])
def test_known_placeholders_and_escaped_braces(text: str, expected: str) -> None:
    problems = Problems()
    assert substitution.safe_formatter(VARS, problems, unknown_is_error=True)(text, WHERE) == expected
    assert (problems.errors, problems.warnings) == ([], [])


def test_an_unknown_placeholder_in_streams_is_a_warning_and_stays() -> None:
    problems = Problems()
    assert substitution.safe_formatter(VARS, problems, False)("a{NOPE}b{MAJOR}", WHERE) == "a{NOPE}b4"
    assert problems.warnings == ["streams.yml:3: s.upstream_image: unknown placeholder {NOPE}; left "
                                 "as written (known: MAJOR, MINOR)"]
    assert problems.errors == []


def test_an_unknown_placeholder_in_group_yml_is_an_error() -> None:
    problems = Problems()
    assert substitution.safe_formatter({}, problems, True)("{NOPE}", WHERE) == "{NOPE}"
    assert [str(e) for e in problems.errors] == [
        "streams.yml:3: s.upstream_image: unknown placeholder {NOPE} (known: none)"]
    assert problems.warnings == []


def test_stray_braces_stay_as_written() -> None:
    problems = Problems()
    formatter = substitution.safe_formatter(VARS, problems, False)
    assert formatter("a{b", WHERE) == "a{b"
    assert formatter("a}b", WHERE) == "a}b"
    assert formatter("{}", WHERE) == "{}"
    assert problems.warnings == ["streams.yml:3: s.upstream_image: unknown placeholder {}; left as "
                                 "written (known: MAJOR, MINOR)"]


def test_the_quick_path_gives_up_on_escapes_and_strays() -> None:
    formatter = substitution.safe_formatter(VARS, Problems(), False)
    assert formatter.quick("{MAJOR}{MINOR}") == "417"
    assert formatter.quick("no braces") == "no braces"
    for text in ("{MAJOR}}", "{{MAJOR}", "{MAJOR", "{MAJOR}{", "}{MAJOR}", "{NOPE}"):
        assert formatter.quick(text) is None, text


@pytest.mark.parametrize(("text", "expected"), [
    ("v{MAJOR}.{MINOR}", "v4.17"), ("{{x}}", "{x}"), ("plain", "plain")])
def test_the_doozer_formatter_is_str_format(text: str, expected: str) -> None:
    assert substitution.doozer_formatter(VARS)(text, WHERE) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("{NOPE}", "streams.yml:3: s.upstream_image: template key {NOPE} but no value was provided in vars"),
    ("a{", "streams.yml:3: s.upstream_image: cannot substitute vars: Single '{' encountered in format "
           "string (write literal braces as {{ and }})"),
    ("{0}", "streams.yml:3: s.upstream_image: cannot substitute vars: Replacement index 0 out of range "
            "for positional args tuple (write literal braces as {{ and }})"),
])
def test_the_doozer_formatter_fails_as_doozer_did(text: str, message: str) -> None:
    with pytest.raises(CistreamsError) as caught:
        substitution.doozer_formatter(VARS)(text, WHERE)
    assert str(caught.value) == message


def test_a_value_with_one_brace_never_forms_a_placeholder_that_is_replaced() -> None:
    # replacing {A} first would make "{{C}{B}", then "{B}{B}", then "xx": only one pass is right
    formatter = substitution.safe_formatter({"A": "{", "C": "B}", "B": "x"}, Problems(), False)
    assert formatter("{A}{C}{B}", WHERE) == "{B}x"


def test_names_that_are_not_strings_are_ignored() -> None:
    problems = Problems()
    variables: dict[Any, Any] = {12: "x", "MAJOR": 4}  # YAML reads `12:` as an int key
    formatter = substitution.safe_formatter(variables, problems, False)
    assert formatter("{MAJOR}", WHERE) == "4"
    assert formatter("{12}", WHERE) == "{12}"
    assert formatter("{NOPE}", WHERE) == "{NOPE}"
    assert problems.warnings[-1] == ("streams.yml:3: s.upstream_image: unknown placeholder {NOPE}; left as "
                                     "written (known: 12, MAJOR)")


GROUP_YML = """\
a: '{X}'
b:
  - '{X}y'
  - 3
  - ['{X}']
'{X}k': v
n: 5
m: {q: '{X}'}
"""


def recording_formatter(seen: list[tuple[str, str]]) -> substitution.Formatter:
    def fmt(text: str, where: Location) -> str:
        seen.append((text, str(where)))
        return text.replace("{X}", "1")
    return fmt


def test_substitute_tree_replaces_keys_and_values_and_keeps_lines() -> None:
    seen: list[tuple[str, str]] = []
    tree = substitution.substitute_tree(yamlio.load(GROUP_YML, "g.yml"), recording_formatter(seen),
                                        Location("g.yml"))
    assert tree == {"a": "1", "b": ["1y", 3, ["1"]], "1k": "v", "n": 5, "m": {"q": "1"}}
    assert list(tree) == ["a", "b", "1k", "n", "m"]
    assert (tree.line, tree.key_lines, tree.source) == (1, {"a": 1, "b": 2, "1k": 6, "n": 7, "m": 8}, "g.yml")
    assert (tree["b"].line, tree["b"].item_lines, tree["m"].key_lines) == (3, [3, 4, 5], {"q": 8})
    assert seen == [("{X}", "g.yml:1: a"), ("{X}y", "g.yml:3: b.0"), ("{X}", "g.yml:5: b.2.0"),
                    ("{X}k", "g.yml:6: {X}k"), ("{X}", "g.yml:8: m.q")]


def test_substitute_tree_sorts_keys_before_substituting_as_doozer_did() -> None:
    seen: list[tuple[str, str]] = []
    tree = substitution.substitute_tree(yamlio.load(GROUP_YML, "g.yml"), recording_formatter(seen),
                                        Location("g.yml"), sort_keys=True)
    assert list(tree) == ["a", "b", "m", "n", "1k"]  # '{' sorts after letters
    assert list(tree["m"]) == ["q"]
    assert [text for text, _ in seen] == ["{X}", "{X}y", "{X}", "{X}", "{X}k"]
    mixed = substitution.substitute_tree({"b": 1, 2: "x", "a": "{X}"}, recording_formatter([]),
                                         Location("p.yml", 7), sort_keys=True)
    assert list(mixed.items()) == [("a", "1"), ("b", 1), (2, "x")]  # strings first, then by type


def test_substitute_tree_on_plain_data_uses_the_location_for_lines() -> None:
    seen: list[tuple[str, str]] = []
    tree = substitution.substitute_tree({"b": ["{X}", "plain"], "c": None}, recording_formatter(seen),
                                        Location("p.yml", 7))
    assert tree == {"b": ["1", "plain"], "c": None}
    assert (tree.line, tree.key_lines, tree.source, tree["b"].line, tree["b"].item_lines) == \
        (7, {"b": 7, "c": 7}, "p.yml", 7, [])
    assert seen == [("{X}", "p.yml:7: b.0")]
    assert substitution.substitute_tree("no braces", recording_formatter(seen), Location("p")) == "no braces"
    assert substitution.substitute_tree(5, recording_formatter(seen), Location("p")) == 5
    assert len(seen) == 1


@pytest.mark.parametrize("text", ["a: &x '{X}'\nb: *x\n", "a: '{X}'\nb: '{X}'\n"])
def test_substitution_reads_every_shape(text: str) -> None:
    loaded = substitution.substitute_tree(yamlio.load(text, "g.yml"),
                                          substitution.safe_formatter({"X": 1}, Problems(), True),
                                          Location("g.yml"))
    assert (loaded, loaded.key_lines, loaded.line) == ({"a": "1", "b": "1"}, {"a": 1, "b": 2}, 1)


def test_substitution_reports_its_file() -> None:
    problems = Problems()
    substitution.substitute_tree(yamlio.load("a: &x '{NOPE}'\nb: *x\n", "g.yml"),
                                 substitution.safe_formatter({}, problems, True), Location("g.yml"))
    assert [str(e) for e in problems.errors] == ["g.yml:1: a: unknown placeholder {NOPE} (known: none)",
                                                 "g.yml:2: b: unknown placeholder {NOPE} (known: none)"]


GROUP = Location("group.yml")


@pytest.mark.parametrize(("raw", "variables", "substituted", "expected"), [
    ({"a": "1{E}"}, {"E": "0"}, {"a": "10"}, {"a": 10}),  # read back as a number
    ({"b": 1, "a": 2}, {}, {"b": 1, "a": 2}, {"a": 2, "b": 1}),  # sorted by the dump
    ({"a": "{Q.real}"}, {"Q": 1}, {}, {"a": "1"}),
])
def test_doozer_redump_wins_when_the_round_trip_differs(raw: dict[str, Any], variables: dict[str, Any],
                                                        substituted: dict[str, Any],
                                                        expected: dict[str, Any]) -> None:
    result = substitution.doozer_redump(raw, variables, substituted, GROUP)
    assert result == expected and list(result) == list(expected)


def test_doozer_redump_keeps_the_marked_data_when_the_round_trip_agrees() -> None:
    substituted = {"a": "x: y", "b": [1, {"c": "d"}]}
    assert substitution.doozer_redump({"a": "{Q}", "b": [1, {"c": "d"}]}, {"Q": "x: y"}, substituted,
                                      GROUP) is substituted


@pytest.mark.parametrize(("raw", "variables", "message"), [
    ({"a": "{NOPE}"}, {}, "group.yml: template key {NOPE} but no value was provided in vars"),
    ({"a": {}}, {}, "group.yml: doozer 2020 re-dumped group.yml and str.format'ed it with vars, which "
                    "fails: Replacement index 0 out of range for positional args tuple (an empty mapping "
                    "{} anywhere in group.yml did this to doozer 2020)"),
    ({"a": "x{"}, {}, "group.yml: doozer 2020 re-dumped group.yml and str.format'ed it with vars, which "
                      "fails: expected '}' before end of string"),
    ({"a": "{Q.nope}"}, {"Q": 1}, "group.yml: doozer 2020 re-dumped group.yml and str.format'ed it with "
                                  "vars, which fails: 'int' object has no attribute 'nope'"),
    ({"a": "{Q[0]}"}, {"Q": 1}, "group.yml: doozer 2020 re-dumped group.yml and str.format'ed it with "
                                "vars, which fails: 'int' object is not subscriptable"),
    ({"a": "{Q}"}, {"Q": "'"}, "group.yml: doozer 2020 re-dumped group.yml and substituted vars into the "
                               "text, which is then no longer valid YAML (YAML syntax error: found "
                               "unexpected end of stream)"),
])
def test_doozer_redump_fails_as_doozer_did(raw: dict[str, Any], variables: dict[str, Any],
                                           message: str) -> None:
    with pytest.raises(CistreamsError) as caught:
        substitution.doozer_redump(raw, variables, {}, GROUP)
    assert str(caught.value) == message


@pytest.mark.parametrize(("a", "b", "same"), [
    ({"a": 1}, {"a": 1}, True), ({"a": 1}, {"a": True}, False), ({"a": 1, "b": 2}, {"b": 2, "a": 1}, False),
    ({1: "a"}, {"1": "a"}, False), ([1], [1, 2], False), ([1, 2], [1, 3], False),
    ({"a": [1]}, {"a": [1]}, True),
    ("a", "a", True), ({"a": 1}, {"a": 1, "b": 2}, False), ({"a": {"b": 1}}, {"a": {"b": 2}}, False),
    ([1], {"0": 1}, False),
])
def test_same_means_same_data_order_and_types(a: Any, b: Any, same: bool) -> None:
    assert substitution._same(a, b) is same


def test_sorting_reaches_nested_mappings_and_list_items() -> None:
    tree = substitution.substitute_tree(yamlio.load("m: {z: 1, a: 2}\nl:\n  - {z: 1, a: 2}\n", "g.yml"),
                                        recording_formatter([]), Location("g.yml"), sort_keys=True)
    assert (list(tree), list(tree["m"]), list(tree["l"][0])) == (["l", "m"], ["a", "z"], ["a", "z"])


def test_list_items_are_located_on_their_own_lines() -> None:
    seen: list[tuple[str, str]] = []
    substitution.substitute_tree(yamlio.load("b:\n  - plain\n  - '{X}'\n", "g.yml"),
                                 recording_formatter(seen), Location("g.yml"))
    assert seen == [("{X}", "g.yml:3: b.1")]


def test_plain_data_without_a_line_gets_line_0_and_the_location_file() -> None:
    tree = substitution.substitute_tree({"a": ["x"]}, recording_formatter([]), Location("p.yml"))
    assert (tree.line, tree["a"].line, tree.key_lines, tree.source) == (0, 0, {"a": 0}, "p.yml")
    loaded = substitution.substitute_tree(yamlio.load("a: 1\n", "g.yml"), recording_formatter([]),
                                          Location("other.yml"))
    assert loaded.source == "g.yml"  # a loaded mapping keeps its own file


@pytest.mark.parametrize(("text", "expected"), [("a}}b", "a}b"), ("{{x", "{x"), ("x}}", "x}")])
def test_a_lone_escaped_brace_is_still_unescaped(text: str, expected: str) -> None:
    formatter = substitution.safe_formatter({}, Problems(), True)
    assert substitution.substitute_tree({"k": text}, formatter, Location("g.yml")) == {"k": expected}


def test_keys_that_are_not_strings_sort_by_type_then_text() -> None:
    raw: dict[Any, Any] = {2: "e", True: "b", None: "c", "s": "d", 10: "a", 1.5: "f"}
    tree = substitution.substitute_tree(raw, recording_formatter([]), Location("p.yml"), sort_keys=True)
    assert list(tree) == ["s", None, True, 1.5, 10, 2]  # "", then NoneType, bool, float, int ("10" < "2")


@pytest.mark.parametrize(("a", "b"), [({"a": 1}, ["a"]), ([1], {1: 1}), ({"a": 1}, "a")])
def test_same_never_matches_a_mapping_with_a_list(a: Any, b: Any) -> None:
    assert substitution._same(a, b) is False

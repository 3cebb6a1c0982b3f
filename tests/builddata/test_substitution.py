"""The quick path of `{VAR}` substitution gives what the regex pass gives, problems included."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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

"""The quick path of `{VAR}` substitution gives what the regex pass gives, problems included."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cistreams.builddata import substitution
from cistreams.errors import Location, Problems

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

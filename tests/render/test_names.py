"""cistreams.render.names: the Kubernetes naming rules, at each limit and one past it.

Expected values are written out by hand (issue 11): the anchored patterns are tried with
values that start legally and go wrong only at their end, a trailing newline included
(`$` alone would accept one).
"""

from __future__ import annotations

import pytest

from cistreams.render import names

SUBDOMAIN_WHY = ("is not a valid object name (lower-case letters, digits, '-' and '.', "
                 "starting and ending with a letter or digit)")
LABEL_VALUE_WHY = ("cannot be a label value (letters, digits, '-', '_' and '.', "
                   "starting and ending with a letter or digit)")


def test_the_limits_are_kubernetes_ones() -> None:
    assert (names.LABEL_MAX, names.SUBDOMAIN_MAX, names.NAMESPACE) == (63, 253, "ci")


@pytest.mark.parametrize("name", ["a" * 253, "a", "0", "a-b.c-d", "is-tag--art-builder",
                                  "rhel-8-golang-1.22--art-builder"])
def test_valid_object_names(name: str) -> None:
    assert names.subdomain_problem(name) is None


def test_an_object_name_one_past_the_limit() -> None:
    assert names.subdomain_problem("a" * 254) == \
        f"'{'a' * 254}' is 254 characters; object names allow 253"


@pytest.mark.parametrize("name", ["abc-", "abc_", "abc\n", "abc.", "abc.def-", "a.b.c:d",
                                  "-abc", "Abc", "a..b", ""])
def test_invalid_object_names(name: str) -> None:
    assert names.subdomain_problem(name) == f"'{name}' {SUBDOMAIN_WHY}"


@pytest.mark.parametrize("value", ["a" * 63, "", "a", "openshift-4.17", "openshift-4.17.test",
                                   "A_b.c-D", "0"])
def test_valid_label_values(value: str) -> None:
    assert names.label_value_problem(value) is None


def test_a_label_value_one_past_the_limit() -> None:
    assert names.label_value_problem("a" * 64) == f"'{'a' * 64}' is 64 characters; label values allow 63"


@pytest.mark.parametrize("value", ["abc-", "abc_", "abc.", "abc\n", "ab c", "abc/d", "-abc", "_abc"])
def test_invalid_label_values(value: str) -> None:
    assert names.label_value_problem(value) == f"'{value}' {LABEL_VALUE_WHY}"


@pytest.mark.parametrize("name", ["a" * 63, "a", "a-b", "openshift-release-rhel-8"])
def test_valid_container_names(name: str) -> None:
    assert names.label_problem(name) is None


@pytest.mark.parametrize("name", ["a" * 64, "abc-", "abc\n", "a.b", "Abc", "-abc", "a_b", ""])
def test_invalid_container_names(name: str) -> None:
    assert names.label_problem(name) == \
        f"'{name}' is not a valid container name (DNS-1123 label, at most 63)"


def test_a_container_name_at_the_limit_is_kept() -> None:
    assert names.container_name("a" * 63) == "a" * 63
    assert names.container_name("a.b") == "a-b"


def test_a_container_name_one_past_the_limit_is_shortened() -> None:
    # sha256("a" * 64) starts with ffe054fe
    assert names.container_name("a" * 64) == "a" * 54 + "-ffe054fe"


def test_dots_become_dashes_before_the_name_is_measured_and_hashed() -> None:
    raw = "openshift-release-golang-1.22.openshift-4.17.with.a.very.long.dotted.tag"
    assert names.container_name(raw) == "openshift-release-golang-1-22-openshift-4-17-with-a-ve-a095305a"


def test_a_cut_ending_in_a_dash_loses_the_dash() -> None:
    raw = "a" * 53 + "-" + "b" * 20  # the first 54 characters end with '-'
    assert names.container_name(raw) == "a" * 53 + "-af3ec493"


def test_only_dashes_are_stripped_from_the_cut() -> None:
    raw = "a" * 53 + "X" + "b" * 20  # not a label (upper case): label_problem says so later
    assert names.container_name(raw) == "a" * 53 + "X-329c516d"

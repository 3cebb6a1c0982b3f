"""cistreams.builddata.model on plain values: the freeze guard and the record parsers, with
every expected result written out (issue 11)."""

from __future__ import annotations

import pytest

from cistreams.builddata import model

# doozer honoured only the quoted string 'yes'; a frozen group must stay frozen however it is
# spelt, so YAML's true and every quoted spelling of it count.
FROZEN = [True, "yes", "Yes", "YES", " yes ", "true", "True", "on", "ON", "y", "Y", "yes\n"]
NOT_FROZEN = [False, None, "no", "No", "false", "off", "n", "", " ", "scheduled", "yess", "ye",
              "y es", 0, 1, ["yes"], {"yes": True}]


@pytest.mark.parametrize("value", FROZEN)
def test_every_spelling_of_yes_freezes(value: object) -> None:
    assert model.is_frozen(value) is True


@pytest.mark.parametrize("value", NOT_FROZEN)
def test_other_values_do_not_freeze(value: object) -> None:
    assert model.is_frozen(value) is False


@pytest.mark.parametrize(("value", "doozer_2020", "expected"), [
    (4, False, "4"), ("17", False, "17"), (4.1, False, "4.1"), (None, False, None),
    (None, True, "(MissingModel)"), (True, False, None), (True, True, None), ([4], False, None),
    (17, True, "17"),
])
def test_version_text(value: object, doozer_2020: bool, expected: str | None) -> None:
    assert model.version_text(value, doozer_2020=doozer_2020) == expected

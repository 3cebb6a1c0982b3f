"""Problems become text as exactly one line each: control characters from the build data are
shown as backslash escapes, so a crafted name can neither split a problem nor forge a line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cistreams.errors import (
    CistreamsError,
    ErrorList,
    Location,
    Problems,
    as_dict,
    did_you_mean,
    flatten,
    one_line,
    safe,
)
from helpers import EXAMPLE, run_cli


@pytest.mark.parametrize(("raw", "shown"), [
    ("evil\nname", "evil\\nname"),
    ("a\rb", "a\\rb"),
    ("a\tb", "a\\tb"),
    ("\x00\x01\x1b\x1f", "\\x00\\x01\\x1b\\x1f"),
    ("\x0b\x0c\x1c\x1d\x1e", "\\x0b\\x0c\\x1c\\x1d\\x1e"),  # str.splitlines breaks on these
    ("del\x7f", "del\\x7f"),
    ("c1\x80\x85\x9f", "c1\\x80\\x85\\x9f"),
    ("line\u2028para\u2029", "line\\u2028para\\u2029"),
])
def test_control_characters_become_escapes(raw: str, shown: str) -> None:
    assert one_line(raw) == shown
    assert len(one_line(raw).splitlines()) <= 1


@pytest.mark.parametrize("text", [
    "plain text", "", "é 中 \xa0 \xa1 \u2027 \u202a", "a backslash \\n stays", "'quoted' \"too\"",
])
def test_printable_text_is_left_alone(text: str) -> None:
    assert one_line(text) == text


def test_escaping_twice_changes_nothing() -> None:
    once = one_line("a\nb\x85c")
    assert one_line(once) == once == "a\\nb\\x85c"


def test_a_location_is_one_line() -> None:
    where = Location("images/evil\nname.yml", 3).child("evil\nkey")
    assert str(where) == "images/evil\\nname.yml:3: evil\\nkey"
    assert str(Location("x\r.yml")) == "x\\r.yml"
    assert where.keypath == "evil\nkey"  # the record keeps the real value


def test_an_error_is_one_line_with_and_without_location() -> None:
    error = CistreamsError("unknown transform 'rhel-8/x\ny'", Location("streams.yml", 4, "a\nb"))
    assert str(error) == "streams.yml:4: a\\nb: unknown transform 'rhel-8/x\\ny'"
    assert str(CistreamsError("bad\u2028thing")) == "bad\\u2028thing"
    assert error.message == "unknown transform 'rhel-8/x\ny'"


def test_an_error_list_has_one_line_per_error() -> None:
    errors = [CistreamsError("one\ntwo", Location("a.yml", 1)),
              CistreamsError("three", Location("b\n.yml", 2, "k\nk")),
              CistreamsError("four\r")]
    text = str(ErrorList(errors, limit=2))
    assert text.splitlines() == ["a.yml:1: one\\ntwo", "b\\n.yml:2: k\\nk: three",
                                 "... and 1 more error(s)"]


def test_a_warning_is_one_line_and_its_item_keeps_the_value() -> None:
    problems = Problems()
    problems.warn("unknown key 'x\ny', ignored", Location("streams.yml", 2, "s\u2029"))
    problems.warn("bare\nwarning")
    assert problems.warnings == ["streams.yml:2: s\\u2029: unknown key 'x\\ny', ignored",
                                 "bare\\nwarning"]
    assert problems.warning_items[0].message == "unknown key 'x\ny', ignored"


def test_json_keeps_the_real_value_and_stays_valid() -> None:
    error = CistreamsError("bad 'x\ny'", Location("s\u2028.yml", 1, "a\nb"))
    text = json.dumps(as_dict(error))
    assert "\n" not in text and "\u2028" not in text
    assert json.loads(text) == {"file": "s\u2028.yml", "line": 1, "key": "a\nb",
                                "message": "bad 'x\ny'"}


EVIL_STREAMS = '"evil\\nerror: forged line":\n  image: x\n  transform: rhel-8/nope\n'


def _evil_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE, data)
    (data / "streams.yml").write_text(EVIL_STREAMS, encoding="utf-8")
    return data


def test_a_name_with_a_newline_is_one_error_line(tmp_path: Path) -> None:
    output = tmp_path / "out.yaml"
    output.write_bytes(b"previous\n")
    result = run_cli("gen-buildconfigs", "--data-path", str(_evil_data(tmp_path)),
                     "-g", "openshift-4.7", "-o", str(output))
    assert result.code == 1
    [line] = result.stderr.splitlines()  # one problem, one line
    assert line.startswith("error: streams.yml:3: evil\\nerror: forged line.transform: "
                           "unknown transform 'rhel-8/nope'")
    assert output.read_bytes() == b"previous\n"


def test_check_json_stays_valid_with_such_a_name(tmp_path: Path) -> None:
    result = run_cli("check", "--data-path", str(_evil_data(tmp_path)), "-g", "openshift-4.7",
                     "--format", "json")
    assert result.code == 1
    report = json.loads(result.stdout)
    keys = [error["key"] or "" for error in report["errors"]]
    assert any(key.startswith("evil\nerror: forged line") for key in keys)


def test_check_text_prints_such_a_name_escaped(tmp_path: Path) -> None:
    result = run_cli("check", "--data-path", str(_evil_data(tmp_path)), "-g", "openshift-4.7")
    assert result.code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("error: streams.yml:3: evil\\nerror: forged line.transform: ")


# Exact values for what every message goes through (issue 11).

def test_json_of_an_error_without_location_or_key() -> None:
    assert as_dict(CistreamsError("bad")) == {"file": None, "line": None, "key": None, "message": "bad"}
    assert as_dict(CistreamsError("bad", Location("a.yml", 3))) == \
        {"file": "a.yml", "line": 3, "key": None, "message": "bad"}
    assert as_dict(CistreamsError("bad", Location("a.yml"))) == \
        {"file": "a.yml", "line": None, "key": None, "message": "bad"}


def test_flatten_lists_the_errors_inside() -> None:
    one, two = CistreamsError("one"), CistreamsError("two")
    assert flatten(ErrorList([one, two], limit=1)) == [one, two]
    assert flatten(one) == [one]


def _raised(problems: Problems) -> list[str]:
    with pytest.raises(CistreamsError) as caught:
        problems.check()
    return str(caught.value).splitlines()


def test_at_most_25_errors_are_shown_by_default() -> None:
    problems = Problems()
    for line in range(1, 27):
        problems.error("bad", Location("s.yml", line))
    shown = _raised(problems)
    assert shown[0] == "s.yml:1: bad" and shown[24] == "s.yml:25: bad"
    assert shown[25:] == ["... and 1 more error(s)"]


def test_a_chosen_limit() -> None:
    problems = Problems(limit=2)
    for line in (3, 1, 2):
        problems.error("bad", Location("s.yml", line))
    assert _raised(problems) == ["s.yml:1: bad", "s.yml:2: bad", "... and 1 more error(s)"]


def test_errors_are_sorted_by_file_line_and_key() -> None:
    problems = Problems()
    problems.error("late", Location("s.yml", 9, "a.x"))
    problems.error("early", Location("s.yml", 2, "b.y"))
    problems.error("no line", Location("s.yml", None, "z"))
    problems.error("first file", Location("A.yml", 5))
    problems.error("nowhere")
    problems.error("same line", Location("s.yml", 2, "a.z"))
    assert _raised(problems) == ["nowhere", "A.yml:5: first file", "s.yml: z: no line",
                                 "s.yml:2: a.z: same line", "s.yml:2: b.y: early", "s.yml:9: a.x: late"]


def test_one_error_is_raised_as_itself() -> None:
    problems = Problems()
    problems.error("only", Location("s.yml", 1))
    with pytest.raises(CistreamsError) as caught:
        problems.check()
    assert type(caught.value) is CistreamsError and str(caught.value) == "s.yml:1: only"
    Problems().check()  # nothing recorded: nothing raised


@pytest.mark.parametrize(("word", "choices", "hint"), [
    ("mirorr", ["mirror", "aliases"], " (did you mean 'mirror'?)"),
    ("rhel-8/golnag", ["rhel-8/golang", "rhel-9/golang", "rhel-8/base-repos"],
     " (did you mean 'rhel-8/golang'?)"),
    ("abcde", ["abcxy"], ""),  # 60% alike: below the 70% cut-off
    ("abcdefghij", ["abcdefgxyz"], " (did you mean 'abcdefgxyz'?)"),  # 70% alike
    ("zzz", [], ""),
])
def test_did_you_mean(word: str, choices: list[str], hint: str) -> None:
    assert did_you_mean(word, choices) == hint


@pytest.mark.parametrize(("exc", "shown"), [
    (KeyError("server"), "'server' is missing"),  # str() of a KeyError would be just 'server'
    (KeyError(), "KeyError"),  # nothing to say: the type's name, never an empty reason
    (ValueError("bad\n  value\there"), "bad value here"),
    (ValueError("token=abc123 rejected"), "token: <hidden> rejected"),
    (ValueError("Password : hunter2"), "Password: <hidden>"),
    (ValueError("api_key=s3cr3t, TOKEN_FILE: /x/y"), "api_key: <hidden> TOKEN: <hidden>"),
    (OSError("connection refused"), "connection refused"),
])
def test_safe_keeps_one_line_and_hides_credentials(exc: BaseException, shown: str) -> None:
    assert safe(exc) == shown


def test_an_error_without_a_line_comes_before_line_1_of_its_file() -> None:
    problems = Problems()
    problems.error("line one", Location("s.yml", 1, "a"))
    problems.error("no line", Location("s.yml", None, "z"))
    assert _raised(problems) == ["s.yml: z: no line", "s.yml:1: a: line one"]

"""cistreams.builddata.model on plain values: the freeze guard and the record parsers, with
every expected result written out (issue 11)."""

from __future__ import annotations

import pytest

from cistreams import yamlio
from cistreams.builddata import model
from cistreams.errors import Location, Problems

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


# doozer 2020's repo checks: the first problem doozer's Repo() raised, or None.

U = "https://x/"


@pytest.mark.parametrize(("raw", "arches", "problem"), [
    ("a string", ["x86_64"], "a repo must be a mapping"),
    ({"content_set": {}}, ["x86_64"], "a repo definition must contain 'conf'"),
    ({"conf": {"baseurl": U}}, ["x86_64"], "a repo definition must contain 'content_set'"),
    ({"conf": "x", "content_set": {}}, ["x86_64"], "conf and content_set must be mappings"),
    ({"conf": {"baseurl": U}, "content_set": "x"}, ["x86_64"], "conf and content_set must be mappings"),
    ({"conf": {"baseurl": U}, "content_set": {}, "reposync": "x"}, ["x86_64"],
     "reposync must be a mapping"),
    ({"conf": {"baseurl": U}, "content_set": {}, "reposync": {}}, ["x86_64"], None),
    ({"conf": {}, "content_set": {}}, ["x86_64"], "a repo definition must include conf.baseurl"),
    ({"conf": {"baseurl": U}, "content_set": {}}, [], "arches must be a non-empty list"),
    ({"conf": {"baseurl": U}, "content_set": {}}, "x86_64", "arches must be a non-empty list"),
    ({"conf": {"baseurl": U}, "content_set": {}}, ["x86_64"], None),
    ({"conf": {"baseurl": [U]}, "content_set": {}}, ["x86_64"], "conf.baseurl must be a URL or a mapping"),
    ({"conf": {"baseurl": {"x86_64": U}}, "content_set": {}}, ["x86_64"], None),
    ({"conf": {"baseurl": {"x86_64": U}}, "content_set": {}}, ["s390x", "x86_64"],
     "conf.baseurl has neither s390x (the first arch) nor unsigned"),
    ({"conf": {"baseurl": {"unsigned": {"aarch64": U}}}, "content_set": {}}, ["x86_64"],
     "conf.baseurl.unsigned has no x86_64 (the first arch)"),
    ({"conf": {"baseurl": {"unsigned": {"x86_64": U}}}, "content_set": {}}, ["x86_64"], None),
    ({"conf": {"baseurl": {"unsigned": U}}, "content_set": {}}, ["x86_64"], None),
])
def test_doozer_repo_problems(raw: object, arches: object, problem: str | None) -> None:
    assert model.doozer_repo_problem(raw, arches) == problem


# parse_repo and parse_entry on YAML as the loader reads it (lines included).

REPO_WHERE = Location("group.yml", 1, "repos.r")


def repo_of(text: str, doozer_2020: bool = False) -> tuple[model.Repo | None, list[str]]:
    problems = Problems()
    raw = yamlio.load("r:\n" + text, "group.yml")["r"]
    return model.parse_repo("r", raw, REPO_WHERE, problems, doozer_2020), [str(e) for e in problems.errors]


def test_a_full_repo() -> None:
    assert repo_of("  conf:\n    baseurl: {x86_64: https://x/a}\n"
                   "    ci_alignment: {profiles: [el8, el9], localdev: {enabled: true}}\n"
                   "    sslverify: false\n") == (
        model.Repo("r", "https://x/a", frozenset({"el8", "el9"}), False, REPO_WHERE), [])


@pytest.mark.parametrize(("text", "url", "profiles", "sslverify"), [
    ("  content_set: {}\n", None, frozenset(), None),
    ("  conf:\n    baseurl: https://x/plain\n", "https://x/plain", frozenset(), None),
    ("  conf:\n    baseurl: {unsigned: {x86_64: https://x/u}, x86_64: https://x/s}\n", "https://x/u",
     frozenset(), None),
    ("  conf:\n    baseurl: {unsigned: https://x/u}\n", "https://x/u", frozenset(), None),
    ("  conf:\n    baseurl: {aarch64: https://x/a}\n", None, frozenset(), None),
    ("  conf:\n    ci_alignment: {profiles: [el8], localdev: {enabled: false}}\n", None, frozenset(), None),
    ("  conf:\n    ci_alignment: {profiles: [el8]}\n", None, frozenset(), None),
    ("  conf:\n    ci_alignment: {localdev: {enabled: true}}\n", None, frozenset(), None),
    ("  conf:\n    ci_alignment: {profiles: [el8], localdev: {}}\n", None, frozenset(), None),
    ("  conf:\n    extra_options: {sslverify: false}\n", None, frozenset(), False),
    ("  conf:\n    extra_options: {sslverify: 1}\n", None, frozenset(), True),
    ("  conf:\n    sslverify: 0\n    extra_options: {sslverify: true}\n", None, frozenset(), False),
    ("  conf:\n    extra_options: [sslverify]\n", None, frozenset(), None),
])
def test_repo_fields(text: str, url: str | None, profiles: frozenset[str], sslverify: bool | None) -> None:
    assert repo_of(text) == (model.Repo("r", url, profiles, sslverify, REPO_WHERE), [])


@pytest.mark.parametrize(("text", "errors"), [
    ("  conf: [a]\n", ["group.yml:2: repos.r.conf: must be a mapping"]),
    ("  conf:\n    baseurl: {x86_64: ''}\n", ["group.yml:3: repos.r.conf.baseurl: must be a URL string"]),
    ("  conf:\n    baseurl: {unsigned: {x86_64: 5}}\n",
     ["group.yml:3: repos.r.conf.baseurl.unsigned: must be a URL string"]),
    ("  conf:\n    ci_alignment: [el8]\n",
     ["group.yml:3: repos.r.conf.ci_alignment: must be a mapping with profiles and localdev"]),
    ("  conf:\n    ci_alignment:\n      localdev: on\n",
     ["group.yml:4: repos.r.conf.ci_alignment.localdev: must be a mapping like {enabled: true}"]),
    ("  conf:\n    ci_alignment:\n      localdev: {enabled: 'yes'}\n",
     ["group.yml:4: repos.r.conf.ci_alignment.localdev.enabled: must be true or false, not 'yes'"]),
    ("  conf:\n    ci_alignment:\n      profiles: el8\n",
     ["group.yml:4: repos.r.conf.ci_alignment.profiles: must be a list of profile names such as [el8]"]),
    ("  conf:\n    ci_alignment:\n      profiles: [el8, 9]\n",
     ["group.yml:4: repos.r.conf.ci_alignment.profiles: must be a list of profile names such as [el8]"]),
    ("  conf:\n    sslverify: 'no'\n", ["group.yml:2: repos.r.conf.sslverify: must be true or false"]),
])
def test_repo_mistakes(text: str, errors: list[str]) -> None:
    assert repo_of(text)[1] == errors


def test_a_repo_that_is_not_a_mapping() -> None:
    problems = Problems()
    assert model.parse_repo("r", ["x"], REPO_WHERE, problems) is None
    assert [str(e) for e in problems.errors] == ["group.yml:1: repos.r: a repo must be a mapping"]


@pytest.mark.parametrize(("text", "url"), [
    ("  conf:\n    baseurl: https://x/plain\n", None),
    ("  conf:\n    baseurl: {unsigned: https://x/u}\n", None),
    ("  conf:\n    baseurl: {unsigned: {x86_64: https://x/u}}\n", "https://x/u"),
    ("  conf:\n    baseurl: {x86_64: https://x/s}\n", "https://x/s"),
])
def test_doozer_read_the_url_only_from_a_mapping(text: str, url: str | None) -> None:
    repo, errors = repo_of(text, doozer_2020=True)
    assert (repo.x86_64_url if repo else "no repo", errors) == (url, [])


ENTRY_WHERE = Location("streams.yml", 1, "s")


def entry_of(text: str, kind: model.EntryKind = "stream", doozer_2020: bool = False,
             ) -> tuple[model.Entry | None, list[str], list[str]]:
    problems = Problems()
    raw = yamlio.load("s:\n" + text, "streams.yml")["s"]
    found = model.parse_entry("s", raw, ENTRY_WHERE, problems, kind, doozer_2020)
    return found, [str(e) for e in problems.errors], problems.warnings


def test_a_full_entry() -> None:
    entry, errors, warnings = entry_of("  transform: rhel-8/golang\n  upstream_image_base: r/n/b:t\n"
                                       "  upstream_image: r/n/i:t\n  final_user: 1001\n  mirror: true\n")
    assert (errors, warnings) == ([], [])
    assert entry == model.Entry("s", "rhel-8/golang", "r/n/i:t", "r/n/b:t", "1001", ENTRY_WHERE,
                                {"transform": 2, "upstream_image_base": 3, "upstream_image": 4,
                                 "final_user": 5, "mirror": 6},
                                mirror=model.MirrorSpec(enabled=True))
    assert str(entry.where("upstream_image")) == "streams.yml:4: s.upstream_image"
    assert str(entry.where("okd")) == "streams.yml:1: s.okd"


@pytest.mark.parametrize(("value", "shown"), [
    ("5", "int 5"), ("''", "an empty string"), ("' '", "an empty string"), ("null", "null"),
    ("{}", "a mapping"), ("[]", "a list"), ("true", "bool True"), ("1.5", "float 1.5"),
])
def test_string_keys_must_be_strings(value: str, shown: str) -> None:
    entry, errors, _ = entry_of(f"  upstream_image: {value}\n")
    assert entry is None
    assert errors == [f"streams.yml:2: s.upstream_image: must be a non-empty string, not {shown}"]


def test_a_numeric_final_user_is_a_uid_but_a_boolean_is_not() -> None:
    assert entry_of("  final_user: 0\n")[0] == model.Entry("s", None, None, None, "0", ENTRY_WHERE,
                                                           {"final_user": 2})
    assert entry_of("  final_user: true\n")[1] == [
        "streams.yml:2: s.final_user: must be a non-empty string, not bool True"]


@pytest.mark.parametrize("key", ["mirror", "mirror_manifest_list", "skip_nvr_check"])
def test_boolean_keys_are_checked_but_the_entry_still_renders(key: str) -> None:
    entry, errors, _ = entry_of(f"  {key}: 'yes'\n  transform: rhel-8/golang\n")
    assert errors == [f"streams.yml:2: s.{key}: must be true or false, not 'yes'"]
    assert entry is not None and entry.transform == "rhel-8/golang"


def test_a_misspelt_key_is_an_error_and_a_foreign_one_a_warning() -> None:
    # issue 16: a misspelling of a key cistreams reads is an error (doozer-2020: a warning)
    _, errors, warnings = entry_of("  mirorr: true\n  zzz: 1\n")
    assert errors == ["streams.yml:2: s.mirorr: unknown key (did you mean 'mirror'?)"]
    assert warnings == ["streams.yml:3: s.zzz: unknown key, ignored"]
    assert entry_of("  mirorr: true\n", doozer_2020=True)[1:] == (
        [], ["streams.yml:2: s.mirorr: unknown key, ignored (did you mean 'mirror'?)"])
    image, errors, warnings = entry_of("  streams_prs: {}\n  mirorr: true\n", kind="image")
    assert (errors, warnings) == (["streams.yml:3: s.mirorr: unknown key (did you mean "
                                   "'mirror'?)"], [])
    assert image is not None and image.kind == "image"


def test_doozer_mode_reads_only_doozers_keys() -> None:
    entry, errors, _ = entry_of("  final_user: [x]\n  mirror: 'yes'\n  transform: rhel-8/golang\n",
                                doozer_2020=True)
    assert errors == []
    assert entry is not None and (entry.final_user, entry.transform) == (None, "rhel-8/golang")


@pytest.mark.parametrize(("name", "raw", "error"), [
    ("", {}, "streams.yml:1: s: a stream name must be a non-empty string"),
    (5, {}, "streams.yml:1: s: a stream name must be a non-empty string"),
    ("s", "text", "streams.yml:1: s: a stream must be a mapping of keys such as upstream_image"),
    ("s", None, "streams.yml:1: s: a stream must be a mapping of keys such as upstream_image"),
])
def test_entries_that_are_not_entries(name: object, raw: object, error: str) -> None:
    problems = Problems()
    assert model.parse_entry(name, raw, ENTRY_WHERE, problems) is None
    assert [str(e) for e in problems.errors] == [error]


def test_an_entry_built_by_hand_gets_lines_from_its_location() -> None:
    entry = model.parse_entry("s", {"transform": "t", 3: "x"}, ENTRY_WHERE, Problems())
    assert entry is not None and dict(entry.key_lines) == {"transform": 1, "3": 1}


@pytest.mark.parametrize(("text", "error"), [
    ("  content_set: {}\n  conf: [a]\n", "group.yml:3: repos.r.conf: must be a mapping"),
    ("  content_set: {}\n  conf:\n    sslverify: true\n    baseurl: {x86_64: ''}\n",
     "group.yml:5: repos.r.conf.baseurl: must be a URL string"),
    ("  conf:\n    baseurl: https://x/\n    ci_alignment: [el8]\n",
     "group.yml:4: repos.r.conf.ci_alignment: must be a mapping with profiles and localdev"),
    ("  conf:\n    ci_alignment:\n      profiles: [el8]\n      localdev: on\n",
     "group.yml:5: repos.r.conf.ci_alignment.localdev: must be a mapping like {enabled: true}"),
    ("  conf:\n    ci_alignment:\n      localdev:\n        other: 1\n        enabled: 'yes'\n",
     "group.yml:6: repos.r.conf.ci_alignment.localdev.enabled: must be true or false, not 'yes'"),
    ("  conf:\n    ci_alignment:\n      localdev: {enabled: true}\n      profiles: el8\n",
     "group.yml:5: repos.r.conf.ci_alignment.profiles: must be a list of profile names such as [el8]"),
])
def test_repo_mistakes_name_the_line_of_their_key(text: str, error: str) -> None:
    assert repo_of(text)[1] == [error]


def test_a_bad_sslverify_is_reported_and_left_unset() -> None:
    assert repo_of("  conf:\n    sslverify: 'no'\n") == (
        model.Repo("r", None, frozenset(), None, REPO_WHERE),
        ["group.yml:2: repos.r.conf.sslverify: must be true or false"])


def test_parse_repo_reads_in_the_default_mode_unless_told() -> None:
    raw = yamlio.load("r:\n  conf:\n    baseurl: https://x/plain\n", "group.yml")["r"]
    repo = model.parse_repo("r", raw, REPO_WHERE, Problems())
    assert repo is not None and repo.x86_64_url == "https://x/plain"


def test_entry_lines_for_keys_that_are_not_strings() -> None:
    entry, errors, _ = entry_of("  transform: t\n  3: x\n")
    assert errors == []
    assert entry is not None and dict(entry.key_lines) == {"transform": 2, "3": 3}


def test_an_entry_without_any_line_gets_line_0() -> None:
    entry = model.parse_entry("s", {"transform": "t"}, Location("streams.yml"), Problems())
    assert entry is not None and dict(entry.key_lines) == {"transform": 0}


def test_a_bad_sslverify_points_at_its_conf() -> None:
    assert repo_of("  content_set: {}\n  conf:\n    sslverify: 'no'\n")[1] == [
        "group.yml:3: repos.r.conf.sslverify: must be true or false"]


def repo_problems(text: str, doozer_2020: bool = False) -> tuple[list[str], list[str]]:
    """The errors and warnings of one repo (`text` below `r:` in group.yml)."""
    problems = Problems()
    raw = yamlio.load("r:\n" + text, "group.yml")["r"]
    model.parse_repo("r", raw, REPO_WHERE, problems, doozer_2020)
    return [str(e) for e in problems.errors], problems.warnings


# issue 16: a misspelt key anywhere in a repo is an error, in doozer-2020 mode a warning
@pytest.mark.parametrize(("text", "where", "hint"), [
    ("  confg: {}\n", "group.yml:2: repos.r.confg", "conf"),
    ("  conf:\n    baseurll: https://x/\n", "group.yml:3: repos.r.conf.baseurll", "baseurl"),
    ("  conf:\n    extra_options:\n      sslverfy: false\n",
     "group.yml:4: repos.r.conf.extra_options.sslverfy", "sslverify"),
    ("  conf:\n    baseurl:\n      x86_46: https://x/\n",
     "group.yml:4: repos.r.conf.baseurl.x86_46", "x86_64"),
    ("  conf:\n    baseurl:\n      unsigned:\n        x86_46: https://x/\n",
     "group.yml:5: repos.r.conf.baseurl.unsigned.x86_46", "x86_64"),
    ("  conf:\n    ci_alignment:\n      profile: [el8]\n",
     "group.yml:4: repos.r.conf.ci_alignment.profile", "profiles"),
    ("  conf:\n    ci_alignment:\n      localdev:\n        enable: true\n",
     "group.yml:5: repos.r.conf.ci_alignment.localdev.enable", "enabled"),
])
def test_a_misspelt_repo_key_is_an_error_and_in_doozer_mode_a_warning(text: str, where: str,
                                                                     hint: str) -> None:
    key = where.rsplit(".", 1)[1]
    assert repo_problems(text) == ([f"{where}: unknown key (did you mean '{hint}'?)"], [])
    assert repo_problems(text, doozer_2020=True) == (
        [], [f"{where}: unknown key, ignored (did you mean '{hint}'?)"])
    assert key != hint


def test_unsigned_is_an_arch_mapping_only_below_baseurl() -> None:
    """extra_options takes keys of many tools: an `unsigned` there is not checked as arches."""
    assert repo_problems("  conf:\n    extra_options:\n      unsigned: {sslverfy: 1}\n") == ([], [])


def test_unmatched_profiles_are_errors_unless_told_and_every_repo_is_looked_at() -> None:
    off = model.Repo("off", None, frozenset(), None, REPO_WHERE)  # not enabled for local dev
    bare = model.Repo("bare", None, frozenset(), None, REPO_WHERE, REPO_WHERE.child("profiles"))
    odd = model.Repo("odd", None, frozenset({"el8x", "el10\n", "el10"}), None, REPO_WHERE,
                     REPO_WHERE.child("profiles"))
    problems = Problems()
    model.unmatched_profiles([off, bare, odd], {"el8"}, problems)
    assert problems.warnings == []
    assert [str(e) for e in problems.errors] == [
        "group.yml:1: repos.r.profiles: local development is enabled but no profile is listed, "
        "so no transform uses this repo (profiles the transforms use: el8)",
        "group.yml:1: repos.r.profiles: profile 'el10\\n' is used by no transform, so it never "
        "matches (profiles the transforms use: el8)",
        "group.yml:1: repos.r.profiles: profile 'el8x' is used by no transform, so it never "
        "matches (did you mean 'el8'?) (profiles the transforms use: el8)"]


def test_a_bad_mirror_key_of_an_entry_is_reported_at_its_line() -> None:
    _, errors, _ = entry_of("  transform: t\n  image: ''\n")
    assert errors == ["streams.yml:3: s.image: must be a pullspec or an image name, not an empty "
                      "string"]

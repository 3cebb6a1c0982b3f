"""Which keys are misspellings (issue 16): a key close to one cistreams reads is an error
(doozer-2020 mode: a warning), any other unknown key a warning where cistreams owns the
mapping and nothing where the file belongs to many tools; every key of the real corpus is
known, so that no real group gains a false error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cistreams import yamlio
from cistreams.builddata import keys, model
from cistreams.errors import Location, Problems
from helpers import corpus_dirs

WHERE = Location("group.yml", 1, "x")


def checked(text: str, spec: keys.Keys, doozer_2020: bool = False) -> tuple[list[str], list[str]]:
    problems = Problems()
    keys.check(yamlio.load(text, "group.yml"), spec, WHERE, problems, doozer_2020)
    return [str(e) for e in problems.errors], problems.warnings


def test_a_key_close_to_one_cistreams_reads_is_an_error() -> None:
    assert checked("repoz: {}\n", keys.GROUP) == (
        ["group.yml:1: x.repoz: unknown key (did you mean 'repos'?)"], [])


def test_doozer_2020_mode_keeps_it_a_warning() -> None:
    assert checked("repoz: {}\n", keys.GROUP, doozer_2020=True) == (
        [], ["group.yml:1: x.repoz: unknown key, ignored (did you mean 'repos'?)"])


def test_a_foreign_key_is_silent_in_an_open_mapping_and_a_warning_in_a_closed_one() -> None:
    assert checked("zzz_tooling: 1\n", keys.GROUP) == ([], [])
    assert checked("zzz_tooling: 1\n", keys.CI_ALIGNMENT) == (
        [], ["group.yml:1: x.zzz_tooling: unknown key, ignored"])


def test_a_misspelling_of_a_key_only_other_tools_read_is_not_an_error() -> None:
    # `brnach` is close to group.yml's branch, which cistreams does not read
    assert checked("brnach: x\n", keys.GROUP) == ([], [])
    assert checked("alias: []\n", keys.STREAM) == (
        [], ["group.yml:1: x.alias: unknown key, ignored (did you mean 'aliases'?)"])


@pytest.mark.parametrize("suffix", ["!", "?", "-"])
def test_assembly_merge_suffixes_are_known(suffix: str) -> None:
    assert checked(f"ci_alignment{suffix}: {{}}\n", keys.CONF) == ([], [])


def test_no_other_tools_key_is_a_misspelling_of_a_key_cistreams_reads() -> None:
    specs = [keys.STREAM, keys.IMAGE_CI, keys.GROUP, keys.REPO, keys.CONF, keys.EXTRA_OPTIONS,
             keys.BASEURL, keys.IMAGE, keys.IMAGE_CONTENT, keys.IMAGE_SOURCE]
    for spec in specs:
        problems = Problems()
        keys.check(dict.fromkeys(spec.others, 1), spec, WHERE, problems)
        assert (problems.errors, problems.warnings) == ([], []), spec


# -- the real corpus: every key it uses is known --------------------------------------------------


def _mappings(data: Path) -> Iterator[tuple[str, Any, keys.Keys]]:
    """(file, mapping, its keys) for each mapping cistreams checks in a corpus directory."""
    resolver = _no_includes
    group = yamlio.load((data / "group.yml").read_text(), "group.yml", resolver)
    yield "group.yml", group, keys.GROUP
    repos = list((group.get("repos") or {}).values())
    if (data / "group.ext.yml").is_file():
        yield "group.ext.yml", yamlio.load((data / "group.ext.yml").read_text(),
                                           "group.ext.yml", resolver), keys.GROUP
    for path in sorted((data / "repos").glob("*.yml")):
        repos += yamlio.load(path.read_text(), path.name) or []
    for repo in repos:
        yield "repo", repo, keys.REPO
        yield from _conf(repo.get("conf") or {})
    for path in sorted(data.glob("streams.y*ml")):
        for entry in (yamlio.load(path.read_text(), path.name) or {}).values():
            yield path.name, entry, keys.STREAM
    for path in sorted((data / "images").glob("*.yml")):
        yield from _image(path.name, yamlio.load(path.read_text(), path.name))


def _conf(conf: dict[str, Any]) -> Iterator[tuple[str, Any, keys.Keys]]:
    yield "conf", conf, keys.CONF
    for key, spec in (("extra_options", keys.EXTRA_OPTIONS), ("baseurl", keys.BASEURL),
                      ("ci_alignment", keys.CI_ALIGNMENT)):
        if isinstance(conf.get(key), dict):
            yield key, conf[key], spec
    localdev = (conf.get("ci_alignment") or {}).get("localdev")
    if isinstance(localdev, dict):
        yield "localdev", localdev, keys.LOCALDEV


def _image(name: str, raw: dict[str, Any]) -> Iterator[tuple[str, Any, keys.Keys]]:
    yield name, raw, keys.IMAGE
    content = raw.get("content") or {}
    yield name, content, keys.IMAGE_CONTENT
    source = content.get("source") or {}
    yield name, source, keys.IMAGE_SOURCE
    if isinstance(source.get("ci_alignment"), dict):
        yield name, source["ci_alignment"], keys.IMAGE_CI


def _no_includes(pattern: str, where: Location) -> Any:
    return None


@pytest.mark.parametrize("data", corpus_dirs(), ids=lambda p: p.name)
def test_every_key_of_the_corpus_is_known(data: Path) -> None:
    unknown = sorted({f"{file}: {key}" for file, mapping, spec in _mappings(data)
                      for key in mapping if str(key).rstrip("!?-") not in spec.known})
    assert unknown == []


def test_the_corpus_is_there_or_the_test_says_so() -> None:
    if not corpus_dirs():
        pytest.skip("no ../shared/corpus")
    assert len(corpus_dirs()) >= 27


# -- values: freeze_automation and local-dev profiles -------------------------------------------


@pytest.mark.parametrize("value", [None, True, False, "yes", "NO", "off", "y", "n", "scheduled",
                                   "Weekdays", "", " on "])
def test_every_accepted_freeze_spelling_is_fine(value: object) -> None:
    assert model.freeze_problem(value) is None


@pytest.mark.parametrize(("value", "shown"), [("ys", "'ys'"), ("frozen", "'frozen'"),
                                              (1, "int 1"), (["yes"], "a list")])
def test_any_other_freeze_value_is_refused_with_the_spellings(value: object, shown: str) -> None:
    assert model.freeze_problem(value) == (
        f"{shown} is neither yes nor no; accepted spellings (any case): yes, true, on, y (frozen), "
        "no, false, off, n, scheduled, weekdays (not frozen)")


def repo(profiles: list[str], enabled: bool = True) -> model.Repo:
    problems = Problems()
    raw = yamlio.load(f"conf:\n  ci_alignment:\n    profiles: {profiles}\n"
                      f"    localdev: {{enabled: {str(enabled).lower()}}}\n", "group.yml")
    found = model.parse_repo("r", raw, Location("group.yml", 1, "repos.r"), problems)
    assert found is not None and problems.errors == []
    return found


def unmatched(repos: list[model.Repo], doozer_2020: bool = False) -> tuple[list[str], list[str]]:
    problems = Problems()
    model.unmatched_profiles(repos, {"el8", "el9"}, problems, doozer_2020)
    return [str(e) for e in problems.errors], problems.warnings


def test_a_profile_no_transform_uses_is_reported() -> None:
    message = ("group.yml:3: repos.r.conf.ci_alignment.profiles: profile 'rhel8' is used by no "
               "transform, so it never matches (did you mean 'el8'?) (profiles the transforms "
               "use: el8, el9)")
    assert unmatched([repo(["el8", "rhel8"])]) == ([message], [])
    assert unmatched([repo(["rhel8"])], doozer_2020=True) == ([], [message])


def test_a_rhel_major_without_a_transform_yet_is_fine() -> None:
    assert unmatched([repo(["el10"]), repo(["el7", "el8"])]) == ([], [])


def test_enabled_without_profiles_never_matches() -> None:
    assert unmatched([repo([])]) == (
        ["group.yml:3: repos.r.conf.ci_alignment.profiles: local development is enabled but no "
         "profile is listed, so no transform uses this repo (profiles the transforms use: el8, "
         "el9)"], [])


def test_a_disabled_repo_is_not_judged() -> None:
    assert unmatched([repo(["rhel8"], enabled=False)]) == ([], [])


def test_doozer_2026_mode_keeps_it_a_warning_and_the_default_mode_an_error(tmp_path: Path) -> None:
    from helpers import EXAMPLE, run_cli

    data = tmp_path / "data"
    data.mkdir()
    (data / "group.yml").write_text((EXAMPLE / "group.yml").read_text())
    streams = (EXAMPLE / "streams.yml").read_text()
    assert "  transform: rhel-8/golang\n" in streams
    (data / "streams.yml").write_text(streams.replace("  transform: rhel-8/golang\n",
                                                      "  transfrom: rhel-8/golang\n", 1))
    args = ("gen-buildconfigs", "--data-path", str(data), "-g", "openshift-4.7", "-o", "-")
    doozer = run_cli(*args, "--compat", "doozer-2026")
    assert doozer.code == 0
    assert "transfrom: unknown key, ignored (did you mean 'transform'?)" in doozer.stderr
    default = run_cli(*args)
    assert default.code == 1
    assert "transfrom: unknown key (did you mean 'transform'?)" in default.stderr
    with keys.doozer_rules(True):
        pass
    assert checked("transfrom: x\n", keys.STREAM)[0]  # the rule is back once the block ends

from __future__ import annotations

from pathlib import Path

import pytest

from cistreams import builddata
from cistreams.builddata import LoadOptions
from cistreams.errors import CistreamsError, Problems

GROUP = """\
name: openshift-{MAJOR}.{MINOR}
vars: {MAJOR: 4, MINOR: 17}
repos:
  b-rpms:
    conf:
      baseurl: {x86_64: 'https://x/{MAJOR}.{MINOR}/b'}
      ci_alignment: {profiles: [el8], localdev: {enabled: true}}
    content_set: {default: b}
  a-rpms:
    conf:
      baseurl: {unsigned: {x86_64: https://x/unsigned/a}, x86_64: https://x/signed/a}
      ci_alignment: {profiles: [el9], localdev: {enabled: true}}
    content_set: {default: a}
"""
STREAMS = """\
# a comment with {unknown} in it
golang:
  transform: rhel-8/golang
  upstream_image_base: registry.ci.openshift.org/ocp/builder:golang-{MAJOR}.{MINOR}.art
  upstream_image: registry.ci.openshift.org/ocp/builder:golang-{MAJOR}.{MINOR}
plain:
  upstream_image: registry.ci.openshift.org/ocp/builder:{NOPE}
"""


def write(tmp_path: Path, group: str = GROUP, streams: str | None = STREAMS) -> Path:
    (tmp_path / "group.yml").write_text(group)
    if streams is not None:
        (tmp_path / "streams.yml").write_text(streams)
    return tmp_path


def load(path: Path, doozer_2020: bool = False, group: str = "openshift-4.17",
         **kwargs: object) -> tuple[builddata.BuildData, Problems]:
    problems = Problems()
    data = builddata.load(path, LoadOptions(group, doozer_2020, **kwargs), problems)  # type: ignore[arg-type]
    problems.check()
    return data, problems


def test_vars_are_substituted_and_repos_sorted(tmp_path: Path) -> None:
    data, problems = load(write(tmp_path))
    assert data.group.name == "openshift-4.17"
    assert (data.group.major, data.group.minor) == ("4", "17")
    assert [r.name for r in data.group.repos] == ["a-rpms", "b-rpms"]
    assert data.group.repos[0].x86_64_url == "https://x/unsigned/a"  # unsigned wins
    assert data.group.repos[1].x86_64_url == "https://x/4.17/b"
    golang = data.entries[0]
    assert golang.upstream_image == "registry.ci.openshift.org/ocp/builder:golang-4.17"
    # default mode: only the unknown placeholder stays, with a warning naming its line
    assert data.entries[1].upstream_image == "registry.ci.openshift.org/ocp/builder:{NOPE}"
    assert problems.warnings == ["streams.yml:7: plain.upstream_image: unknown placeholder "
                                 "{NOPE}; left as written (known: MAJOR, MINOR, release_name, "
                                 "runtime_assembly)"]


def test_doozer_2020_leaves_streams_unformatted_on_any_unknown_key(tmp_path: Path) -> None:
    data, problems = load(write(tmp_path), doozer_2020=True)
    assert data.entries[0].upstream_image == \
        "registry.ci.openshift.org/ocp/builder:golang-{MAJOR}.{MINOR}"
    assert "template key {unknown}" in problems.warnings[0]


def test_doozer_2020_keeps_file_order_without_vars(tmp_path: Path) -> None:
    group = GROUP.replace("vars: {MAJOR: 4, MINOR: 17}\n", "").replace(
        "openshift-{MAJOR}.{MINOR}", "openshift-4.17")
    data, _ = load(write(tmp_path, group, streams=None), doozer_2020=True)
    assert [r.name for r in data.group.repos] == ["b-rpms", "a-rpms"]
    assert data.group.major == "(MissingModel)"  # what doozer printed into URLs
    with pytest.raises(CistreamsError, match=r"unknown placeholder \{MAJOR\}"):
        load(tmp_path)  # the default mode names the placeholder that has no var


@pytest.mark.parametrize("value", ["yes", "'yes'", "'Yes'", "true", "'True'", "on"])
def test_freeze_blocks_every_spelling(tmp_path: Path, value: str) -> None:
    write(tmp_path, GROUP + f"freeze_automation: {value}\n")
    for doozer_2020 in (False, True):
        with pytest.raises(CistreamsError, match=r"group.yml:\d+: freeze_automation: .*frozen"):
            load(tmp_path, doozer_2020=doozer_2020)


@pytest.mark.parametrize("value", ["no", "scheduled", "weekdays", "'no'"])
def test_freeze_allows_other_values(tmp_path: Path, value: str) -> None:
    load(write(tmp_path, GROUP + f"freeze_automation: {value}\n"))


def test_group_name_must_match(tmp_path: Path) -> None:
    with pytest.raises(CistreamsError, match=r"does not match --group 'openshift-4\.16'"):
        load(write(tmp_path), group="openshift-4.16")


def test_unknown_placeholder_in_group_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, GROUP.replace("https://x/{MAJOR}.{MINOR}/b", "https://x/{MAJR}/b"))
    with pytest.raises(CistreamsError, match=r"group.yml:6: repos.b-rpms.conf.baseurl.x86_64: "
                                             r"unknown placeholder \{MAJR\}"):
        load(tmp_path)


def test_var_overrides_and_assembly(tmp_path: Path) -> None:
    group = GROUP + "assemblies: {enabled: true}\n"
    group = group.replace("https://x/{MAJOR}.{MINOR}/b", "https://x/{MAJOR}.{MINOR}/{runtime_assembly}/b")
    write(tmp_path, group)
    data, _ = load(tmp_path, group="openshift-4.18", var_overrides=(("MINOR", "18"),))
    assert data.group.repos[1].x86_64_url == "https://x/4.18/stream/b"
    data, _ = load(tmp_path, group="openshift-4.18", var_overrides=(("MINOR", "18"),),
                   assembly="4.18.3")
    assert data.group.repos[1].x86_64_url == "https://x/4.18/4.18.3/b"


def test_missing_streams_file_means_no_entries(tmp_path: Path) -> None:
    data, _ = load(write(tmp_path, streams=None))
    assert data.entries == ()


def test_find_file_prefers_yaml_then_yml_then_json(tmp_path: Path) -> None:
    for ext in (".json", ".yml", ".yaml"):
        (tmp_path / f"streams{ext}").write_text("{}")
    assert builddata.find_file(tmp_path, "streams") == tmp_path / "streams.yaml"

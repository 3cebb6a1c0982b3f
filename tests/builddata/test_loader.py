from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cistreams import builddata
from cistreams.builddata import LoadOptions, checkout
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


@pytest.mark.parametrize(("path", "remote"), [
    ("/data/ocp-build-data", False), ("relative/dir", False), ("file:///srv/data", False),
    ("https://github.com/openshift-eng/ocp-build-data", True),
    ("ssh://git@github.com/openshift-eng/ocp-build-data.git", True),
    ("git@github.com:openshift-eng/ocp-build-data.git", True),
])
def test_remote_detection(path: str, remote: bool) -> None:
    assert builddata.is_remote(path) is remote


def _git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    work = tmp_path / "src"
    work.mkdir()
    _git("init", "-q", "-b", "openshift-4.17", cwd=work)
    write(work)
    override = work / "ci_transforms" / "rhel-8" / "golang"
    override.mkdir(parents=True)
    (override / "Dockerfile").write_text("FROM replaced-by-buildconfig\n# from the build data\n")
    _git("add", "-A", cwd=work)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "data", cwd=work)
    bare = tmp_path / "ocp-build-data.git"
    _git("clone", "-q", "--bare", str(work), str(bare))
    return bare


def test_clone_then_reuse_a_clean_clone(remote: Path, tmp_path: Path) -> None:
    dest = tmp_path / "wd" / "ocp-build-data"
    builddata.clone_or_update(str(remote), "openshift-4.17", dest)
    assert (dest / "group.yml").is_file()
    marker = dest / ".git" / "kept"
    marker.write_text("")
    builddata.clone_or_update(str(remote), "openshift-4.17", dest)
    assert marker.exists()  # reused, not re-cloned


def test_a_clone_with_local_edits_is_never_discarded(remote: Path, tmp_path: Path) -> None:
    dest = tmp_path / "wd" / "ocp-build-data"
    builddata.clone_or_update(str(remote), "openshift-4.17", dest)
    (dest / "group.yml").write_text("edited")
    with pytest.raises(CistreamsError, match="local changes"):
        builddata.clone_or_update(str(remote), "openshift-4.17", dest)
    assert (dest / "group.yml").read_text() == "edited"


def test_a_missing_branch_is_a_clear_error(remote: Path, tmp_path: Path) -> None:
    with pytest.raises(CistreamsError, match=r"cannot clone branch 'openshift-9\.9'"):
        builddata.clone_or_update(str(remote), "openshift-9.9", tmp_path / "x")


def test_git_is_run_with_argument_lists(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def fake(argv: object) -> subprocess.CompletedProcess[str]:
        calls.append(list(argv))  # type: ignore[call-overload]
        return subprocess.CompletedProcess(argv, 0, "", "")  # type: ignore[arg-type]

    url = "git@example.com:org/data; rm -rf /.git"
    builddata.locate(url, "openshift-4.17", tmp_path, fake)
    assert calls[-1][:6] == ["git", "clone", "--quiet", "--depth", "1", "--branch"]
    assert calls[-1][-2] == url  # one argument, never interpreted by a shell


def test_cli_renders_from_a_remote_without_a_working_dir(
        remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The clone lives in a temporary folder; transforms must be read before it is removed."""
    from helpers import run_cli

    def is_remote(path: str) -> bool:
        return path == str(remote)

    monkeypatch.setattr(builddata, "is_remote", is_remote)
    monkeypatch.setattr(checkout, "is_remote", is_remote)
    out = tmp_path / "out.yaml"
    result = run_cli("--data-path", str(remote), "-g", "openshift-4.17", "gen-buildconfigs",
                     "-o", str(out))
    assert result.code == 0, result.stderr
    assert "# from the build data" in out.read_text()

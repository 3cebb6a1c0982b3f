"""cistreams.render on hand-built records: one behaviour per test, both modes where they differ."""

from __future__ import annotations

from typing import Any

import pytest

from cistreams import transforms
from cistreams.builddata.model import Entry, Group, Repo
from cistreams.errors import CistreamsError, Location, Problems
from cistreams.render import Rendered, RenderOptions, render

WHERE = Location("group.yml", 1)


def repo(name: str, *profiles: str, url: str = "https://rpm.example.com/x86_64/",
         sslverify: bool | None = None) -> Repo:
    return Repo(name, url, frozenset(profiles), sslverify, WHERE.child(f"repos.{name}"))


GROUP = Group("openshift-4.7", "4", "7", (repo("a-rpms", "el8", "el7"), repo("b-rpms", "el9"),
                                          repo("c-rpms", "el7")), WHERE)


def entry(name: str, transform: str | None, dest: str = "ns/is:tag",
          final_user: str | None = None) -> Entry:
    return Entry(name, transform, f"registry.ci.openshift.org/{dest}",
                 f"registry.ci.openshift.org/{dest}.art", final_user,
                 Location("streams.yml", 1, name))


def run(*entries: Entry, doozer_2020: bool = False, **options: Any) -> Rendered:
    registry = transforms.load_registry(None, doozer_2020=doozer_2020, problems=Problems())
    return render(GROUP, entries, registry, RenderOptions(doozer_2020, **options), Problems())


def dockerfile(result: Rendered, index: int = 0) -> list[str]:
    text: str = result.objects[index]["spec"]["source"]["dockerfile"]
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize(("transform", "host", "profile_repos"), [
    ("rhel-7/base-repos", "base-4-7.ocp.svc", ["a-rpms", "c-rpms"]),
    ("rhel-8/golang", "base-4-7-rhel8.ocp.svc", ["a-rpms"]),
    ("rhel-9/base-repos", "base-4-7-rhel9.ocp.svc", ["b-rpms"]),
])
def test_repo_families(transform: str, host: str, profile_repos: list[str]) -> None:
    lines = dockerfile(run(entry("s", transform)))
    curl = next(i for i, line in enumerate(lines) if "ci-rpm-mirrors.repo" in line)
    assert f"curl http://{host} >" in lines[curl]
    localdev = [line.split("'[localdev-")[1].split("]")[0] for line in lines if "localdev-" in line]
    assert localdev == profile_repos


def test_ci_build_root_gets_no_repo_lines() -> None:
    lines = dockerfile(run(entry("s", "rhel-8/ci-build-root")))
    assert not [line for line in lines if "yum.repos.d" in line]


def test_default_mode_labels_user_root_then_final_user() -> None:
    lines = dockerfile(run(entry("s", "rhel-8/base-repos", "ns/is:tag", final_user="1001")))
    labels = [i for i, line in enumerate(lines) if line.startswith("LABEL")]
    assert lines[labels[-1] + 1] == "USER 0"
    assert lines[-1] == "USER 1001"
    assert lines[labels[0]] == "LABEL io.k8s.display-name=is-tag"
    assert lines[labels[1]] == \
        "LABEL io.k8s.description='ART equivalent image openshift-4.7-s - rhel-8/base-repos'"


def test_doozer_mode_has_no_user_lines() -> None:
    lines = dockerfile(run(entry("s", "rhel-8/base-repos", final_user="1001"), doozer_2020=True))
    assert not [line for line in lines if line.startswith("USER")]


def test_sslverify_follows_each_repo_in_default_mode_only() -> None:
    group = Group("g", "4", "7", (repo("off", "el8", sslverify=False), repo("on", "el8")), WHERE)
    registry = transforms.load_registry(None, doozer_2020=False, problems=Problems())
    result = render(group, [entry("s", "rhel-8/base-repos")], registry, RenderOptions(), Problems())
    lines = [line for line in dockerfile(result) if "localdev" in line]
    assert "sslverify = 0" in lines[0] and "sslverify" not in lines[1]


def test_rhel7_order_differs_between_modes() -> None:
    def kinds(lines: list[str]) -> list[str]:
        return ["curl" if "curl" in x else "localdev" if "localdev" in x else
                "star" if "*.skip" in x else "global" for x in lines if "yum" in x]
    assert kinds(dockerfile(run(entry("s", "rhel-7/golang"), doozer_2020=True))) == \
        ["curl", "star", "localdev", "localdev"]
    assert kinds(dockerfile(run(entry("s", "rhel-7/golang")))) == \
        ["curl", "localdev", "localdev", "global", "star"]


def test_live_test_mode_suffixes_tags_and_group_label() -> None:
    result = run(entry("s", "rhel-8/golang"), live_test=True)
    bc, ds = result.objects
    assert bc["metadata"]["name"] == "is-tag.test--art-builder"
    assert bc["spec"]["output"]["to"]["name"] == "is:tag.test"
    assert bc["spec"]["strategy"]["dockerStrategy"]["from"]["name"] == "is:tag.art.test"
    assert bc["metadata"]["labels"]["art-builder-group"] == "openshift-4.7.test"
    assert ds["metadata"]["labels"]["art-builder-group"] == "openshift-4.7.test"
    compat_ds = run(entry("s", "rhel-8/golang"), live_test=True, doozer_2020=True).objects[1]
    assert compat_ds["metadata"]["labels"]["art-builder-group"] == "openshift-4.7"  # the quirk


def test_daemonset_rule() -> None:
    assert [o["kind"] for o in run(entry("a", "rhel-8/golang"), entry("b", None)).objects] == \
        ["BuildConfig", "DaemonSet"]
    assert run(entry("b", None)).objects == []
    assert [o["kind"] for o in run(entry("a", "rhel-8/golang"), all_entries=False).objects] == \
        ["BuildConfig"]
    assert [o["kind"] for o in run(entry("a", "rhel-8/golang"), daemonset=False).objects] == \
        ["BuildConfig"]


def test_api_versions_per_mode() -> None:
    new = run(entry("a", "rhel-8/golang")).objects
    old = run(entry("a", "rhel-8/golang"), doozer_2020=True).objects
    assert [o["apiVersion"] for o in new] == ["build.openshift.io/v1", "apps/v1"]
    assert [o["apiVersion"] for o in old] == ["v1", "extensions/v1beta1"]
    assert "templateGeneration" not in new[1]["spec"] and old[1]["spec"]["templateGeneration"] == 1
    assert new[1]["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "registry.ci.openshift.org/ns/is:tag"
    assert old[1]["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "registry.svc.ci.openshift.org/ns/is:tag"


def test_long_container_names_are_shortened_with_a_hash() -> None:
    long_tag = "rhel-8-release-golang-1.22-openshift-4.17-with-a-very-long-suffix"
    ds = run(entry("a", "rhel-8/golang", f"openshift/release:{long_tag}")).objects[1]
    name = ds["spec"]["template"]["spec"]["containers"][0]["name"]
    assert len(name) == 63 and name.startswith("openshift-release-rhel-8-release-golang-1-22")
    assert name == run(entry("a", "rhel-8/golang", f"openshift/release:{long_tag}")) \
        .objects[1]["spec"]["template"]["spec"]["containers"][0]["name"]


def test_errors_are_all_reported_together() -> None:
    with pytest.raises(CistreamsError) as info:
        run(entry("a", "rhel-8/golnag"), entry("b", "rhel-10/golang"), entry("ok", "rhel-8/golang"))
    text = str(info.value)
    assert "unknown transform 'rhel-8/golnag' (did you mean 'rhel-8/golang'?)" in text
    assert "unknown transform 'rhel-10/golang'" in text


def test_two_streams_writing_one_buildconfig_is_an_error() -> None:
    with pytest.raises(CistreamsError, match="BuildConfig 'is-tag--art-builder' is also generated"):
        run(entry("a", "rhel-8/golang"), entry("b", "rhel-8/base-repos"))


@pytest.mark.parametrize("url", ["https://x/'; rm -rf /; '", "https://x/$(id)", "https://x/ a",
                                 "https://x/`id`", "https://x/\\n"])
def test_unquotable_urls_are_refused(url: str) -> None:
    group = Group("g", "4", "7", (repo("r", "el8", url=url),), WHERE)
    registry = transforms.load_registry(None, doozer_2020=True, problems=Problems())
    with pytest.raises(CistreamsError, match="cannot be quoted safely"):
        render(group, [entry("s", "rhel-8/golang")], registry, RenderOptions(True), Problems())


def test_final_user_cannot_smuggle_instructions() -> None:
    with pytest.raises(CistreamsError, match="not a user name"):
        run(entry("s", "rhel-8/golang", final_user="0\nRUN curl evil"))

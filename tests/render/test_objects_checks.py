"""The checks of cistreams.render.objects, each asserted with its exact message (issue 11).

Injection checks are tried with values that start legally and go wrong later: a quote, a
semicolon, a space, or a single newline at the very end (which `$` would let through).
"""

from __future__ import annotations

import dataclasses

import pytest
from test_objects import GROUP, WHERE, dockerfile, entry, repo, run

from cistreams import transforms
from cistreams.builddata.model import Entry, Group, Repo
from cistreams.errors import CistreamsError, Location, Problems
from cistreams.options import PushTarget
from cistreams.render import Rendered, RenderOptions, render
from cistreams.transforms import Registry, Transform

REPO_NAME_WHY = "cannot be used in a .repo file name (letters, digits, '.', '_', '+' and '-' only)"
LABEL_VALUE_WHY = ("cannot be a label value (letters, digits, '-', '_' and '.', starting and "
                   "ending with a letter or digit)")


def errors_of(group: Group, *entries: Entry, doozer_2020: bool = False,
              registry: Registry | None = None) -> list[str]:
    """The one-line errors a render reports (it must fail)."""
    registry = registry or transforms.load_registry(None, doozer_2020=doozer_2020, problems=Problems())
    with pytest.raises(CistreamsError) as caught:
        render(group, entries, registry, RenderOptions(doozer_2020), Problems())
    return str(caught.value).splitlines()


def rendered(group: Group, *entries: Entry, doozer_2020: bool = False,
             problems: Problems | None = None) -> Rendered:
    registry = transforms.load_registry(None, doozer_2020=doozer_2020, problems=Problems())
    return render(group, entries, registry, RenderOptions(doozer_2020), problems or Problems())


def with_repo(name: str, url: str = "https://rpm.example.com/x86_64/") -> Group:
    return Group("openshift-4.7", "4", "7", (repo(name, "el8", url=url),), WHERE)


@pytest.mark.parametrize("name", ["rpms';id;'", "rpms\n", "rpms x", "rpms/../../etc/passwd", "rpms$x",
                                  "-rpms", ".rpms", "rpms`id`"])
@pytest.mark.parametrize("doozer_2020", [False, True])
def test_repo_names_that_could_break_out_are_refused(name: str, doozer_2020: bool) -> None:
    shown = name.replace("\n", "\\n")
    assert errors_of(with_repo(name), entry("s", "rhel-8/golang"), doozer_2020=doozer_2020) == [
        f"group.yml:1: repos.{shown}: repo name '{shown}' {REPO_NAME_WHY}"]


@pytest.mark.parametrize("name", ["rhel-8-baseos-rpms", "a", "R_1.2+x-y"])
def test_legal_repo_names_are_written(name: str) -> None:
    lines = dockerfile(rendered(with_repo(name), entry("s", "rhel-8/golang")))
    assert f"RUN echo -e '[localdev-{name}]\\nname = localdev-{name}\\nid = localdev-{name}\\nbaseurl = " \
           f"https://rpm.example.com/x86_64/\\nenabled = 1\\ngpgcheck = 0\\n' > " \
           f"/etc/yum.repos.d/localdev-{name}.repo" in lines


@pytest.mark.parametrize("url", ["https://x/'; id; '", "https://x/\n", "https://x/a\tb", "https://x/\x00"])
def test_urls_that_could_break_out_are_refused(url: str) -> None:
    [line] = errors_of(with_repo("r", url), entry("s", "rhel-8/golang"))
    assert line.startswith("group.yml:1: repos.r.conf.baseurl: baseurl '")
    assert line.endswith("which cannot be quoted safely in a Dockerfile RUN line")


@pytest.mark.parametrize("user", ["1001\n", "root;id", "root id", "1001:0 x", "1001:", ":0", "-u",
                                  "root'", "1001:0:0"])
def test_final_users_that_are_not_a_user_are_refused(user: str) -> None:
    assert errors_of(GROUP, entry("s", "rhel-8/golang", final_user=user)) == [
        f"streams.yml:1: s.final_user: {user!r} is not a user name or uid[:gid]"]


@pytest.mark.parametrize("user", ["1001", "root", "1001:0", "app_user.x-y:grp", "_x"])
def test_legal_final_users_end_the_dockerfile(user: str) -> None:
    assert dockerfile(run(entry("s", "rhel-8/golang", final_user=user)))[-1] == f"USER {user}"


def test_final_user_is_not_checked_in_doozer_mode() -> None:
    assert "USER 1001" not in dockerfile(run(entry("s", "rhel-8/golang", final_user="1001"),
                                             doozer_2020=True))


def _mirror_registry(mirror: str) -> Registry:
    base = transforms.load_registry(None, doozer_2020=False, problems=Problems())
    custom = Transform("rhel-8/golang", "rhel-8", "dnf", mirror, "el8", True, "bundled")
    return Registry({**base.transforms, "rhel-8/golang": custom}, base.templates)


@pytest.mark.parametrize(("minor", "host"), [("7\n", "base-4-7\\n"), ("7;id", "base-4-7;id"),
                                             ("7 x", "base-4-7 x")])
def test_a_mirror_host_that_is_not_a_host_is_refused(minor: str, host: str) -> None:
    group = Group("openshift-4.7", "4", minor, (), WHERE)
    registry = _mirror_registry("base-{MAJOR}-{MINOR}")
    assert errors_of(group, entry("s", "rhel-8/golang"), registry=registry) == [
        f"group.yml:1: vars: vars.MAJOR/vars.MINOR make the CI mirror host '{host}', which is not a "
        "host name"]


def test_a_missing_model_version_is_written_in_doozer_mode_only() -> None:
    group = Group("openshift-4.7", "(MissingModel)", "7", (), WHERE)
    lines = dockerfile(rendered(group, entry("s", "rhel-8/golang"), doozer_2020=True))
    assert "RUN rm -rf /etc/yum.repos.d/*.repo && curl http://base-(MissingModel)-7-rhel8.ocp.svc > " \
           "/etc/yum.repos.d/ci-rpm-mirrors.repo" in lines
    assert errors_of(group, entry("s", "rhel-8/golang")) == [
        "group.yml:1: vars: vars.MAJOR/vars.MINOR make the CI mirror host "
        "'base-(MissingModel)-7-rhel8.ocp.svc', which is not a host name"]


def test_sslverify_is_turned_off_only_in_the_default_mode() -> None:
    group = Group("openshift-4.7", "4", "7", (repo("r", "el8", sslverify=False),), WHERE)
    default = [line for line in dockerfile(rendered(group, entry("s", "rhel-8/golang")))
               if "localdev" in line]
    doozer = [line for line in dockerfile(rendered(group, entry("s", "rhel-8/golang"), doozer_2020=True))
              if "localdev" in line]
    assert ["sslverify = 0\\n' >" in line for line in default] == [True]
    assert ["sslverify" in line for line in doozer] == [False]


def test_an_invalid_group_label_is_refused_in_the_default_mode_only() -> None:
    group = dataclasses.replace(GROUP, name="openshift 4.7")
    assert errors_of(group, entry("s", "rhel-8/golang")) == [
        f"group.yml:1: name: the group name becomes the art-builder-group label: 'openshift 4.7' "
        f"{LABEL_VALUE_WHY}"]
    bc = rendered(group, entry("s", "rhel-8/golang"), doozer_2020=True).objects[0]
    assert bc["metadata"]["labels"]["art-builder-group"] == "openshift 4.7"


@pytest.mark.parametrize("doozer_2020", [False, True])
def test_a_group_name_on_two_lines_is_refused(doozer_2020: bool) -> None:
    group = dataclasses.replace(GROUP, name="openshift\n4.7")
    assert errors_of(group, entry("s", "rhel-8/golang"), doozer_2020=doozer_2020) == [
        "group.yml:1: name: the group name must be one line of printable text"]


@pytest.mark.parametrize("doozer_2020", [False, True])
def test_a_stream_name_on_two_lines_is_refused_without_follow_up_errors(doozer_2020: bool) -> None:
    bad = entry("a\nb", "rhel-8/golang", final_user="root;id")
    assert errors_of(GROUP, bad, doozer_2020=doozer_2020) == [
        "streams.yml:1: a\\nb: the stream name must be one line of printable text"]


def test_a_stream_name_that_is_not_a_label_is_refused_without_follow_up_errors() -> None:
    bad = entry("my stream", "rhel-8/golang", final_user="root;id")
    assert errors_of(GROUP, bad) == [
        f"streams.yml:1: my stream: the stream name becomes the art-builder-stream label: 'my stream' "
        f"{LABEL_VALUE_WHY}"]
    bc = rendered(GROUP, entry("my stream", "rhel-8/golang"), doozer_2020=True).objects[0]
    assert bc["metadata"]["labels"]["art-builder-stream"] == "my stream"


@pytest.mark.parametrize(("image", "base", "missing"), [
    (None, "registry.ci.openshift.org/ns/is:tag.art", "upstream_image"),
    ("registry.ci.openshift.org/ns/is:tag", None, "upstream_image_base"),
])
def test_a_transform_needs_both_images(image: str | None, base: str | None, missing: str) -> None:
    incomplete = Entry("s", "rhel-8/golang", image, base, None, Location("streams.yml", 1, "s"),
                       {"upstream_image": 2, "upstream_image_base": 3})
    line = {"upstream_image": 2, "upstream_image_base": 3}[missing]
    assert errors_of(GROUP, incomplete) == [
        f"streams.yml:{line}: s.{missing}: a stream with a transform needs both upstream_image_base "
        f"and upstream_image; {missing} is missing"]


def test_a_pullspec_needs_a_registry_in_the_default_mode() -> None:
    bare = Entry("s", "rhel-8/golang", "ns/is:tag", "ns/is:tag.art", None, Location("streams.yml", 1, "s"))
    assert errors_of(GROUP, bare) == [
        "streams.yml:1: s.upstream_image: 'ns/is:tag' needs a registry host (registry/namespace/name:tag)",
        "streams.yml:1: s.upstream_image_base: 'ns/is:tag.art' needs a registry host "
        "(registry/namespace/name:tag)"]


def test_a_pullspec_on_two_lines_is_refused_in_doozer_mode() -> None:
    split = entry("s", "rhel-8/golang", dest="ns/is:ta\tg")
    assert errors_of(GROUP, split, doozer_2020=True) == [
        "streams.yml:1: s.upstream_image: 'registry.ci.openshift.org/ns/is:ta\\tg' must be printable "
        "text on one line",
        "streams.yml:1: s.upstream_image_base: 'registry.ci.openshift.org/ns/is:ta\\tg.art' must be "
        "printable text on one line"]


def test_a_container_name_that_is_not_a_label_is_refused() -> None:
    assert errors_of(GROUP, entry("s", "rhel-8/golang", dest="my_ns/is:tag")) == [
        "streams.yml:1: s.upstream_image: the DaemonSet container derived from upstream_image is "
        "invalid: 'my_ns-is-tag' is not a valid container name (DNS-1123 label, at most 63)"]


def test_an_empty_template_is_refused() -> None:
    base = transforms.load_registry(None, doozer_2020=False, problems=Problems())
    registry = Registry(base.transforms, {**base.templates, "rhel-8/golang": " \n"})
    assert errors_of(GROUP, entry("s", "rhel-8/golang"), registry=registry) == [
        "streams.yml:1: s.transform: the Dockerfile template of transform 'rhel-8/golang' is empty"]


def test_doozer_mode_warns_about_two_streams_writing_one_object() -> None:
    problems = Problems()
    result = rendered(GROUP, entry("a", "rhel-8/golang"), entry("b", "rhel-8/base-repos"),
                      doozer_2020=True, problems=problems)
    assert result.buildconfig_names == ["is-tag--art-builder", "is-tag--art-builder"]
    assert problems.warnings == [
        "streams.yml:1: b.upstream_image: BuildConfig 'is-tag--art-builder' is also generated by "
        "stream a (streams.yml:1: a); the later one would overwrite it",
        "streams.yml:1: b.upstream_image: DaemonSet container 'ns-is-tag' is also generated by "
        "stream a (streams.yml:1: a); the later one would overwrite it"]


def test_the_live_test_suffix_counts_towards_the_group_label_limit() -> None:
    registry = transforms.load_registry(None, doozer_2020=False, problems=Problems())
    fits = dataclasses.replace(GROUP, name="g" * 58)  # 58 + len(".test") = 63
    result = render(fits, [entry("s", "rhel-8/golang")], registry, RenderOptions(live_test=True), Problems())
    assert result.objects[0]["metadata"]["labels"]["art-builder-group"] == "g" * 58 + ".test"
    too_long = dataclasses.replace(GROUP, name="g" * 59)
    with pytest.raises(CistreamsError) as caught:
        render(too_long, [entry("s", "rhel-8/golang")], registry, RenderOptions(live_test=True), Problems())
    assert str(caught.value) == (f"group.yml:1: name: the group name becomes the art-builder-group label: "
                                 f"'{'g' * 59}.test' is 64 characters; label values allow 63")
    assert rendered(too_long, entry("s", "rhel-8/golang")).buildconfig_names == ["is-tag--art-builder"]


def test_a_failed_entry_does_not_shift_the_duplicate_check() -> None:
    failed = entry("a", "rhel-8/golang", dest="ns/other:tag", final_user="root;id")
    assert errors_of(GROUP, failed, entry("b", "rhel-8/golang"), entry("c", "rhel-8/base-repos")) == [
        "streams.yml:1: a.final_user: 'root;id' is not a user name or uid[:gid]",
        "streams.yml:1: c.upstream_image: BuildConfig 'is-tag--art-builder' is also generated by stream b "
        "(streams.yml:1: b); the later one would overwrite it",
        "streams.yml:1: c.upstream_image: DaemonSet container 'ns-is-tag' is also generated by stream b "
        "(streams.yml:1: b); the later one would overwrite it"]


def render_2026(*entries: Entry, problems: Problems | None = None) -> Rendered:
    """doozer-2026 mode (QCI, the only target it knows)."""
    registry = transforms.load_registry(None, doozer_2020=False, problems=Problems())
    return render(GROUP, entries, registry, RenderOptions(doozer_2026=True, push=PushTarget()),
                  problems or Problems())


def test_doozer_2026_mode_says_what_doozer_said_about_a_transform() -> None:
    with pytest.raises(CistreamsError) as caught:
        render_2026(entry("s", "rhel-8/nope"))
    assert str(caught.value) == (
        "streams.yml:1: s.transform: Unable to render buildconfig for upstream config s - "
        "transform rhel-8/nope not found within {'rhel-7/base-repos', 'rhel-7/ci-build-root', "
        "'rhel-7/golang', 'rhel-8/base-repos', 'rhel-8/ci-build-root', 'rhel-8/golang', "
        "'rhel-9/base-repos', 'rhel-9/ci-build-root', 'rhel-9/golang'}")
    incomplete = Entry("s", "rhel-8/golang", None, "registry.ci.openshift.org/ns/is:tag.art", None,
                       Location("streams.yml", 1, "s"))
    with pytest.raises(CistreamsError) as caught:
        render_2026(incomplete)
    assert str(caught.value) == ("streams.yml:1: s.upstream_image: Unable to render buildconfig "
                                 "for upstream config s - you must define upstream_image_base "
                                 "AND upstream_image")


def test_doozer_2026_mode_writes_an_invalid_buildconfig_name_with_a_warning() -> None:
    problems = Problems()
    result = render_2026(entry("s", "rhel-8/golang", dest="ns/Is:tag"), problems=problems)
    assert result.buildconfig_names == ["Is-tag--art-builder"]
    assert problems.errors == []
    assert problems.warnings == [
        "streams.yml:1: s.upstream_image: the BuildConfig name derived from upstream_image is "
        "invalid: 'Is-tag--art-builder' is not a valid object name (lower-case letters, digits, "
        "'-' and '.', starting and ending with a letter or digit) (doozer writes it; the cluster "
        "will refuse it)"]


def test_the_qci_target_has_no_daemonset_containers_to_collide() -> None:
    """Two tags that differ only by '.' and '-' would share a DaemonSet container name; pushing
    to QCI there is no DaemonSet, so both are written."""
    registry = transforms.load_registry(None, doozer_2020=False, problems=Problems())
    result = render(GROUP, [entry("a", "rhel-8/golang", dest="ns/is:a.b"),
                            entry("b", "rhel-8/golang", dest="ns/is:a-b")],
                    registry, RenderOptions(push=PushTarget()), Problems())
    assert result.buildconfig_names == ["is-a.b--art-builder", "is-a-b--art-builder"]
    assert [o["kind"] for o in result.objects] == ["BuildConfig", "BuildConfig"]
    with pytest.raises(CistreamsError, match="DaemonSet container 'ns-is-a-b' is also generated"):
        render(GROUP, [entry("a", "rhel-8/golang", dest="ns/is:a.b"),
                       entry("b", "rhel-8/golang", dest="ns/is:a-b")],
               registry, RenderOptions(), Problems())


def test_a_local_dev_repo_without_an_x86_64_url_in_each_mode() -> None:
    group = Group("openshift-4.7", "4", "7",
                  (Repo("r", None, frozenset({"el8"}), None, WHERE.child("repos.r")),), WHERE)
    registry = transforms.load_registry(None, doozer_2020=False, problems=Problems())
    expected = {
        RenderOptions(doozer_2026=True, push=PushTarget()):
            "group.yml:1: repos.r: Expected x86_64 baseurl for repo r",
        RenderOptions(): "group.yml:1: repos.r: repo r is enabled for local development but has "
                         "no x86_64 baseurl (needed by stream s)"}
    for render_options, message in expected.items():
        with pytest.raises(CistreamsError) as caught:
            render(group, [entry("s", "rhel-8/golang")], registry, render_options, Problems())
        assert str(caught.value) == message

"""The build-data keys `mirror` reads: an entry's MirrorSpec and group.yml's GroupMirror."""

from __future__ import annotations

import pytest

from cistreams import yamlio
from cistreams.builddata import model
from cistreams.errors import Location, Problems

WHERE = Location("streams.yml", 1, "s")
GROUP = Location("group.yml")


def spec_of(text: str) -> tuple[model.MirrorSpec, list[str]]:
    problems = Problems()
    raw = yamlio.load("s:\n" + text, "streams.yml")["s"]
    return model.parse_mirror_spec(raw, WHERE, problems), [str(e) for e in problems.errors]


def group_of(text: str) -> tuple[model.GroupMirror, list[str]]:
    problems = Problems()
    raw = yamlio.load(text, "group.yml")
    return model.parse_group_mirror(raw, GROUP, problems), [str(e) for e in problems.errors]


def test_every_mirror_key_is_read() -> None:
    spec, errors = spec_of("  image: openshift/golang-builder:v1\n  mirror: true\n"
                           "  mirror_manifest_list: true\n"
                           "  upstream_image_mirror:\n  - r.io/a/b:c\n  - r.io/d/e:f\n")
    assert (spec, errors) == (model.MirrorSpec("openshift/golang-builder:v1", True, True,
                                               ("r.io/a/b:c", "r.io/d/e:f")), [])


def test_nothing_set_means_no_mirror() -> None:
    assert spec_of("  upstream_image: r/n/i:t\n") == (model.MirrorSpec(), [])


@pytest.mark.parametrize(("text", "error"), [
    ("  image: ''\n", "streams.yml:2: s.image: must be a pullspec or an image name, not an "
                      "empty string"),
    ("  image: [a]\n", "streams.yml:2: s.image: must be a pullspec or an image name, not a list"),
    ("  upstream_image_mirror: r.io/a/b:c\n",
     "streams.yml:2: s.upstream_image_mirror: must be a list of pullspecs, not 'r.io/a/b:c'"),
    ("  upstream_image_mirror: [r.io/a/b:c, 3]\n",
     "streams.yml:2: s.upstream_image_mirror: must be a list of pullspecs, not a list"),
])
def test_mistakes_point_at_their_line(text: str, error: str) -> None:
    spec, errors = spec_of(text)
    assert errors == [error]
    assert spec.image is None and spec.extra_destinations == ()


def test_a_non_boolean_mirror_is_not_true() -> None:
    spec, _ = spec_of("  mirror: 'yes'\n  mirror_manifest_list: 1\n")
    assert (spec.enabled, spec.manifest_list) == (False, False)


def test_an_entry_carries_its_spec() -> None:
    problems = Problems()
    raw = yamlio.load("s:\n  upstream_image: r/n/i:t\n  image: x/y:z\n  mirror: true\n",
                      "streams.yml")["s"]
    entry = model.parse_entry("s", raw, WHERE, problems)
    assert entry is not None and entry.mirror == model.MirrorSpec("x/y:z", True)
    entry_2020 = model.parse_entry("s", raw, WHERE, problems, doozer_2020=True)
    assert entry_2020 is not None and entry_2020.mirror == model.MirrorSpec()


def test_group_urls_and_arches() -> None:
    found, errors = group_of("urls:\n  brew_image_host: brew.io\n  brew_image_namespace: osbs\n"
                             "arches: [x86_64, aarch64]\n")
    assert errors == []
    assert found == model.GroupMirror("brew.io", "osbs", ("x86_64", "aarch64"),
                                      Location("group.yml", 1, "urls"))


def test_arches_override_wins_and_x86_64_is_the_default() -> None:
    override, _ = group_of("arches: [x86_64, aarch64]\narches_override: [x86_64]\n")
    default, _ = group_of("name: g\n")
    assert (override.arches, default.arches) == (("x86_64",), ("x86_64",))
    assert (default.brew_image_host, default.location) == (None, GROUP)


@pytest.mark.parametrize(("text", "error"), [
    ("urls: brew.io\n", "group.yml:1: urls: must be a mapping such as {brew_image_host: ...}"),
    ("urls:\n  brew_image_host: 5\n",
     "group.yml:2: urls.brew_image_host: must be a non-empty string, not int 5"),
    ("arches: x86_64\n", "group.yml:1: arches: must be a list of architectures such as "
                         "[x86_64, aarch64]"),
])
def test_group_mistakes_point_at_their_line(text: str, error: str) -> None:
    found, errors = group_of(text)
    assert errors == [error]
    assert found.brew_image_host is None


@pytest.mark.parametrize(("text", "error"), [
    ("  mirror: true\n  image: ''\n",
     "streams.yml:3: s.image: must be a pullspec or an image name, not an empty string"),
    ("  mirror: true\n  upstream_image_mirror: r.io/a/b:c\n",
     "streams.yml:3: s.upstream_image_mirror: must be a list of pullspecs, not 'r.io/a/b:c'"),
])
def test_mistakes_below_the_first_key_point_at_their_own_line(text: str, error: str) -> None:
    assert spec_of(text)[1] == [error]


@pytest.mark.parametrize(("text", "error"), [
    ("name: g\nurls:\n  brew_image_host: brew.io\n  brew_image_namespace: ''\n",
     "group.yml:4: urls.brew_image_namespace: must be a non-empty string, not an empty string"),
    ("name: g\narches: x86_64\n",
     "group.yml:2: arches: must be a list of architectures such as [x86_64, aarch64]"),
    ("name: g\narches_override: [5]\n",
     "group.yml:2: arches_override: must be a list of architectures such as [x86_64, aarch64]"),
])
def test_group_mistakes_below_the_first_key_point_at_their_own_line(text: str, error: str) -> None:
    assert group_of(text)[1] == [error]


def test_arches_override_replaces_arches() -> None:
    assert group_of("arches: [x86_64]\narches_override: [aarch64, s390x]\n")[0].arches == (
        "aarch64", "s390x")


def test_urls_that_are_no_mapping_leave_the_group_as_the_location() -> None:
    found, errors = group_of("name: g\nurls: brew.io\n")
    assert errors == ["group.yml:2: urls: must be a mapping such as {brew_image_host: ...}"]
    assert found.location == GROUP

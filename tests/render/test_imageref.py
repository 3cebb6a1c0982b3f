from __future__ import annotations

import pytest

from cistreams.render.imageref import ImageRef, ImageRefError, parse, parse_doozer


@pytest.mark.parametrize(("text", "expected"), [
    ("registry.ci.openshift.org/ocp/builder:rhel-8-golang-1.15-openshift-4.7.art",
     ImageRef("registry.ci.openshift.org", "ocp", "builder", "rhel-8-golang-1.15-openshift-4.7.art")),
    ("localhost:5000/ns/img:v1", ImageRef("localhost:5000", "ns", "img", "v1")),
    ("quay.io/openshift/ci:art_builder-4.17", ImageRef("quay.io", "openshift", "ci", "art_builder-4.17")),
    ("ocp/builder:tag", ImageRef("", "ocp", "builder", "tag")),
])
def test_parse_real_grammar(text: str, expected: ImageRef) -> None:
    assert parse(text) == expected
    assert parse(text).istag == f"{expected.name}:{expected.tag}"


@pytest.mark.parametrize(("text", "message"), [
    ("registry.ci.openshift.org/ocp/builder@sha256:" + "a" * 64, "digest"),
    ("registry.ci.openshift.org/ocp/builder", "no tag"),
    ("registry.ci.openshift.org/builder:tag", "exactly one namespace"),
    ("registry.ci.openshift.org/a/b/builder:tag", "exactly one namespace"),
    ("registry.ci.openshift.org/ocp/Builder:tag", "not a valid image reference"),
    ("registry.ci.openshift.org/ocp/builder:ta g", "not a valid image reference"),
])
def test_parse_rejects_what_a_buildconfig_cannot_express(text: str, message: str) -> None:
    with pytest.raises(ImageRefError, match=message):
        parse(text)


def test_doozer_split_keeps_its_rules() -> None:
    # rsplit('/', 2): everything before the namespace is "the registry", discarded by doozer.
    assert parse_doozer("a/b/c/ns/is:tag") == ImageRef("a/b/c", "ns", "is", "tag")
    with pytest.raises(ImageRefError, match="two '/'"):
        parse_doozer("ns/is:tag")
    with pytest.raises(ImageRefError, match="exactly one ':'"):
        parse_doozer("host:5000/ns/is")
    with pytest.raises(ImageRefError, match="no digest"):
        parse_doozer("host/ns/is@sha256:abc")


def test_live_test_suffix_goes_on_the_tag() -> None:
    ref = parse("quay.io/ns/is:t").with_tag_suffix(".test")
    assert ref.istag == "is:t.test"

"""cistreams.render.qci: which --qci-repo values and QCI tags are refused, and why.

The command line's usage errors are in tests/test_targets.py; these call the rules directly,
with values that start legally and go wrong only at their end (a trailing newline included:
`$` alone would accept one), and expected messages written out by hand.
"""

from __future__ import annotations

import pytest

from cistreams.options import PushTarget
from cistreams.render import qci

NOT_A_HOST = "must start with a registry host, as in quay.io/openshift/ci"
NOT_A_REPO = "is not a repository (lower-case path components after the host, no tag or digest)"


@pytest.mark.parametrize("repo", [
    "quay.io/openshift/ci",
    "registry:5000/art/ci",  # no dot, but a port: a host
    "localhost/art/ci",  # neither, but localhost
    "127.0.0.1:5000/a/b__c/d-e.f",
])
def test_repositories_that_are_accepted(repo: str) -> None:
    assert qci.target_problem(PushTarget(qci_repo=repo)) is None


@pytest.mark.parametrize(("repo", "why"), [
    ("openshift/ci", NOT_A_HOST),  # the first component is no host: no dot, no port
    ("LOCALHOST/art/ci", NOT_A_HOST),
    ("quay.io!/openshift/ci", NOT_A_HOST),
    ("quay.io\n/openshift/ci", NOT_A_HOST),
    ("quay.io/openshift/ci:latest", NOT_A_REPO),
    ("quay.io/openshift/ci\n", NOT_A_REPO),
    ("quay.io/openshift/CI", NOT_A_REPO),
    ("quay.io", NOT_A_REPO),
])
def test_repositories_that_are_refused(repo: str, why: str) -> None:
    assert qci.target_problem(PushTarget(qci_repo=repo)) == f"--qci-repo {repo!r} {why}"


def test_the_push_secret_must_be_an_object_name() -> None:
    problem = qci.target_problem(PushTarget(push_secret="Not_A_Name"))
    assert problem is not None and problem.startswith("--push-secret: 'Not_A_Name' is not a valid")


@pytest.mark.parametrize("tag", ["art-builder-4.17-rhel-9\n", "art-builder-4.17-rhel-9!"])
def test_a_tag_that_goes_wrong_at_its_end(tag: str) -> None:
    assert qci.tag_problem(tag) == (
        f"'{tag}' is not a valid image tag (letters, digits, '_', '.' and '-', not starting "
        "with '.' or '-', at most 128 characters)")


def test_a_tag_that_is_too_long_for_the_label() -> None:
    tag = "art-builder-4.17-" + "x" * 47
    assert qci.tag_problem(tag) == (f"it becomes the art-builder-qci-tag label: '{tag}' is 64 "
                                    "characters; label values allow 63")

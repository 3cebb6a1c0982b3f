"""The QCI target: BuildConfigs that push to a tag of ART's QCI repository.

Since June 2026 (art-tools 79f685261) ART's CI builds each transformed image into
`<qci-repo>:art-builder-<MAJOR>.<MINOR>-<dest_tag>` with a push secret, and `start-builds`
then points the CI imagestream tag at the pushed digest. The BuildConfig says where that
promotion goes (three annotations) and which QCI tag it owns (a label, which start-builds
reads back); it has no trigger, since builds are started explicitly. See docs/targets.md.
"""

from __future__ import annotations

import re
from typing import Any

from cistreams.options import PushTarget
from cistreams.render import imageref, names

QCI_TAG_LABEL = "art-builder-qci-tag"
IMAGESTREAM_NAMESPACE = "art-builder-imagestream-namespace"
IMAGESTREAM_NAME = "art-builder-imagestream-name"
IMAGESTREAM_TAG = "art-builder-imagestream-tag"
# The distribution grammar of a tag: what a registry accepts after the ':'.
_IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\Z")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?\Z")


def qci_tag(major: str, minor: str, dest_tag: str) -> str:
    """The QCI tag of a BuildConfig whose upstream_image has tag `dest_tag` (with `.test` in
    live-test mode, as doozer appends it before splitting)."""
    return f"art-builder-{major}.{minor}-{dest_tag}"


def tag_problem(tag: str) -> str | None:
    """Why `tag` cannot be both an image tag and the art-builder-qci-tag label value, or None."""
    if not _IMAGE_TAG.match(tag):
        return (f"'{tag}' is not a valid image tag (letters, digits, '_', '.' and '-', not "
                "starting with '.' or '-', at most 128 characters)")
    if why := names.label_value_problem(tag):
        return f"it becomes the {QCI_TAG_LABEL} label: {why}"
    return None


def output(target: PushTarget, tag: str) -> dict[str, Any]:
    """spec.output: the QCI tag as a DockerImage, pushed with the push secret."""
    return {"to": {"kind": "DockerImage", "name": f"{target.qci_repo}:{tag}"},
            "pushSecret": {"name": target.push_secret}}


def promotion(dest: imageref.ImageRef) -> dict[str, str]:
    """Where start-builds promotes the built image: the imagestream tag of upstream_image."""
    return {IMAGESTREAM_NAMESPACE: dest.namespace, IMAGESTREAM_NAME: dest.name,
            IMAGESTREAM_TAG: dest.tag}


def target_problem(target: PushTarget) -> str | None:
    """Why --qci-repo or --push-secret cannot be used, or None (a usage error)."""
    repo = target.qci_repo
    host, _, path = repo.partition("/")
    # a registry host has a dot or a port (or is localhost), as the reference grammar says
    if not _HOST.match(host) or ("." not in host and ":" not in host and host != "localhost"):
        return (f"--qci-repo {repo!r} must start with a registry host, as in "
                "quay.io/openshift/ci")
    if not path or not all(_PATH_COMPONENT.match(part) for part in path.split("/")):
        return (f"--qci-repo {repo!r} is not a repository (lower-case path components after "
                "the host, no tag or digest)")
    if why := names.subdomain_problem(target.push_secret):
        return f"--push-secret: {why}"
    return None

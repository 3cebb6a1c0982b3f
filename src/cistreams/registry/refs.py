"""Image pullspecs: `HOST/REPOSITORY[:TAG][@sha256:DIGEST]`, parsed and rebuilt.

Only what mirror needs: the registry host (whose certs.d directory and credentials apply),
the repository, and a tag or digest. A pullspec without a host is refused rather than given
docker.io, since every name in ART's build data is meant to be complete; one with neither tag
nor digest means `:latest`, as for docker and `oc image mirror`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Pullspec:
    """One image reference; `tag` or `digest` (or both) may be set."""

    host: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        text = f"{self.host}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    def with_tag(self, tag: str) -> Pullspec:
        """The same repository at another tag (no digest)."""
        return replace(self, tag=tag, digest=None)

    def with_digest(self, digest: str) -> Pullspec:
        """The same repository pinned to a digest (no tag)."""
        return replace(self, tag=None, digest=digest)

    @property
    def transport(self) -> str:
        """skopeo's name of the image: `docker://PULLSPEC`."""
        return f"docker://{self}"


def parse(text: str) -> Pullspec:
    """A pullspec, or ValueError saying what is wrong with it."""
    rest, _, digest = text.partition("@")
    if digest and not DIGEST.fullmatch(digest):
        raise ValueError(f"'{digest}' is not a sha256 digest")
    host, slash, path = rest.partition("/")
    if not slash or not ("." in host or ":" in host or host == "localhost"):
        raise ValueError("needs a registry host first, such as quay.io/NAMESPACE/NAME:TAG")
    repository, tag = path, None
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = path.rsplit(":", 1)
        if not _TAG.fullmatch(tag):
            raise ValueError(f"'{tag}' is not a valid tag")
    if not repository or not all(_COMPONENT.fullmatch(p) for p in repository.split("/")):
        raise ValueError(f"'{repository}' is not a valid repository name")
    if tag is None and not digest:
        tag = "latest"  # docker's rule, and oc image mirror's
    return Pullspec(host, repository, tag, digest or None)


def is_tag(text: str) -> bool:
    """True when `text` may be used as a tag (128 characters at most, no `/` or `:`)."""
    return bool(_TAG.fullmatch(text))


def parse_repository(text: str) -> Pullspec:
    """A repository without tag or digest (`quay.io/openshift/ci`), or ValueError."""
    if "@" in text or ":" in text.partition("/")[2]:
        raise ValueError("must be a repository, without a tag or digest")
    return replace(parse(f"{text}:latest"), tag=None)

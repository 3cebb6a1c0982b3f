"""The Dockerfile lines that point yum at CI's RPM mirrors and at local-development repos.

Every transform family has its own wiring (see transforms/bundled/*/transform.yml): the
`.repo` file served inside CI, the global skip_if_unavailable setting, and one `.repo` file
per group repo whose ci_alignment enables local development for the family's profile, so
that a developer on the VPN can build the image outside CI. Three styles exist:
- `doozer-2020`: the seed's order on rhel-7 (wildcard setopt before the local-dev repos) and
  local-dev files without sslverify;
- `doozer-2026`: art-tools at 8cb2b372: rhel-7's two setopt lines after the local-dev repos,
  and `sslverify=0` in every local-dev file (ART's plashets moved behind a Red Hat CA);
- `default`: doozer-2026's order, and `sslverify = 0` only for repos whose conf says
  `sslverify: false` (a public mirror keeps TLS verification).
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from cistreams.builddata.model import Entry, Group, Repo
from cistreams.errors import CistreamsError
from cistreams.transforms import Transform

Style = Literal["default", "doozer-2020", "doozer-2026"]
# Values that land inside single-quoted shell words or yum .repo files.
_SAFE_REPO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*\Z")
_UNSAFE_URL_CHARS = set("'\"\\$`") | {" ", "\t"}
_SAFE_HOST = re.compile(r"^[A-Za-z0-9.-]*\Z")
SKIP = "RUN yum-config-manager --save '--setopt=skip_if_unavailable=True'"
WILDCARD = "RUN yum-config-manager --save '--setopt=*.skip_if_unavailable=True'"
DNF_SKIP = "RUN yum config-manager --setopt=skip_if_unavailable=True --save"


def repo_lines(transform: Transform, group: Group, entry: Entry, style: Style) -> list[str]:
    """CI mirror, skip_if_unavailable and local-dev repo lines, in the order of `style`.
    Local-dev repos come in the order of `group.repos` (the loader orders them per mode)."""
    if transform.repos == "none":
        return []
    host = transform.mirror_host(group.major, group.minor)
    allowed = host.replace("(MissingModel)", "") if style == "doozer-2020" else host
    if not _SAFE_HOST.match(allowed):
        raise CistreamsError(f"vars.MAJOR/vars.MINOR make the CI mirror host '{host}', which is "
                             "not a host name", group.location.child("vars"))
    curl = (f"RUN rm -rf /etc/yum.repos.d/*.repo && curl http://{host} > "
            "/etc/yum.repos.d/ci-rpm-mirrors.repo")
    localdev = [_localdev_line(repo, entry, style) for repo in group.repos
                if transform.localdev_profile in repo.localdev_profiles]
    if transform.repos == "dnf":
        return [curl, DNF_SKIP, *localdev]
    if style == "doozer-2020":
        return [curl, WILDCARD, *localdev]
    # The wildcard only reaches repos that exist when it runs, so local-dev repos go first.
    return [curl, *localdev, SKIP, WILDCARD]


def _localdev_line(repo: Repo, entry: Entry, style: Style) -> str:
    if repo.x86_64_url is None:
        message = (f"Expected x86_64 baseurl for repo {repo.name}" if style == "doozer-2026"
                   else f"repo {repo.name} is enabled for local development but has no x86_64 "
                        f"baseurl (needed by {entry.kind} {entry.name})")
        raise CistreamsError(message, repo.location)
    return _localdev_text(repo, style)


@functools.lru_cache(maxsize=1024)
def _localdev_text(repo: Repo, style: Style) -> str:
    """The RUN line writing the repo's local-dev .repo file (the same for every stream)."""
    where = repo.location
    assert repo.x86_64_url is not None
    if not _SAFE_REPO_NAME.match(repo.name):
        raise CistreamsError(f"repo name '{repo.name}' cannot be used in a .repo file name "
                             "(letters, digits, '.', '_', '+' and '-' only)", where)
    bad = sorted(c for c in set(repo.x86_64_url) if c in _UNSAFE_URL_CHARS or not c.isprintable())
    if bad:
        raise CistreamsError(f"baseurl '{repo.x86_64_url}' contains {bad!r}, which cannot be "
                             "quoted safely in a Dockerfile RUN line", where.child("conf.baseurl"))
    name = f"localdev-{repo.name}"
    if style == "doozer-2026":
        ssl = "sslverify=0\\n"
    elif style == "default" and repo.sslverify is False:
        ssl = "sslverify = 0\\n"
    else:
        ssl = ""
    return (f"RUN echo -e '[{name}]\\nname = {name}\\nid = {name}\\nbaseurl = {repo.x86_64_url}"
            f"\\nenabled = 1\\ngpgcheck = 0\\n{ssl}' > /etc/yum.repos.d/{name}.repo")

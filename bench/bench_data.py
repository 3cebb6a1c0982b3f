"""Synthetic build data for the benchmark: a realistic group.yml and a streams.yml of any size.

The shape follows the real corpus (openshift-4.7_2020-11-30 and later): group.yml with
MAJOR/MINOR vars and eight repos whose ci_alignment profiles cover el7 and el8, and
streams.yml entries using all six rhel-7/rhel-8 transforms (the ones both output modes
know) with `{MAJOR}.{MINOR}` pullspecs on registry.ci.openshift.org, comments, aliases and
streams without a transform in between.
"""

from __future__ import annotations

from pathlib import Path

GROUP = "openshift-4.17"
TRANSFORMS = (
    "rhel-8/base-repos", "rhel-8/golang", "rhel-8/ci-build-root",
    "rhel-7/base-repos", "rhel-7/golang", "rhel-7/ci-build-root",
)
_PULP = "http://pulp.dist.prod.ext.phx2.redhat.com/content/dist"
_PLASHETS = "http://download.lab.bos.redhat.com/rcm-guest/puddles/RHAOS/plashets"
_REPOS = (
    ("rhel-8-baseos-rpms", f"{_PULP}/rhel8/8/{{arch}}/baseos/os/", "el8"),
    ("rhel-8-appstream-rpms", f"{_PULP}/rhel8/8/{{arch}}/appstream/os/", "el8"),
    ("rhel-8-fast-datapath-rpms", f"{_PULP}/layered/rhel8/{{arch}}/fast-datapath/os/", "el8"),
    ("rhel-8-server-ansible-2.9-rpms", f"{_PULP}/layered/rhel8/{{arch}}/ansible/2.9/os/", "el8"),
    ("rhel-8-server-ose-rpms",
     f"{_PLASHETS}/{{MAJOR}}.{{MINOR}}-el8/building/{{arch}}/os", "el8"),
    ("rhel-server-ose-rpms", f"{_PLASHETS}/{{MAJOR}}.{{MINOR}}/building/{{arch}}/os", "el7"),
    ("rhel-7-server-rpms", f"{_PULP}/rhel/server/7/7Server/{{arch}}/os/", "el7"),
    ("rhel-server-optional-rpms", f"{_PULP}/rhel/server/7/7Server/{{arch}}/optional/os/", None),
)
_ARCHES = ("x86_64", "aarch64", "ppc64le", "s390x")


def group_yml() -> str:
    """A group.yml with vars, unrelated keys ART uses, and eight repos (seven CI-aligned)."""
    lines = [
        "# synthetic group for the cistreams benchmark",
        "vars:", "  MAJOR: 4", "  MINOR: 17", "  GO_LATEST: '1.22'",
        "name: openshift-{MAJOR}.{MINOR}", "branch: rhaos-{MAJOR}.{MINOR}-rhel-9",
        "arches:", *(f"- {arch}" for arch in _ARCHES),
        "urls:", "  brewhub: https://brewhub.engineering.redhat.com/brewhub",
        "repos:",
    ]
    for name, url, profile in _REPOS:
        lines += [f"  {name}:", "    conf:", "      baseurl:"]
        lines += [f"        {arch}: {url.replace('{arch}', arch)}" for arch in _ARCHES]
        if profile:
            lines += ["      ci_alignment:", "        profiles:", f"        - {profile}",
                      "        localdev:", "          enabled: true"]
        lines += ["    content_set:", f"      default: {name}-content", "      optional: true"]
    return "\n".join(lines) + "\n"


def stream_yml(index: int) -> str:
    """One streams.yml entry; every eighth has no transform, as mirror-only streams do."""
    transform = TRANSFORMS[index % len(TRANSFORMS)]
    family, kind = transform.split("/")
    tag = f"{family}-{kind}-{index}-openshift-{{MAJOR}}.{{MINOR}}"
    namespace = "openshift" if kind == "ci-build-root" else "ocp"
    stream = "release" if kind == "ci-build-root" else "builder"
    lines = [
        f"# stream {index}: {transform}",
        f"stream-{index}:",
        "  aliases:", f"  - {family}-{kind}-{index}",
        f"  image: openshift/golang-builder:v1.22.{index}-202507080849.g73a5095.el8",
        "  mirror: true",
    ]
    if index % 8 != 7:
        lines.append(f"  transform: {transform}")
    lines += [
        f"  upstream_image_base: registry.ci.openshift.org/ocp/builder:{tag}.art",
        f"  upstream_image: registry.ci.openshift.org/{namespace}/{stream}:{tag}",
        "  upstream_image_mirror:",
        f"  - registry.ci.openshift.org/ocp-private/builder-priv:{tag}",
    ]
    return "\n".join(lines) + "\n\n"


def write(folder: Path, streams: int) -> Path:
    """Write group.yml and a streams.yml of `streams` entries into `folder`; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "group.yml").write_text(group_yml(), encoding="utf-8")
    body = "".join(stream_yml(i) for i in range(streams))
    (folder / "streams.yml").write_text("# synthetic streams\n\n" + body, encoding="utf-8")
    return folder

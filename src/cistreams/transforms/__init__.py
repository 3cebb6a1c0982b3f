"""The transform registry: the one place that says which transform names exist.

A transform is a folder holding a `Dockerfile` template and a `transform.yml` descriptor.
The bundled ones live in `bundled/<family>/<kind>/`; build data may add its own under
`ci_transforms/<name>/` (default mode), and a `ci_transforms/<name>/Dockerfile` there
replaces the bundled template of the same name in every mode, as doozer did from 2021.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

from cistreams import yamlio
from cistreams.builddata import files
from cistreams.errors import CistreamsError, Location, Problems

RepoWiring = Literal["dnf", "yum", "none"]
_WIRINGS: tuple[RepoWiring, ...] = ("dnf", "yum", "none")
_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*/[a-z0-9][a-z0-9.-]*\Z")
_PROFILE = re.compile(r"^[A-Za-z0-9_.-]+\Z")
_MIRROR = re.compile(r"^[A-Za-z0-9{}.-]+\Z")
DESCRIPTOR = "transform.yml"
# The transforms art-tools' doozer knows (its module-level set, unchanged since 2022).
DOOZER_2026 = frozenset(f"rhel-{major}/{kind}" for major in (7, 8, 9)
                        for kind in ("base-repos", "golang", "ci-build-root"))
TEMPLATE = "Dockerfile"


@dataclass(frozen=True)
class Transform:
    """What one transform does to the image, and where its Dockerfile template comes from."""

    name: str
    family: str
    repos: RepoWiring
    ci_mirror: str | None
    localdev_profile: str | None
    in_doozer_2020: bool
    origin: str  # "bundled" or the build-data folder that declared it

    def mirror_host(self, major: str, minor: str) -> str:
        """The CI host that serves this family's .repo file for release MAJOR.MINOR."""
        assert self.ci_mirror is not None
        return self.ci_mirror.replace("{MAJOR}", major).replace("{MINOR}", minor)


@dataclass(frozen=True)
class Registry:
    """Every transform valid for one run, with the templates they use."""

    transforms: dict[str, Transform]
    templates: dict[str, str]

    def names(self) -> list[str]:
        """Valid transform names, sorted."""
        return sorted(self.transforms)

    def get(self, name: str) -> Transform | None:
        """The transform called `name`, or None."""
        return self.transforms.get(name)


def _bundled_root() -> Traversable:
    return resources.files("cistreams.transforms").joinpath("bundled")


def _iter_folders(root: Traversable) -> Iterator[tuple[str, Traversable]]:
    for family in sorted(root.iterdir(), key=lambda t: t.name):
        if not family.is_dir():
            continue
        for kind in sorted(family.iterdir(), key=lambda t: t.name):
            if kind.is_dir():
                yield f"{family.name}/{kind.name}", kind


def parse_descriptor(name: str, raw: Any, origin: str, where: Location) -> Transform:
    """Validate a transform.yml mapping into a Transform (errors name the file and key)."""
    if not isinstance(raw, dict):
        raise CistreamsError("a transform descriptor must be a mapping", where)
    known = {"family", "repos", "ci_mirror", "localdev_profile", "doozer_2020"}
    for key in raw:
        if key not in known:
            raise CistreamsError(f"unknown key (known: {', '.join(sorted(known))})",
                                 where.child(key, yamlio.line_of(raw, key)))
    repos = raw.get("repos")
    if repos not in _WIRINGS:
        raise CistreamsError(f"must be one of {', '.join(_WIRINGS)}, not {repos!r}",
                             where.child("repos", yamlio.line_of(raw, "repos")))
    family = _optional_str(raw, "family", where) or name.split("/", 1)[0]
    mirror = _optional_str(raw, "ci_mirror", where)
    profile = _optional_str(raw, "localdev_profile", where)
    if repos != "none" and (mirror is None or not _MIRROR.match(mirror)):
        raise CistreamsError("a host name (may use {MAJOR} and {MINOR}) is required when "
                             "repos is dnf or yum", where.child("ci_mirror",
                                                                yamlio.line_of(raw, "ci_mirror")))
    if profile is not None and not _PROFILE.match(profile):
        raise CistreamsError("must be a short word such as el9",
                             where.child("localdev_profile", yamlio.line_of(raw, "localdev_profile")))
    seed = raw.get("doozer_2020", False)
    if not isinstance(seed, bool):
        raise CistreamsError("must be true or false", where.child("doozer_2020"))
    return Transform(name, family, repos, mirror if repos != "none" else None,
                     profile if repos != "none" else None, seed, origin)


def _optional_str(raw: dict[str, Any], key: str, where: Location) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise CistreamsError("must be a non-empty string", where.child(key, yamlio.line_of(raw, key)))
    return value


def _bundled() -> tuple[dict[str, Transform], dict[str, str]]:
    transforms: dict[str, Transform] = {}
    templates: dict[str, str] = {}
    for name, folder in _iter_folders(_bundled_root()):
        where = Location(f"<bundled>/{name}/{DESCRIPTOR}")
        raw = yamlio.load(folder.joinpath(DESCRIPTOR).read_text("utf-8"), where.file)
        transforms[name] = parse_descriptor(name, raw, "bundled", where)
        templates[name] = folder.joinpath(TEMPLATE).read_text("utf-8")
    return transforms, templates


def load_registry(data_dir: Path | None, *, doozer_2020: bool, problems: Problems,
                  log: files.FileLog | None = None, builtin_only: bool = False) -> Registry:
    """The bundled transforms, overridden and extended by the build data's ci_transforms/.

    In doozer-2020 mode only the six transforms doozer knew are valid; there and with
    `builtin_only` (doozer-2026 mode: the nine names doozer has known since 2022) build data
    can replace their templates but not declare new ones (doozer never read descriptors).
    """
    transforms, templates = _bundled()
    if doozer_2020:
        transforms = {n: t for n, t in transforms.items() if t.in_doozer_2020}
    elif builtin_only:
        transforms = {n: t for n, t in transforms.items() if n in DOOZER_2026}
    if data_dir is not None:
        _add_build_data(data_dir, transforms, templates, doozer_2020 or builtin_only, problems,
                        log)
    known = {n: templates[n] for n in transforms if n in templates}
    return Registry(transforms, known)


def _add_build_data(data_dir: Path, transforms: dict[str, Transform], templates: dict[str, str],
                    doozer_2020: bool, problems: Problems, log: files.FileLog | None) -> None:
    root = data_dir / "ci_transforms"
    if not root.is_dir():
        return
    for family in sorted(p for p in root.iterdir() if p.is_dir()):
        for folder in sorted(p for p in family.iterdir() if p.is_dir()):
            name = f"{family.name}/{folder.name}"
            rel = f"ci_transforms/{name}"
            descriptor, template = folder / DESCRIPTOR, folder / TEMPLATE
            # present in any form counts (a directory, a dangling link): reading reports it
            has_template = os.path.lexists(template)
            try:
                if os.path.lexists(descriptor) and not doozer_2020:
                    where = Location(f"{rel}/{DESCRIPTOR}")
                    if not _NAME.match(name):
                        raise CistreamsError("a transform folder name must be lower-case "
                                             "letters, digits, '.' and '-'", where)
                    raw = files.load_file(descriptor, where.file, log)
                    transforms[name] = parse_descriptor(name, raw, rel, where)
                    if not has_template:
                        raise CistreamsError(f"the transform has no {TEMPLATE} beside its "
                                             "descriptor", Location(f"{rel}/{TEMPLATE}"))
                if has_template:
                    templates[name] = files.read_text(template, f"{rel}/{TEMPLATE}", log)
            except CistreamsError as exc:
                problems.add(exc)

"""Typed, frozen records for what gen-buildconfigs reads. Raw YAML stops here.

Every parse function takes the loaded YAML (MarkedMap/MarkedSeq, so lines are known),
records each problem it finds in a Problems collector, and returns records built from
what was valid. Callers run `problems.check()` once, so one run reports every mistake.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cistreams.builddata import keys
from cistreams.errors import Location, Problems, did_you_mean
from cistreams.yamlio import line_of

EntryKind = Literal["stream", "image"]

_STRING_KEYS = ("transform", "upstream_image", "upstream_image_base", "final_user")
_DOOZER_2020_KEYS = ("transform", "upstream_image", "upstream_image_base")
_BOOL_KEYS = ("mirror", "mirror_manifest_list", "skip_nvr_check")


@dataclass(frozen=True)
class Repo:
    """An RPM repository that local-development builds may use (its ci_alignment)."""

    name: str
    x86_64_url: str | None
    localdev_profiles: frozenset[str]
    sslverify: bool | None
    location: Location
    # where its profiles are, when local development is enabled (for `unmatched_profiles`)
    profiles_where: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Group:
    """The parts of group.yml that gen-buildconfigs uses."""

    name: str
    major: str
    minor: str
    repos: tuple[Repo, ...]
    location: Location
    mirror: GroupMirror | None = None  # what `mirror` reads (None: doozer-2020 mode)


@dataclass(frozen=True)
class Entry:
    """One stream (or image-metadata ci_alignment) that may need a BuildConfig."""

    name: str
    transform: str | None
    upstream_image: str | None
    upstream_image_base: str | None
    final_user: str | None
    location: Location
    key_lines: Mapping[str, int] = field(default_factory=dict)
    kind: EntryKind = "stream"
    mirror: MirrorSpec = field(default_factory=lambda: MirrorSpec())

    def where(self, key: str) -> Location:
        """The location of `key` within this entry."""
        return self.location.child(key, self.key_lines.get(key, self.location.line))


FREEZE_YES = ("yes", "true", "on", "y")
FREEZE_NO = ("no", "false", "off", "n")
# ART's pipelines read these (scheduled: only manual runs; weekdays: automated runs only at
# weekends); doozer ran on them, and so does cistreams
FREEZE_PIPELINE = ("scheduled", "weekdays")


def is_frozen(value: object) -> bool:
    """True for freeze_automation: yes in any spelling (YAML boolean or quoted string)."""
    if value is True:
        return True
    return isinstance(value, str) and value.strip().lower() in FREEZE_YES


def freeze_problem(value: object) -> str | None:
    """Why a freeze_automation value is neither yes-like nor no-like (a typo of `yes` must
    not read as "not frozen"), or None."""
    if value is None or isinstance(value, bool):
        return None
    spelling = value.strip().lower() if isinstance(value, str) else None
    if spelling in (*FREEZE_YES, *FREEZE_NO, *FREEZE_PIPELINE, ""):
        return None
    return (f"{_describe(value)} is neither yes nor no; accepted spellings (any case): "
            f"{', '.join(FREEZE_YES)} (frozen), {', '.join((*FREEZE_NO, *FREEZE_PIPELINE))} "
            "(not frozen)")


_PROFILE_FAMILY = re.compile(r"el[0-9]+\Z")  # a RHEL major a transform may come for


def unmatched_profiles(repos: Sequence[Repo], in_use: Collection[str], problems: Problems,
                       doozer_2020: bool = False) -> None:
    """Report each repo enabled for local development that no transform can ever pick: no
    profile at all, or a profile no transform uses (`in_use`) that is not a RHEL major
    (`el10` is fine before a rhel-10 transform exists). An error; doozer-2020: a warning."""
    report = problems.warn if doozer_2020 else problems.error
    used = ", ".join(sorted(in_use))
    for repo in repos:
        if repo.profiles_where is None:
            continue
        if not repo.localdev_profiles:
            report("local development is enabled but no profile is listed, so no transform "
                   f"uses this repo (profiles the transforms use: {used})", repo.profiles_where)
        for profile in sorted(repo.localdev_profiles - set(in_use)):
            if not _PROFILE_FAMILY.match(profile):
                report(f"profile {profile!r} is used by no transform, so it never matches"
                       f"{did_you_mean(profile, in_use)} (profiles the transforms use: {used})",
                       repo.profiles_where)


def version_text(value: object, *, doozer_2020: bool) -> str | None:
    """How doozer printed vars.MAJOR/MINOR into URLs (f-string of the YAML value)."""
    if value is None:
        return "(MissingModel)" if doozer_2020 else None
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        return None
    return str(value)


def parse_repo(name: str, raw: Any, where: Location, problems: Problems,
               doozer_2020: bool = False) -> Repo | None:
    """One repos entry; None when it has no usable ci_alignment."""
    if not isinstance(raw, dict):
        problems.error("a repo must be a mapping", where)
        return None
    keys.check(raw, keys.REPO, where, problems, doozer_2020)
    conf = raw.get("conf")
    if conf is None:
        return Repo(name, None, frozenset(), None, where)
    if not isinstance(conf, dict):
        problems.error("must be a mapping", where.child("conf", line_of(raw, "conf")))
        return None
    conf_where = where.child("conf", line_of(raw, "conf"))
    _check_conf_keys(conf, conf_where, problems, doozer_2020)
    profiles, profiles_where = _localdev_profiles(conf, conf_where, problems, doozer_2020)
    baseurl = conf.get("baseurl")
    if doozer_2020 and not _doozer_has_x86_64_key(baseurl):
        baseurl = None  # doozer 2020 read baseurl[.unsigned].x86_64 and failed on anything else
    url = _x86_64_url(baseurl, conf_where.child("baseurl", line_of(conf, "baseurl")), problems)
    sslverify = conf.get("sslverify", conf.get("extra_options", {}).get("sslverify")
                         if isinstance(conf.get("extra_options"), dict) else None)
    if sslverify is not None and not isinstance(sslverify, bool | int):
        problems.error("must be true or false", conf_where.child("sslverify"))
        sslverify = None
    return Repo(name, url, profiles, None if sslverify is None else bool(sslverify), where,
                profiles_where)


def _check_conf_keys(conf: dict[str, Any], where: Location, problems: Problems,
                     doozer_2020: bool) -> None:
    """Misspellings in a repo's conf, its extra_options and its baseurl (an arch mapping,
    maybe below `unsigned`)."""
    keys.check(conf, keys.CONF, where, problems, doozer_2020)
    for key, spec in (("extra_options", keys.EXTRA_OPTIONS), ("baseurl", keys.BASEURL)):
        value = conf.get(key)
        if isinstance(value, dict):
            value_where = where.child(key, line_of(conf, key))
            keys.check(value, spec, value_where, problems, doozer_2020)
            unsigned = value.get("unsigned") if key == "baseurl" else None
            if isinstance(unsigned, dict):
                keys.check(unsigned, spec, value_where.child("unsigned", line_of(value, "unsigned")),
                           problems, doozer_2020)


def _localdev_profiles(conf: dict[str, Any], where: Location, problems: Problems,
                       doozer_2020: bool) -> tuple[frozenset[str], Location | None]:
    """The profiles of a repo enabled for local development (none when it is not), and
    where they are written."""
    ci = conf.get("ci_alignment")
    if ci is None:
        return frozenset(), None
    ci_where = where.child("ci_alignment", line_of(conf, "ci_alignment"))
    if not isinstance(ci, dict):
        problems.error("must be a mapping with profiles and localdev", ci_where)
        return frozenset(), None
    keys.check(ci, keys.CI_ALIGNMENT, ci_where, problems, doozer_2020)
    localdev = ci.get("localdev")
    if isinstance(localdev, dict):
        keys.check(localdev, keys.LOCALDEV, ci_where.child("localdev", line_of(ci, "localdev")),
                   problems, doozer_2020)
    enabled = localdev.get("enabled") if isinstance(localdev, dict) else None
    if localdev is not None and not isinstance(localdev, dict):
        problems.error("must be a mapping like {enabled: true}",
                       ci_where.child("localdev", line_of(ci, "localdev")))
    elif enabled is not None and not isinstance(enabled, bool):
        problems.error(f"must be true or false, not {enabled!r}",
                       ci_where.child("localdev.enabled", line_of(localdev, "enabled")))
    profiles = ci.get("profiles")
    profiles_where = ci_where.child("profiles", line_of(ci, "profiles"))
    if profiles is not None and (not isinstance(profiles, list)
                                 or not all(isinstance(p, str) for p in profiles)):
        problems.error("must be a list of profile names such as [el8]", profiles_where)
        return frozenset(), None
    if enabled is not True:
        return frozenset(), None  # switched off (or broken, reported): nothing to match
    return frozenset(profiles or ()), profiles_where


def _doozer_has_x86_64_key(baseurl: Any) -> bool:
    """True when doozer 2020 found the local-dev URL at baseurl[.unsigned].x86_64."""
    if not isinstance(baseurl, dict):
        return False  # a plain string: `.unsigned` on a str raised AttributeError
    unsigned = baseurl.get("unsigned")
    return isinstance(unsigned, dict) if unsigned else True


def doozer_repo_problem(raw: Any, arches: Any) -> str | None:
    """Why doozer 2020's Repo() refused a repo definition, or None (it checked every repo)."""
    if not isinstance(raw, dict):
        return "a repo must be a mapping"
    for key in ("conf", "content_set"):
        if key not in raw:
            return f"a repo definition must contain '{key}'"
    conf = raw["conf"]
    if not isinstance(conf, dict) or not isinstance(raw["content_set"], dict):
        return "conf and content_set must be mappings"
    if "reposync" in raw and not isinstance(raw["reposync"], dict):
        return "reposync must be a mapping"
    if "baseurl" not in conf:
        return "a repo definition must include conf.baseurl"
    if not isinstance(arches, list) or not arches:
        return "arches must be a non-empty list"
    return _doozer_baseurl_problem(conf["baseurl"], arches[0])


def _doozer_baseurl_problem(baseurl: Any, arch: Any) -> str | None:
    """doozer 2020 resolved every baseurl for the group's first arch (unsigned repo type)."""
    if isinstance(baseurl, str):
        return None
    if not isinstance(baseurl, dict):
        return "conf.baseurl must be a URL or a mapping"
    if arch not in baseurl:
        if "unsigned" not in baseurl:
            return f"conf.baseurl has neither {arch} (the first arch) nor unsigned"
        baseurl = baseurl["unsigned"]
        if isinstance(baseurl, dict) and arch not in baseurl:
            return f"conf.baseurl.unsigned has no {arch} (the first arch)"
    return None


def _x86_64_url(baseurl: Any, where: Location, problems: Problems) -> str | None:
    """CI only builds x86_64, so local-dev repos point at the x86_64 baseurl."""
    if isinstance(baseurl, dict) and baseurl.get("unsigned"):
        return _x86_64_url(baseurl["unsigned"], where.child("unsigned"), problems)
    url = baseurl.get("x86_64") if isinstance(baseurl, dict) else baseurl
    if url is None:
        return None
    if not isinstance(url, str) or not url:
        problems.error("must be a URL string", where)
        return None
    return url


def parse_entry(name: Any, raw: Any, where: Location, problems: Problems,
                kind: EntryKind = "stream", doozer_2020: bool = False) -> Entry | None:
    """Validate one streams.yml entry (types, unknown keys) into an Entry.

    doozer 2020 read only transform, upstream_image and upstream_image_base; in that mode
    the other keys are not checked, so whatever doozer rendered still renders.
    """
    if not isinstance(name, str) or not name:
        problems.error("a stream name must be a non-empty string", where)
        return None
    if not isinstance(raw, dict):
        problems.error("a stream must be a mapping of keys such as upstream_image", where)
        return None
    keys.check(raw, keys.STREAM if kind == "stream" else keys.IMAGE_CI, where, problems,
               doozer_2020)
    errors_before = len(problems.errors)  # only string-key mistakes affect rendering
    string_keys = _DOOZER_2020_KEYS if doozer_2020 else _STRING_KEYS
    values = {key: _string_value(raw, key, where, problems) for key in string_keys}
    if len(problems.errors) > errors_before:
        return None  # reported; rendering it would only add confusing follow-up errors
    for key in () if doozer_2020 else _BOOL_KEYS:  # reported, but the entry still renders
        if key in raw and not isinstance(raw[key], bool):
            problems.error(f"must be true or false, not {_describe(raw[key])}",
                           where.child(key, line_of(raw, key)))
    key_lines = getattr(raw, "key_lines", None)
    if key_lines is not None and len(key_lines) == len(raw) and all(map(_is_str, key_lines)):
        lines = dict(key_lines)  # read from YAML: every key has its line already
    else:
        lines = {str(k): line_of(raw, k) or where.line or 0 for k in raw}
    mirror = MirrorSpec() if doozer_2020 else parse_mirror_spec(raw, where, problems)
    return Entry(name, values["transform"], values["upstream_image"],
                 values["upstream_image_base"], values.get("final_user"), where, lines, kind,
                 mirror)


def _is_str(value: object) -> bool:
    return type(value) is str


def _string_value(raw: dict[str, Any], key: str, where: Location, problems: Problems) -> str | None:
    value = raw.get(key)
    if key == "final_user" and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a uid such as 1001
    if key in raw and (not isinstance(value, str) or not value.strip()):
        problems.error(f"must be a non-empty string, not {_describe(value)}",
                       where.child(key, line_of(raw, key)))
        return None
    return value if isinstance(value, str) else None


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


# -- what `mirror` reads (issue 18) --------------------------------------------------------


@dataclass(frozen=True)
class MirrorSpec:
    """An entry's keys for `mirror`: its source image and the copies it asks for."""

    image: str | None = None  # a pullspec, or a short brew name (`openshift/golang-builder:v1`)
    enabled: bool = False  # mirror: true
    manifest_list: bool = False  # mirror_manifest_list: true keeps the whole list
    extra_destinations: tuple[str, ...] = ()  # upstream_image_mirror, in file order


@dataclass(frozen=True)
class GroupMirror:
    """group.yml's keys for `mirror`: where short image names resolve, and the arches."""

    brew_image_host: str | None
    brew_image_namespace: str | None
    arches: tuple[str, ...]
    location: Location  # of `urls` (or the group), for "needed but missing" errors


def parse_mirror_spec(raw: dict[str, Any], where: Location, problems: Problems) -> MirrorSpec:
    """image, mirror, mirror_manifest_list and upstream_image_mirror (booleans are checked
    with the other boolean keys; a wrong one counts as false here)."""
    image = raw.get("image")
    if "image" in raw and (not isinstance(image, str) or not image.strip()):
        problems.error(f"must be a pullspec or an image name, not {_describe(image)}",
                       where.child("image", line_of(raw, "image")))
        image = None
    extra = raw.get("upstream_image_mirror")
    destinations: tuple[str, ...] = ()
    if extra is not None:
        if isinstance(extra, list) and all(isinstance(x, str) and x.strip() for x in extra):
            destinations = tuple(extra)
        else:
            problems.error(f"must be a list of pullspecs, not {_describe(extra)}",
                           where.child("upstream_image_mirror",
                                       line_of(raw, "upstream_image_mirror")))
    return MirrorSpec(image if isinstance(image, str) else None, raw.get("mirror") is True,
                      raw.get("mirror_manifest_list") is True, destinations)


def parse_group_mirror(config: dict[str, Any], where: Location,
                       problems: Problems) -> GroupMirror:
    """urls.brew_image_host, urls.brew_image_namespace and the arches (arches_override
    first, as doozer; x86_64 alone when neither is set)."""
    urls = config.get("urls")
    urls_where = where.child("urls", line_of(config, "urls"))
    if urls is not None and not isinstance(urls, dict):
        problems.error("must be a mapping such as {brew_image_host: ...}", urls_where)
        urls = None
    found = {key: (urls or {}).get(key) for key in ("brew_image_host", "brew_image_namespace")}
    for key, value in found.items():
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.error(f"must be a non-empty string, not {_describe(value)}",
                           urls_where.child(key, line_of(urls, key)))
            found[key] = None
    key = "arches_override" if config.get("arches_override") else "arches"
    arches = config.get(key, ["x86_64"])
    if not isinstance(arches, list) or not all(isinstance(a, str) for a in arches):
        problems.error("must be a list of architectures such as [x86_64, aarch64]",
                       where.child(key, line_of(config, key)))
        arches = []
    return GroupMirror(found["brew_image_host"], found["brew_image_namespace"], tuple(arches),
                       urls_where if urls is not None else where)

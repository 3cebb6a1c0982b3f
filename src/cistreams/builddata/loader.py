"""Load build data: group.yml (with vars), streams.yml and image metadata, as doozer did.

Loading keeps line numbers so every later error can point into the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cistreams import yamlio
from cistreams.builddata import eras, files, groupext, imagemeta, keys, substitution
from cistreams.builddata.imagemeta import ImageIndex
from cistreams.builddata.model import (
    Entry,
    Group,
    Repo,
    doozer_repo_problem,
    freeze_problem,
    is_frozen,
    parse_entry,
    parse_group_mirror,
    parse_repo,
    version_text,
)
from cistreams.errors import CistreamsError, FileRead, Location, Problems

_EXTENSIONS = (".yaml", ".yml", ".json")


def find_file(data_dir: Path, key: str) -> Path | None:
    """`<key>.yaml`, `.yml` or `.json` in the data directory, first match wins (as doozer).

    A name that exists in any form counts (a directory, a dangling link, a device): reading
    it then reports what is wrong, where treating it as absent would drop streams silently.
    """
    for ext in _EXTENSIONS:
        candidate = data_dir / f"{key}{ext}"
        if os.path.lexists(candidate):
            return candidate
    return None


@dataclass(frozen=True)
class LoadOptions:
    """How to read the build data."""

    group: str
    doozer_2020: bool = False
    assembly: str = "stream"
    var_overrides: tuple[tuple[str, str], ...] = ()
    doozer_2026: bool = False  # repos as art-tools reads them (see _doozer_2026_repos)


@dataclass(frozen=True)
class BuildData:
    """Validated group config and streams, in file order."""

    data_dir: Path
    group: Group
    entries: tuple[Entry, ...]
    images: ImageIndex
    files_read: tuple[FileRead, ...] = ()  # what the output must never overwrite


def load(data_dir: Path, options: LoadOptions, problems: Problems) -> BuildData:
    """Load, substitute and validate group.yml, streams.yml and (default mode) image metadata."""
    log: files.FileLog = []
    with keys.doozer_rules(options.doozer_2026):
        group, variables = load_group(data_dir, options, problems, log)
        entries = load_streams(data_dir, variables, options, problems, log)
        # doozer 2020 never read image metadata; later doozer added its ci_alignment entries.
        images = ImageIndex() if options.doozer_2020 else \
            imagemeta.load_images(data_dir, variables, problems, log)
    return BuildData(data_dir, group, entries, images, tuple(log))


def load_group(data_dir: Path, options: LoadOptions, problems: Problems,
               log: files.FileLog) -> tuple[Group, dict[str, Any]]:
    """The group config with vars substituted; stops early on errors that block the rest."""
    path = find_file(data_dir, "group")
    if path is None:
        raise CistreamsError(f"no group.yml in {data_dir} (is --data-path the build-data "
                             "checkout for this group?)")
    where = Location(path.name)
    raw = files.load_file(path, path.name, log)
    if not isinstance(raw, dict):
        raise CistreamsError("group config must be a mapping", where)
    keys.check(raw, keys.GROUP, where, problems, options.doozer_2020)
    variables = _variables(raw, options, where)
    if options.doozer_2020:  # one line for newer build data, not the errors it would cause
        eras.refuse(eras.group_signs(data_dir, raw, variables, where.file))
    config = _substituted(data_dir, raw, variables, options, where, problems, log)
    reported = _keys_in_error(problems, where)
    try:  # every problem of the run is reported together: streams.yml is still checked
        _check_name_and_freeze(config, options.group, where, reported)
    except CistreamsError as exc:  # the wrong group or a frozen one: nothing else matters
        problems.add(exc)
        problems.check()
    variables = variables | dict(config.get("vars") or {}) | dict(options.var_overrides)
    # doozer 2020's order: as written, or sorted by the keys *before* substitution (vars).
    repos = _repos(config, where, problems, sort=not (options.doozer_2020 or options.doozer_2026),
                   doozer_2020=options.doozer_2020)
    if not options.doozer_2020:
        new = groupext.list_repos(config, str(variables.get("runtime_assembly", "")), problems)
        repos = _doozer_2026_repos(config, repos, new) if options.doozer_2026 else \
            _with_new_style(repos, new, problems)
    major = version_text(variables.get("MAJOR"), doozer_2020=options.doozer_2020)
    minor = version_text(variables.get("MINOR"), doozer_2020=options.doozer_2020)
    if major is None or minor is None:
        problems.error("vars.MAJOR and vars.MINOR must be set (numbers such as 4 and 17)",
                       where.child("vars", yamlio.line_of(raw, "vars")))
        problems.check()  # every stream's tags need them: its errors would only repeat this
    mirror = None if options.doozer_2020 else parse_group_mirror(config, where, problems)
    # a name in error (a placeholder) is taken as the group's, against follow-up errors
    name = config.get("name") if "name" not in reported else options.group
    name = name if isinstance(name, str) else options.group
    group = Group(name, major or "", minor or "", repos, where, mirror)
    return group, _stream_variables(raw, variables, options)


def _substituted(data_dir: Path, raw: dict[str, Any], variables: dict[str, Any],
                 options: LoadOptions, where: Location, problems: Problems,
                 log: files.FileLog) -> Any:
    """group.yml with its vars substituted (and group.ext.yml merged in, default mode)."""
    if options.doozer_2020 and "vars" not in raw:
        return raw  # doozer 2020 substituted (and re-sorted) only when vars existed
    if options.doozer_2020:
        fmt = substitution.doozer_formatter(variables)
        config = substitution.substitute_tree(raw, fmt, where, sort_keys=True)
        return substitution.doozer_redump(raw, variables, config, where)
    safe = substitution.safe_formatter(variables, problems, unknown_is_error=True)
    config = substitution.substitute_tree(raw, safe, where)
    return groupext.merge(config, groupext.load_ext(data_dir, variables, problems, log))


def _variables(raw: dict[str, Any], options: LoadOptions, where: Location) -> dict[str, Any]:
    declared = raw.get("vars", {})
    if not isinstance(declared, dict):
        raise CistreamsError("must be a mapping such as {MAJOR: 4, MINOR: 17}",
                             where.child("vars", yamlio.line_of(raw, "vars")))
    for key, value in declared.items():
        if not isinstance(value, str | int | float) or "\n" in str(value):
            raise CistreamsError("a var must be a one-line string or number",
                                 where.child(f"vars.{key}", yamlio.line_of(declared, key)))
    variables = dict(declared)
    if not options.doozer_2020:
        # doozer injects these since mid-2021; group.yml plashet URLs use {runtime_assembly}.
        # Like doozer, the assembly only counts when the group enables assemblies.
        assemblies = raw.get("assemblies")
        enabled = isinstance(assemblies, dict) and assemblies.get("enabled") is True
        variables.setdefault("runtime_assembly", options.assembly if enabled else "")
        variables.setdefault("release_name", "")
    return variables | dict(options.var_overrides)


def _stream_variables(raw: dict[str, Any], variables: dict[str, Any],
                      options: LoadOptions) -> dict[str, Any]:
    if options.doozer_2020 and not raw.get("vars"):
        return {}
    return variables


def _keys_in_error(problems: Problems, where: Location) -> set[str]:
    """The group config's top-level keys that already have an error (a placeholder)."""
    return {e.location.keypath.split(".", 1)[0] for e in problems.errors
            if e.location is not None and e.location.file in (where.file, groupext.EXT_FILE)}


def _check_name_and_freeze(config: dict[str, Any], group: str, where: Location,
                           reported: set[str]) -> None:
    """The name must be the group's, and the group must not be frozen. A key with an error
    already (an unknown placeholder) is not judged again: its value is half substituted."""
    if "name" not in reported:
        _check_name(config, group, where)
    freeze = config.get("freeze_automation")
    freeze_where = where.child("freeze_automation", yamlio.line_of(config, "freeze_automation"))
    if "freeze_automation" not in reported and freeze_problem(freeze):
        raise CistreamsError(f"{freeze_problem(freeze)}; nothing was written or applied",
                             freeze_where)
    if "freeze_automation" not in reported and is_frozen(freeze):
        raise CistreamsError(
            f"automation for {group} is frozen (freeze_automation: "
            f"{'yes' if freeze is True else freeze}); nothing was "
            "written or applied. Coordinate with the group owner to unfreeze it if this is wrong.",
            freeze_where)


def _check_name(config: dict[str, Any], group: str, where: Location) -> None:
    name = config.get("name")
    name_where = where.child("name", yamlio.line_of(config, "name"))
    if not isinstance(name, str):
        raise CistreamsError("group.yml needs a name (such as openshift-{MAJOR}.{MINOR})", name_where)
    if name != group:
        raise CistreamsError(f"'{name}' does not match --group '{group}'. Was this group copied "
                             "without updating group.yml, or is the wrong branch checked out?",
                             name_where)


def _repos(config: dict[str, Any], where: Location, problems: Problems,
           sort: bool, doozer_2020: bool = False) -> tuple[Repo, ...]:
    raw = config.get("repos")
    repos_where = where.child("repos", yamlio.line_of(config, "repos"))
    if raw is None:
        if doozer_2020 and "repos" in config:
            problems.error("must be a mapping of repo name to repo (doozer 2020 failed on an "
                           "empty repos section)", repos_where)
        return ()
    if not isinstance(raw, dict):
        problems.error("must be a mapping of repo name to repo", repos_where)
        return ()
    if doozer_2020:
        _doozer_repos_check(config, raw, repos_where, problems)
    names = sorted(raw, key=str) if sort else list(raw)
    parsed = (parse_repo(str(name), raw[name], repos_where.child(name, yamlio.line_of(raw, name)),
                         problems, doozer_2020=doozer_2020) for name in names)
    return tuple(repo for repo in parsed if repo is not None)


def _doozer_repos_check(config: dict[str, Any], repos: dict[Any, Any], where: Location,
                        problems: Problems) -> None:
    """doozer 2020 validated every repo (its Repos class) before running any verb."""
    arches = config.get("arches_override") or config.get("arches", ["x86_64"])
    for name, raw in repos.items():
        why = doozer_repo_problem(raw, arches)
        if why:
            problems.error(f"{why} (doozer 2020 refused such a repo definition)",
                           where.child(name, yamlio.line_of(repos, name)))


def _with_new_style(old: tuple[Repo, ...], new: list[Repo], problems: Problems) -> tuple[Repo, ...]:
    """Old `repos:` and new `all_repos` together, sorted by name; the new definition wins."""
    by_name = {repo.name: repo for repo in old}
    for repo in new:
        if repo.name in by_name:
            problems.warn(f"repo {repo.name} is defined in group.yml repos and in all_repos; "
                          "using all_repos", repo.location)
        by_name[repo.name] = repo
    return tuple(by_name[name] for name in sorted(by_name))


def _doozer_2026_repos(config: dict[str, Any], old: tuple[Repo, ...],
                      new: list[Repo]) -> tuple[Repo, ...]:
    """art-tools' repos: all_repos alone when group.ext.yml sets it, else group.yml's repos,
    each in file order (its local-dev lines follow that order)."""
    return tuple(new) if "all_repos" in config else old


def load_streams(data_dir: Path, variables: dict[str, Any], options: LoadOptions,
                 problems: Problems, log: files.FileLog) -> tuple[Entry, ...]:
    """Every streams.yml entry in file order (none when the group has no streams file)."""
    path = find_file(data_dir, "streams")
    if path is None:
        return ()
    where = Location(path.name)
    text = files.read_text(path, path.name, log)
    if options.doozer_2020:
        raw = yamlio.load(_doozer_format(text, variables, where, problems), path.name)
    else:
        fmt = substitution.safe_formatter(variables, problems, unknown_is_error=False)
        raw = substitution.substitute_tree(yamlio.load(text, path.name), fmt, where)
    if raw is None or raw == {}:
        problems.warn("has no streams, so no BuildConfig comes from it", where)
        return ()
    if not isinstance(raw, dict):
        raise CistreamsError("must be a mapping of stream name to stream", where)
    parsed = (parse_entry(name, value, where.child(name, yamlio.line_of(raw, name)), problems,
                          doozer_2020=options.doozer_2020)
              for name, value in raw.items())
    return tuple(entry for entry in parsed if entry is not None)


def _doozer_format(text: str, variables: dict[str, Any], where: Location,
                   problems: Problems) -> str:
    """doozer formatted the raw text; an unknown key (even in a comment) left it unformatted."""
    if not variables:
        return text
    try:
        return text.format(**variables)
    except KeyError as exc:
        problems.warn(f"contains template key {{{exc.args[0]}}} but no value was provided; "
                      "no placeholder in the file was substituted (doozer 2020 behaviour)", where)
        return text
    except (ValueError, IndexError, AttributeError) as exc:
        raise CistreamsError(f"cannot substitute vars: {exc} (write literal braces as {{{{ "
                             "and }}}})", where) from None

"""The 2025+ group layout: group.ext.yml with `!include`, and repos as a list in repos/*.yml.

ocp-build-data 4.21 and later keep repo definitions in `repos/<name>.yml` (each a YAML
list of `{name, conf, content_set, type, plashet}`), pulled into `group.ext.yml` with
`all_repos: !include repos/*.yml`, and group.yml has no `repos:` at all. A plashet repo
may have no baseurl: its URL comes from the group's `plashet.download_url`.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

from cistreams import yamlio
from cistreams.builddata import files, keys, substitution
from cistreams.builddata.model import Repo, parse_repo
from cistreams.errors import CistreamsError, Location, Problems

EXT_FILE = "group.ext.yml"


def load_ext(data_dir: Path, variables: dict[str, Any], problems: Problems,
             log: files.FileLog) -> dict[str, Any]:
    """group.ext.yml with its includes resolved and vars substituted ({} when absent)."""
    path = data_dir / EXT_FILE
    if not os.path.lexists(path):  # present in any form: reading it says what is wrong
        return {}
    raw = files.load_file(path, EXT_FILE, log, _resolver(data_dir, log))
    if raw is None:
        return {}
    where = Location(EXT_FILE)
    if not isinstance(raw, dict):
        raise CistreamsError("must be a mapping of group options", where)
    keys.check(raw, keys.GROUP, where, problems)
    fmt = substitution.safe_formatter(variables, problems, unknown_is_error=True)
    merged: dict[str, Any] = substitution.substitute_tree(raw, fmt, where)
    return merged


def _resolver(data_dir: Path, log: files.FileLog) -> yamlio.IncludeResolver:
    root = data_dir.resolve()

    def include(pattern: str, where: Location) -> Any:
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise CistreamsError(f"!include {pattern}: only paths inside the build data are "
                                 "allowed", where)
        matches = _matches(root, pattern)
        if not matches:
            raise CistreamsError(f"!include {pattern}: no such file", where)
        if not glob.has_magic(pattern):
            return files.load_file(root / matches[0], matches[0], log)
        items: list[Any] = []
        for match in matches:
            loaded = files.load_file(root / match, match, log)
            items.extend(loaded if isinstance(loaded, list) else [loaded])
        return items

    return include


def _matches(root: Path, pattern: str) -> list[str]:
    """The names `pattern` matches below `root`, sorted: anything present under a matching
    name (a directory or a dangling link too), so that reading it reports what is wrong."""
    if not glob.has_magic(pattern):  # Path.glob skips a dangling link named exactly
        return [str(Path(pattern))] if os.path.lexists(root / pattern) else []
    return sorted(str(p.relative_to(root)) for p in root.glob(pattern))


def merge(base: dict[str, Any], ext: dict[str, Any]) -> dict[str, Any]:
    """`base` with `ext` merged in: mappings merge key by key, anything else is replaced."""
    merged = yamlio.MarkedMap(base)
    merged.line = getattr(base, "line", 0)
    merged.key_lines = dict(getattr(base, "key_lines", {}))
    merged.source = getattr(base, "source", "")
    for key, value in ext.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def list_repos(config: dict[str, Any], runtime_assembly: str, problems: Problems) -> list[Repo]:
    """Repos from `all_repos` (new-style list entries), with plashet URLs filled in."""
    items = config.get("all_repos")
    if items is None:
        return []
    where = Location(EXT_FILE, yamlio.line_of(config, "all_repos"), "all_repos")
    if not isinstance(items, list):
        problems.error("must be a list of repos (from !include repos/*.yml)", where)
        return []
    download_url = _download_url(config)
    repos = []
    for index, item in enumerate(items):
        item_where = _item_location(item, where, index)
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            problems.error("a repo needs a name", item_where)
            continue
        if item.get("disabled") is True or item.get("type") not in (None, "external", "plashet"):
            continue  # doozer's Repos skip these: no yum config, no local-dev lines
        repo = parse_repo(item["name"], item, item_where.child(item["name"]), problems)
        if repo is not None and repo.x86_64_url is None and download_url:
            repo = _with_plashet_url(repo, item, download_url, runtime_assembly)
        if repo is not None:
            repos.append(repo)
    return repos


def _item_location(item: Any, parent: Location, index: int) -> Location:
    source = getattr(item, "source", "")
    if source:
        return Location(source, yamlio.line_of(item))
    return parent.child(index, yamlio.line_of(item))


def _download_url(config: dict[str, Any]) -> str | None:
    plashet = config.get("plashet")
    url = plashet.get("download_url") if isinstance(plashet, dict) else None
    return url if isinstance(url, str) else None


def _with_plashet_url(repo: Repo, item: dict[str, Any], download_url: str,
                      runtime_assembly: str) -> Repo:
    plashet = item.get("plashet")
    if not isinstance(plashet, dict):
        return repo
    slug = plashet.get("slug") or repo.name  # doozer's default slug is the repo name
    if not isinstance(slug, str):
        return repo
    url = (download_url.replace("$runtime_assembly", runtime_assembly)
           .replace("$slug", slug).replace("$arch", "x86_64"))
    return Repo(repo.name, url, repo.localdev_profiles, repo.sslverify, repo.location)

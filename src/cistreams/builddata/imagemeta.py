"""Image metadata entries: images/*.yml whose content.source.ci_alignment names an upstream_image.

Since 2021 doozer also generates BuildConfigs for these, keyed by the file's name (the
distgit key); since ocp-build-data 4.19 they are the only source of transforms. Everything
needed is in the metadata itself (no build-system lookups): the ci_alignment block reads
like a streams.yml entry, and `final_stage_user` is the default `final_user`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cistreams import yamlio
from cistreams.builddata import files, keys, substitution
from cistreams.builddata.model import Entry, parse_entry
from cistreams.errors import CistreamsError, Location, Problems

IMAGES_DIR = "images"
MODES = ("enabled", "disabled", "wip")  # doozer's; only enabled images are built


@dataclass
class ImageIndex:
    """Eligible image entries by name (file order: sorted), and why others are not eligible."""

    entries: dict[str, Entry] = field(default_factory=dict)
    ineligible: dict[str, str] = field(default_factory=dict)
    # every enabled image (eligible or not) and its `from.member` parent, in file order:
    # doozer lists image metadata parents first (see selection.image_order)
    members: dict[str, str | None] = field(default_factory=dict)


def load_images(data_dir: Path, variables: dict[str, Any], problems: Problems,
                log: files.FileLog) -> ImageIndex:
    """Every images/*.yml with content.source.ci_alignment.upstream_image, sorted by name."""
    index = ImageIndex()
    folder = data_dir / IMAGES_DIR
    if not folder.is_dir():
        return index
    fmt = substitution.safe_formatter(variables, problems, unknown_is_error=False)
    # every entry with the suffix, whatever it is: a directory or a dangling link named
    # x.yml is reported when read, not skipped (that would drop its BuildConfig silently)
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml"))
    for path in paths:
        try:
            _add(index, path, fmt, problems, log)
        except CistreamsError as exc:
            problems.add(exc)
    return index


def _add(index: ImageIndex, path: Path, fmt: substitution.Formatter, problems: Problems,
         log: files.FileLog) -> None:
    name, display = path.stem, f"{IMAGES_DIR}/{path.name}"
    where = Location(display)
    raw = substitution.substitute_tree(
        files.load_file(path, display, log), fmt, where)
    if not isinstance(raw, dict):
        raise CistreamsError("image metadata must be a mapping", where)
    _check_keys(raw, where, problems)
    mode = _mode(raw, where, problems)
    if mode == "enabled":
        index.members[name] = _member_of(raw)
    ci = _ci_alignment(raw)
    if ci is None or "upstream_image" not in ci:
        index.ineligible[name] = "does not have ci_alignment.upstream_image set; not eligible " \
                                 "for CI sync"
        return
    if mode != "enabled":
        index.ineligible[name] = f"is not enabled (mode: {mode})"
        return
    ci_where = where.child("content.source.ci_alignment",
                           yamlio.line_of(raw["content"]["source"], "ci_alignment"))
    config = dict(ci)
    if "final_user" not in config and raw.get("final_stage_user") is not None:
        config["final_user"] = str(raw["final_stage_user"])
    config_map = yamlio.MarkedMap(config)
    config_map.line, config_map.key_lines = ci_where.line or 0, dict(ci.key_lines)
    entry = parse_entry(name, config_map, ci_where, problems, "image")
    if entry is not None:
        index.entries[name] = entry


def _member_of(raw: dict[str, Any]) -> str | None:
    parent = raw.get("from")
    member = parent.get("member") if isinstance(parent, dict) else None
    return member if isinstance(member, str) else None


def _check_keys(raw: dict[str, Any], where: Location, problems: Problems) -> None:
    """Misspellings on the way to ci_alignment (which would make the image ineligible)."""
    keys.check(raw, keys.IMAGE, where, problems)
    content = raw.get("content")
    if isinstance(content, dict):
        content_where = where.child("content", yamlio.line_of(raw, "content"))
        keys.check(content, keys.IMAGE_CONTENT, content_where, problems)
        source = content.get("source")
        if isinstance(source, dict):
            keys.check(source, keys.IMAGE_SOURCE,
                       content_where.child("source", yamlio.line_of(content, "source")), problems)


def _mode(raw: dict[str, Any], where: Location, problems: Problems) -> Any:
    """The image's mode, lower-cased as doozer reads it; an unknown one is an error."""
    mode = raw.get("mode", "enabled")
    if isinstance(mode, str) and mode.lower() in MODES:
        return mode.lower()
    problems.error(f"must be one of {', '.join(MODES)}, not {mode!r}",
                   where.child("mode", yamlio.line_of(raw, "mode")))
    return mode


def _ci_alignment(raw: dict[str, Any]) -> Any:
    content = raw.get("content")
    source = content.get("source") if isinstance(content, dict) else None
    ci = source.get("ci_alignment") if isinstance(source, dict) else None
    return ci if isinstance(ci, dict) else None

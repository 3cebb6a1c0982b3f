"""What `--compat doozer-2026` does as art-tools' doozer at 8cb2b372, beyond rendering.

Its entries, in its order (`_get_upstreaming_entries`):
- without --stream/--image: every stream that sets `upstream_image` (file order), then every
  enabled image-metadata entry whose ci_alignment sets it, in doozer's image order: parents
  before children, level by level (`image_order`). Entries are keyed by name, so an image
  named like a stream replaces that stream's entry where the stream stood;
- with --stream: those streams (once each, in the order named; a stream without
  `upstream_image` is left out silently); with --image: those images, after the streams.
  Image metadata is never added to a --stream selection (since art-tools ff7653983).
Errors carry doozer's own texts.

Its substitution (`check_substitution`): doozer fills vars into the raw text of group.yml,
streams.yml and each images/*.yml with a formatter that leaves unknown names alone, but a
text that is no format string at all (a YAML flow mapping `{a: b}`, a lone brace) makes it
log a warning and read that file with no substitution. cistreams substitutes value by value
and does not reproduce that: in this mode such a file is an error (with doozer's own error
when its group name then no longer matches). group.ext.yml and the files it includes go
through plain str.format, where any such text (or an unknown name) stops doozer.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from cistreams.builddata.imagemeta import IMAGES_DIR, ImageIndex
from cistreams.builddata.loader import BuildData
from cistreams.builddata.model import Entry
from cistreams.errors import Location, Problems

_FORMATTED = ("group.yml", "streams.yml", "group.yaml", "streams.yaml")


class _SafeFormatter(string.Formatter):
    """doozer's: an unknown name (or a bare `{}`) is left as it is written."""

    def get_value(self, key: Any, args: Sequence[Any], kwargs: Any) -> Any:
        if isinstance(key, str):
            return kwargs.get(key, "{" + key + "}")
        return "{}"


def check_substitution(data: BuildData, problems: Problems) -> None:
    """An error for each file doozer 2026 would read without substituting vars."""
    read = {f.display: Path(f.path) for f in data.files_read}
    group_file = next((name for name in ("group.yml", "group.yaml") if name in read), None)
    if group_file is None:
        return
    group_text = read[group_file].read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(group_text)
    except yaml.YAMLError:
        return  # the loader reported it already
    declared = raw.get("vars") if isinstance(raw, dict) else None
    variables = {**(declared if isinstance(declared, dict) else {}),
                 "runtime_assembly": "stream", "release_name": ""}
    for display, path in read.items():
        text = group_text if display == group_file else path.read_text(encoding="utf-8")
        if display in _FORMATTED or display.startswith(f"{IMAGES_DIR}/"):
            try:
                _SafeFormatter().format(text, **variables)
            except Exception as exc:  # any error: doozer reads the file unsubstituted,
                if _substitutes(text, variables):  # which matters only if it had vars
                    problems.error(_unsubstituted(display, exc, raw, data.group.name),
                                   Location(display))
        elif display.endswith((".yml", ".yaml")) and not display.startswith("ci_transforms/"):
            try:  # group.ext.yml and the files it includes: plain str.format
                text.format(**variables)
            except Exception as exc:
                problems.error(f"doozer 2026 fills vars into this file with str.format, which "
                               f"fails here ({type(exc).__name__}: {exc}): doozer stops",
                               Location(display))


def _substitutes(text: str, variables: dict[str, Any]) -> bool:
    """True when formatting `text` would change it: a `{VAR}` of a known var (with a
    conversion or a format spec or not), or an escaped brace `{{` / `}}`."""
    names = "|".join(re.escape(str(name)) for name in variables)
    # a YAML flow mapping `{MAJOR: 4}` is no placeholder: a spec never has a space here
    return re.search(r"\{\{|\}\}|\{(?:" + names + r")(?:![rsa])?(?::[^{}\s]*)?\}",
                     text) is not None


def _unsubstituted(display: str, exc: Exception, raw: Any, group: str) -> str:
    message = (f"doozer 2026 fills vars into the raw text of this file and cannot here "
               f"({type(exc).__name__}: {exc}), so it would read it with no vars substituted; "
               "cistreams does not reproduce that (write YAML flow mappings such as {a: b} "
               "in block style)")
    name = raw.get("name") if isinstance(raw, dict) else None
    if display.startswith("group.") and name != group:
        message += (f"; doozer then stops: Name in group.yml ({name}) does not match group "
                    f"name ({group}). Someone may have copied this group without updating "
                    "group.yml (make sure to check branch)")
    return message


def entries(data: BuildData, streams: Sequence[str], images: Sequence[str],
            problems: Problems) -> list[Entry]:
    """The entries doozer at art-tools 8cb2b372 renders, in its order."""
    chosen: dict[str, Entry] = {}
    everything = not streams and not images
    by_name = {entry.name: entry for entry in data.entries}
    for name in by_name if everything else streams:
        entry = by_name.get(name)
        if entry is None:
            problems.error(f"Did not find stream {name} in streams.yml for this group",
                           Location("streams.yml"))
        elif entry.upstream_image is not None:
            chosen[name] = entry
    if everything:
        for name in image_order(data.images, problems):
            chosen[name] = data.images.entries[name]
    for name in images:
        if name not in data.images.members:
            problems.error(f"Image {name} not found in group metadata")
        elif name not in data.images.entries:
            problems.error(f"Image {name} does not have ci_alignment.upstream_image set; not "
                           "eligible for CI sync", Location(f"{IMAGES_DIR}/{name}.yml"))
        else:
            chosen[name] = data.images.entries[name]
    problems.check()
    return list(chosen.values())


def image_order(index: ImageIndex, problems: Problems) -> list[str]:
    """The eligible images in doozer's `ordered_image_metas` order.

    doozer walks the tree of `from.member` parents: level 0 holds the images whose parent is
    not an enabled image (in directory order, which cistreams reads sorted), and each
    deeper level the children met while walking the tree depth-first from each root in
    turn. Every enabled image counts, eligible or not, since an ineligible parent still
    pushes its children a level down.
    """
    members = index.members
    children: dict[str, list[str]] = {name: [] for name in members}
    roots = []
    for name, parent in members.items():
        if parent is not None and parent in members:
            children[parent].append(name)
        else:
            roots.append(name)
    levels: dict[int, list[str]] = {0: list(roots)}

    def walk(name: str, level: int) -> None:
        for child in children[name]:
            levels.setdefault(level, []).append(child)
            walk(child, level + 1)

    for root in roots:
        walk(root, 1)
    order = list(dict.fromkeys(name for level in sorted(levels) for name in levels[level]))
    for name in members:
        if name not in order:  # a cycle of parents: doozer refuses the whole group
            problems.error(f"image {name} cannot be both a parent and dependent of "
                           f"{members[name]}", Location(f"{IMAGES_DIR}/{name}.yml"))
    return [name for name in order if name in index.entries]

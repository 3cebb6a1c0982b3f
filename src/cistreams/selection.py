"""Which entries doozer-2026 mode renders, in its order (art-tools' `_get_upstreaming_entries`).

- Without --stream/--image: every stream that sets `upstream_image` (file order), then every
  enabled image-metadata entry whose ci_alignment sets it, in doozer's image order: parents
  before children, level by level (`image_order`). Entries are keyed by name, so an image
  named like a stream replaces that stream's entry where the stream stood.
- With --stream: those streams (once each, in the order named; a stream without
  `upstream_image` is left out silently); with --image: those images, after the streams.
  Image metadata is never added to a --stream selection (since art-tools ff7653983).
Errors carry doozer's own texts.
"""

from __future__ import annotations

from collections.abc import Sequence

from cistreams.builddata import BuildData
from cistreams.builddata.imagemeta import IMAGES_DIR, ImageIndex
from cistreams.builddata.model import Entry
from cistreams.errors import Location, Problems


def doozer_2026(data: BuildData, streams: Sequence[str], images: Sequence[str],
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

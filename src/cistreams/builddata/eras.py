"""doozer-2020 mode reads only the build data of late 2020: newer data is refused in one line.

doozer 2020 failed on the first sign of newer build data (a `{runtime_assembly}` placeholder
in group.yml, a rhel-9 transform), with an error that hid what was going on, and it ignored
other signs (group.ext.yml) while writing a file with nothing in it. Rather than a chain of
such errors (or a "did you mean rhel-8/golang" for rhel-9/golang), one error names the signs
found and says to drop --compat doozer-2020. A sign only counts where doozer 2020 could not
have rendered the same thing: a newer transform counts for a stream the run renders.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

from cistreams.builddata.model import Entry
from cistreams.errors import CistreamsError

# placeholders doozer injects since mid-2021, and that ocp-build-data used from then on
_NEWER_PLACEHOLDER = re.compile(r"(?<!\{)\{(runtime_assembly|release_name)\}(?!\})")
EXT_FILE = "group.ext.yml"


def refuse(signs: Sequence[str]) -> None:
    """Raise the one error of a doozer-2020 run on newer build data, if there are signs."""
    if signs:
        raise CistreamsError("doozer-2020 mode reads only the build data of late 2020, and this "
                             f"group's is newer: {'; '.join(signs)}. Run it without --compat "
                             "doozer-2020")


def group_signs(data_dir: Path, raw: Any, variables: Collection[str],
                group_file: str) -> list[str]:
    """Signs in the group config: injected placeholders no var provides, group.ext.yml."""
    signs = []
    found = sorted({name for text in _strings(raw) for name in _NEWER_PLACEHOLDER.findall(text)
                    if name not in variables})
    if found:
        names = " and ".join(f"{{{name}}}" for name in found)
        signs.append(f"{names} in {group_file} (doozer fills it since mid-2021)")
    if os.path.lexists(data_dir / EXT_FILE):
        signs.append(f"{EXT_FILE} (the layout of 2025)")
    return signs


def transform_signs(entries: Sequence[Entry], known: Collection[str],
                    newer: Collection[str]) -> list[str]:
    """Entries of the run whose transform only later doozer knew (rhel-9/*, from 2022)."""
    late = [entry for entry in entries
            if entry.transform is not None and entry.transform not in known
            and entry.transform in newer]
    if not late:
        return []
    names = sorted({entry.transform or "" for entry in late})
    several = len(late) > 1
    return [f"{'streams' if several else 'stream'} {', '.join(e.name for e in late)} "
            f"{'use' if several else 'uses'} {', '.join(names)} (a transform doozer has known "
            "since 2022)"]


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)

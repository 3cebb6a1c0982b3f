"""The Dockerfile edits a transform makes, with doozer's Dockerfile editor semantics.

doozer edited templates with dockerfile-parse: setting an ENV or LABEL rewrites an
existing instruction of the final stage in place or appends `KEY=value` (shell-quoted) at
the end; `add_lines` appends lines at the end of the last stage. We use the same library
so that any template, including build-data overrides, is edited byte for byte as doozer did.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from dockerfile_parse import DockerfileParser


@dataclass(frozen=True)
class Edits:
    """What to change in a template: one ENV, LABELs in order, then lines appended in order."""

    env: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    lines: tuple[str, ...]


def apply(template: str, edits: Edits) -> str:
    """The template with `edits` applied, exactly as doozer's DockerfileParser calls did."""
    parser = DockerfileParser(cache_content=True, fileobj=io.BytesIO())
    parser.content = template
    for key, value in edits.env:
        parser.envs[key] = value
    for key, value in edits.labels:
        parser.labels[key] = value
    for line in edits.lines:
        parser.add_lines(line)
    return str(parser.content)

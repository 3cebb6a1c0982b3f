"""One cluster run for the app: connect, check everything with a dry run, then write.

Split in two so that the app can stop between them: `prepare_apply` connects and dry-runs
every object (raising, with nothing written anywhere, when the server refuses any); the
output file is written; then `ApplySession.commit` writes to the cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cistreams.cluster import apply as applying
from cistreams.cluster import diff as diffing
from cistreams.cluster.api import Api
from cistreams.cluster.connection import connect
from cistreams.options import ApplyOptions, ConnectionOptions

# Called with a label and a total; returns the function to call once per finished object.
ProgressFactory = Callable[[str, int], Callable[[], None]]


@dataclass
class ApplySession:
    """A connection and a clean plan, ready to be written."""

    api: Api
    planned: list[applying.Planned]
    options: ApplyOptions
    progress: ProgressFactory | None = None

    def commit(self) -> applying.Report:
        """Write every object that would change (nothing with --dry-run)."""
        writes = sum(p.action != applying.UNCHANGED for p in self.planned)
        progress = self.progress("applying", writes) if self.progress and writes else None
        try:
            return applying.execute(self.api, self.planned, self.options.dry_run,
                                    self.options.connection.max_inflight, progress)
        finally:
            self.api.client.close()


def prepare_apply(objects: Sequence[dict[str, Any]], options: ApplyOptions,
                  as_user: str | None, progress: ProgressFactory | None = None) -> ApplySession:
    """Connect and dry-run every object; raises when the server refuses any."""
    api = connect(options.connection, as_user)
    try:
        advance = progress("checking", len(objects)) if progress else None
        planned = applying.prepare(api, objects, options.connection.max_inflight, advance)
    except BaseException:
        api.client.close()
        raise
    return ApplySession(api, planned, options, progress)


def run_diff(objects: Sequence[dict[str, Any]], connection: ConnectionOptions,
             as_user: str | None, progress: ProgressFactory | None = None) -> diffing.DiffReport:
    """Diff every object against the cluster (dry runs only; nothing is written)."""
    api = connect(connection, as_user)
    try:
        advance = progress("comparing", len(objects)) if progress else None
        return diffing.diff(api, objects, connection.max_inflight, advance)
    finally:
        api.client.close()

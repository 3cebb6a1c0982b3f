"""One cluster run for the app: connect, check everything with a dry run, then write.

Split in two so that the app can stop between them: `prepare_apply` connects, dry-runs
every object and, with --prune, lists the stale objects and dry-runs their deletes (raising,
with nothing written anywhere, when the server refuses any or there are too many to
prune); the output file is written; then `ApplySession.commit` writes to the cluster and,
only once every object applied cleanly, prunes, showing each report line as it goes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cistreams.cluster import apply as applying
from cistreams.cluster import diff as diffing
from cistreams.cluster import prune as pruning
from cistreams.cluster import report as reporting
from cistreams.cluster.api import Api, Unauthorized
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
    stale: list[pruning.Stale]
    echo: Callable[[str], None] = reporting.echo_stderr

    def commit(self) -> reporting.Report:
        """Write every object that would change, then prune (nothing with --dry-run). Each
        report line is shown (`echo`) as its object is done, so the returned report's
        `lines()` are empty; a run cut short raises Interrupted, saying what was written."""
        report = reporting.Report(self.planned, self.options.dry_run, self.api.server)
        shown = reporting.Shown(report, self.echo)
        shown.stale = len(self.stale)
        inflight = self.options.connection.max_inflight
        try:
            if not self.options.dry_run:
                applying.execute(self.api, self.planned, shown, inflight)
            # reached only when every object applied cleanly: execute raises otherwise
            shown.objects_done()
            applying.run_all(self.stale,
                             lambda s: pruning.delete(self.api, s, self.options.dry_run),
                             inflight, each=shown.pruned)
            report.requests = self.api.requests
            return report
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM as cistreams.cli raises it
            raise reporting.Interrupted(shown.interrupted()) from exc
        finally:
            self.api.client.close()


def prepare_apply(objects: Sequence[dict[str, Any]], options: ApplyOptions,
                  as_user: str | None, progress: ProgressFactory | None = None,
                  echo: Callable[[str], None] | None = None) -> ApplySession:
    """Connect and dry-run every object; raises when the server refuses any. The session's
    report lines go to `echo` (standard error by default) as they happen."""
    api = connect(options.connection, as_user)
    try:
        advance = progress("checking", len(objects)) if progress else None
        planned = applying.prepare(api, objects, options.connection.max_inflight, advance)
        stale = _prunable(api, objects, options) if options.prune else []
    except Unauthorized as exc:
        api.client.close()
        raise Unauthorized(f"{exc}; nothing was applied ({len(objects)} objects)") from None
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM as cistreams.cli raises it
        api.client.close()
        raise reporting.Interrupted("interrupted during the dry run: nothing was applied "
                                    f"({len(objects)} objects)") from exc
    except BaseException:
        api.client.close()
        raise
    return ApplySession(api, planned, options, stale, echo or reporting.echo_stderr)


def _prunable(api: Api, objects: Sequence[dict[str, Any]],
              options: ApplyOptions) -> list[pruning.Stale]:
    """The stale objects, once it is certain that they can and may all be deleted."""
    stale = pruning.find_stale(api, objects)
    pruning.check_count(stale, options.max_prune)
    refused = []
    for item in stale:  # the delete's own dry run: rights and admission, before any write
        answer = api.delete(item.ref.path, item.uid, dry_run=True)
        if not answer.ok and answer.status != 404:
            refused.append((item.ref, f"refused by the server: HTTP {answer.status}: "
                                      f"{answer.reason}"))
    if refused:
        raise applying.several(f"nothing was applied: the server refused {len(refused)} "
                               "of the deletes --prune needs, in a dry run",
                               applying.by_cause(refused))
    return stale


def run_diff(objects: Sequence[dict[str, Any]], connection: ConnectionOptions,
             as_user: str | None, prune: bool = False,
             progress: ProgressFactory | None = None) -> diffing.DiffReport:
    """Diff every object against the cluster (dry runs only; nothing is written); with
    `prune`, the stale objects --prune would delete are shown as removals."""
    api = connect(connection, as_user)
    try:
        advance = progress("comparing", len(objects)) if progress else None
        report = diffing.diff(api, objects, connection.max_inflight, advance)
        if prune:
            diffing.add_removals(report, pruning.find_stale(api, objects, whole=True))
        return report
    except Unauthorized as exc:
        raise Unauthorized(f"{exc}; nothing was compared ({len(objects)} objects)") from None
    finally:
        api.client.close()

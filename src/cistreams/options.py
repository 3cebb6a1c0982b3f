"""What a run was asked to do: plain records, cheap to import (the CLI needs them for --help)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

COMPAT_DOOZER_2020 = "doozer-2020"
COMPAT_MODES = (COMPAT_DOOZER_2020,)


@dataclass(frozen=True)
class Source:
    """Where the build data comes from (doozer's global options)."""

    data_path: str
    group: str
    working_dir: Path | None = None
    assembly: str = "stream"
    var_overrides: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ConnectionOptions:
    """How to reach the cluster: kubectl's connection options (see cluster.connection)."""

    kubeconfig: str | None = None
    context: str | None = None
    request_timeout: float = 30.0  # seconds per request; 0 means no timeout
    max_inflight: int = 16  # requests in flight at once


@dataclass(frozen=True)
class ApplyOptions:
    """How --apply writes to the cluster."""

    connection: ConnectionOptions = ConnectionOptions()
    oc: str | None = None  # run `oc apply` with this binary instead of server-side apply
    dry_run: bool = False
    prune: bool = False  # delete the group's objects the render no longer contains
    max_prune: int = 5  # more than this many deletes: delete nothing, exit 1


@dataclass(frozen=True)
class GenerateRequest:
    """Everything `gen-buildconfigs` was asked to do."""

    source: Source
    output: str
    streams: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    live_test: bool = False
    compat: str | None = None
    daemonset: bool = True
    apply: bool = False
    as_user: str | None = None
    apply_options: ApplyOptions = ApplyOptions()

    @property
    def uses_oc(self) -> bool:
        """True when --apply runs `oc apply` (doozer-2020 mode, or --oc given)."""
        return self.doozer_2020 or self.apply_options.oc is not None

    @property
    def doozer_2020(self) -> bool:
        """True in byte-for-byte doozer 2020 mode."""
        return self.compat == COMPAT_DOOZER_2020

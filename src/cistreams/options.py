"""What a run was asked to do: plain records, cheap to import (the CLI needs them for --help)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

COMPAT_DOOZER_2020 = "doozer-2020"
COMPAT_DOOZER_2026 = "doozer-2026"
COMPAT_MODES = (COMPAT_DOOZER_2020, COMPAT_DOOZER_2026)

# Where a BuildConfig pushes the image it builds (see docs/targets.md).
PUSH_QCI = "qci"  # ART's CI since June 2026: a QCI tag, promoted to the imagestream later
PUSH_IMAGESTREAM = "imagestream"  # the CI of 2021 to mid-2026: straight into an ImageStreamTag
PUSH_TARGETS = (PUSH_QCI, PUSH_IMAGESTREAM)
DEFAULT_QCI_REPO = "quay.io/openshift/ci"
DEFAULT_PUSH_SECRET = "registry-push-credentials-quay-qci-art-builder"  # noqa: S105 - a name


@dataclass(frozen=True)
class PushTarget:
    """Where the BuildConfigs push: QCI (its repository and push secret) or imagestreams."""

    kind: str = PUSH_QCI
    qci_repo: str = DEFAULT_QCI_REPO
    push_secret: str = DEFAULT_PUSH_SECRET

    @property
    def qci(self) -> bool:
        """True when the builds push to QCI."""
        return self.kind == PUSH_QCI


IMAGESTREAM_TARGET = PushTarget(PUSH_IMAGESTREAM)


def push_target(compat: str | None, kind: str | None, qci_repo: str | None = None,
                push_secret: str | None = None) -> PushTarget:
    """The push target a command line asks for; ValueError (a usage error) for a combination
    that no doozer ever wrote. Without --push-to: imagestream in doozer-2020 mode, else qci."""
    if kind is None:
        kind = PUSH_IMAGESTREAM if compat == COMPAT_DOOZER_2020 else PUSH_QCI
    if compat == COMPAT_DOOZER_2020 and kind == PUSH_QCI:
        raise ValueError("--push-to qci needs a mode that knows QCI (not --compat doozer-2020, "
                         "whose doozer pushed to imagestreams)")
    if compat == COMPAT_DOOZER_2026 and kind == PUSH_IMAGESTREAM:
        raise ValueError("--push-to imagestream does not go with --compat doozer-2026 (that "
                         "doozer pushes to QCI); use the default mode or --compat doozer-2020")
    given = [flag for flag, value in (("--qci-repo", qci_repo), ("--push-secret", push_secret))
             if value is not None]
    if given and kind != PUSH_QCI:
        raise ValueError(f"{given[0]} needs --push-to qci")
    return PushTarget(kind, qci_repo or DEFAULT_QCI_REPO, push_secret or DEFAULT_PUSH_SECRET)


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
    prune_despite_warnings: bool = False  # prune even when the build data gave warnings


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
    push: PushTarget = PushTarget()

    @property
    def uses_oc(self) -> bool:
        """True when --apply runs `oc apply` (doozer-2020 mode, or --oc given); doozer-2026
        mode applies its build.openshift.io/v1 objects with server-side apply."""
        return self.doozer_2020 or self.apply_options.oc is not None

    @property
    def target(self) -> PushTarget:
        """Where the BuildConfigs push (always imagestreams in doozer-2020 mode)."""
        return IMAGESTREAM_TARGET if self.doozer_2020 else self.push

    @property
    def doozer_2026(self) -> bool:
        """True in byte-for-byte doozer 2026 (art-tools 8cb2b372) mode."""
        return self.compat == COMPAT_DOOZER_2026

    @property
    def doozer_2020(self) -> bool:
        """True in byte-for-byte doozer 2020 mode."""
        return self.compat == COMPAT_DOOZER_2020

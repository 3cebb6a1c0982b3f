"""A group's lock and memory on the cluster: one `coordination.k8s.io/v1` Lease per group.

The Lease `cistreams-sync-<group>` in the target namespace is both:

- **the lock**: a sync takes it before its first step (creates it, or, once the last holder
  released it or let it expire, updates it with the resourceVersion it read, so that of two
  runs racing for it exactly one wins), renews it while the group runs (`Renewer`, a thread)
  and releases it at the end (clears `holderIdentity`). A run killed with SIGKILL releases
  nothing: its Lease expires `leaseDurationSeconds` after its last renewal and the next run
  takes it over;
- **the memory**: a successful sync writes the build-data revision it synced (a git commit,
  or a digest of the files read) into the Lease's annotations, so that the next run finds an
  unchanged group with one GET.

Expiry is judged by this machine's clock against the `renewTime` the holder wrote with its
own: clocks of the machines running syncs must agree to well within the lease duration.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cistreams.cluster.api import Answer, Api
from cistreams.errors import CistreamsError

API_PATH = "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"
NAME_PREFIX = "cistreams-sync-"
REVISION_ANNOTATION = "cistreams/synced-revision"
SYNCED_AT_ANNOTATION = "cistreams/synced-at"
GROUP_ANNOTATION = "cistreams/group"
MANAGED_BY = {"app.kubernetes.io/managed-by": "cistreams"}
DEFAULT_DURATION = 60  # seconds; renewed every third of it
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")


class LeaseError(CistreamsError):
    """The server refused a Lease request (no rights, say)."""


def lease_name(group: str) -> str:
    """`cistreams-sync-<group>`, or, for a group name that cannot be part of an object name,
    a cleaned-up name with a hash of the real one (two groups never share a Lease)."""
    name = NAME_PREFIX + group
    if len(name) <= 253 and _DNS_SUBDOMAIN.fullmatch(name):
        return name
    cleaned = re.sub(r"[^a-z0-9.-]+", "-", group.lower()).strip("-.")[:200]
    digest = hashlib.sha256(group.encode()).hexdigest()[:8]
    return f"{NAME_PREFIX}{cleaned}-{digest}" if cleaned else f"{NAME_PREFIX}{digest}"


def holder_identity() -> str:
    """Who holds a Lease: host (the pod's name in a cluster), process and a random part, so
    that a restarted container with the same host name and pid is still someone else."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def micro_time(moment: float) -> str:
    """A Kubernetes MicroTime (RFC 3339 with microseconds, UTC)."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: object) -> float | None:
    """A MicroTime or Time as seconds since the epoch; None when absent or unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass(frozen=True)
class Record:
    """What the last successful sync of a group synced."""

    revision: str
    synced_at: str


@dataclass(frozen=True)
class LeaseState:
    """A Lease as one GET read it (`exists` False when there is none yet)."""

    exists: bool
    body: dict[str, Any]

    @property
    def spec(self) -> dict[str, Any]:
        """The Lease's spec (empty when absent)."""
        spec = self.body.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def holder(self) -> str | None:
        """The holder's identity, None when released."""
        holder = self.spec.get("holderIdentity")
        return holder if isinstance(holder, str) and holder else None

    @property
    def since(self) -> str:
        """When the holder took it (its acquireTime), as written."""
        return str(self.spec.get("acquireTime") or self.spec.get("renewTime") or "?")

    def expires_at(self) -> float | None:
        """When the holder's claim ends unless renewed (None: no time or duration on it)."""
        renewed = parse_time(self.spec.get("renewTime") or self.spec.get("acquireTime"))
        duration = self.spec.get("leaseDurationSeconds")
        if renewed is None or not isinstance(duration, int):
            return None
        return renewed + duration

    def held_by_other(self, me: str, now: float) -> bool:
        """Someone else holds it and has renewed it within its duration."""
        if self.holder is None or self.holder == me:
            return False
        expires = self.expires_at()
        # a holder that wrote no time or duration never expires on its own: treat it as
        # live, since taking over a Lease of unknown meaning could run two syncs at once
        return expires is None or expires > now

    @property
    def record(self) -> Record | None:
        """The revision the last successful sync recorded, if any."""
        annotations = (self.body.get("metadata") or {}).get("annotations") or {}
        revision = annotations.get(REVISION_ANNOTATION)
        if not isinstance(revision, str) or not revision:
            return None
        return Record(revision, str(annotations.get(SYNCED_AT_ANNOTATION) or ""))


@dataclass(frozen=True)
class Held:
    """The Lease is another run's: who, and since when."""

    holder: str
    since: str

    def __str__(self) -> str:
        return f"held by {self.holder} since {self.since}"


@dataclass
class GroupLease:
    """The Lease of one group: read, acquire, renew, release (see the module doc).

    Thread-safe: the renewer and the group's run share it.
    """

    api: Api
    namespace: str
    group: str
    holder: str = field(default_factory=holder_identity)
    duration: int = DEFAULT_DURATION
    clock: Callable[[], float] = time.time
    lost: str | None = None  # why this run no longer holds the Lease, once it does not
    _body: dict[str, Any] | None = None  # the Lease as last written by us, while we hold it
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def name(self) -> str:
        """The Lease's name."""
        return lease_name(self.group)

    @property
    def path(self) -> str:
        """The Lease's API path."""
        return f"{API_PATH.format(namespace=self.namespace)}/{self.name}"

    @property
    def held(self) -> bool:
        """True while this run holds the Lease."""
        return self._body is not None and self.lost is None

    def read(self) -> LeaseState:
        """One GET: the Lease as it is now (a missing Lease is a state, not an error)."""
        answer = self.api.get(self.path)
        if answer.status == 404:
            return LeaseState(False, {})
        self._check(answer, "read")
        return LeaseState(True, answer.body)

    def acquire(self, state: LeaseState) -> Held | None:
        """Take the Lease as `state` read it; None when taken, else who holds it. A race
        lost to another run (409: it wrote first) is that run holding it."""
        now = self.clock()
        if state.held_by_other(self.holder, now):
            return Held(state.holder or "?", state.since)
        body = self._claimed(state, now)
        if state.exists:
            answer = self.api.request("PUT", self.path, content=json.dumps(body),
                                      content_type="application/json")
        else:
            answer = self.api.request("POST", API_PATH.format(namespace=self.namespace),
                                      content=json.dumps(body), content_type="application/json")
        if answer.status == 409:
            again = self.read()
            return Held(again.holder or "another run", again.since)
        self._check(answer, "take")
        with self._lock:
            self._body, self.lost = answer.body, None
        return None

    def renew(self) -> bool:
        """Push renewTime forward; False once the Lease is lost (taken over by someone
        else after it expired, or deleted). A failed request raises (the renewer retries)."""
        with self._lock:
            if self._body is None or self.lost is not None:
                return False
            body = json.loads(json.dumps(self._body))
            body["spec"]["renewTime"] = micro_time(self.clock())
            answer = self.api.request("PUT", self.path, content=json.dumps(body),
                                      content_type="application/json")
            if answer.status in (404, 409):
                self.lost = self._why_lost()
                return False
            self._check(answer, "renew")
            self._body = answer.body
            return True

    def release(self, record: Record | None = None) -> bool:
        """Give the Lease up (and, after a successful sync, record what was synced); False
        when it was lost meanwhile (nothing is written then)."""
        with self._lock:
            if self._body is None or self.lost is not None:
                return False
            body = json.loads(json.dumps(self._body))
            body["spec"].pop("holderIdentity", None)
            body["spec"]["renewTime"] = micro_time(self.clock())
            if record is not None:
                annotations = body["metadata"].setdefault("annotations", {})
                annotations[REVISION_ANNOTATION] = record.revision
                annotations[SYNCED_AT_ANNOTATION] = record.synced_at
            answer = self.api.request("PUT", self.path, content=json.dumps(body),
                                      content_type="application/json")
            if answer.status in (404, 409):
                self.lost = self._why_lost()
                return False
            self._check(answer, "release")
            self._body = None
            return True

    def _claimed(self, state: LeaseState, now: float) -> dict[str, Any]:
        """The Lease with us as holder: the read object (its resourceVersion guards the
        update) or a new one."""
        body: dict[str, Any] = json.loads(json.dumps(state.body)) if state.exists else {
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace,
                         "labels": dict(MANAGED_BY),
                         "annotations": {GROUP_ANNOTATION: self.group}}}
        spec = body.setdefault("spec", {})
        transitions = spec.get("leaseTransitions")
        spec.update({"holderIdentity": self.holder, "leaseDurationSeconds": self.duration,
                     "acquireTime": micro_time(now), "renewTime": micro_time(now),
                     "leaseTransitions": (transitions if isinstance(transitions, int) else 0)
                     + (1 if state.exists else 0)})  # a new holder, as client-go counts
        body.get("metadata", {}).pop("managedFields", None)
        return body

    def _why_lost(self) -> str:
        """Who has the Lease now, for the message of a run that lost it."""
        now = self.read()
        if not now.exists:
            return f"the Lease {self.namespace}/{self.name} was deleted"
        return (f"the Lease {self.namespace}/{self.name} was taken over by "
                f"{now.holder or 'nobody'} (this run did not renew it in time)")

    def _check(self, answer: Answer, what: str) -> None:
        if not answer.ok:
            raise LeaseError(f"{self.api.server}: cannot {what} the Lease "
                             f"{self.namespace}/{self.name}: HTTP {answer.status}: "
                             f"{answer.reason}")


class Renewer:
    """Renews a held Lease every third of its duration on a daemon thread, until stopped.

    A failed renewal is tried again at the next tick; once the Lease has not been renewed
    for its whole duration (another run may have taken it), or was taken over, the lease
    reports itself lost and the renewer ends.
    """

    def __init__(self, lease: GroupLease, interval: float | None = None) -> None:
        self.lease = lease
        self.interval = interval if interval is not None else max(lease.duration / 3, 0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{lease.group}",
                                        daemon=True)
        self.renewals = 0

    def __enter__(self) -> Renewer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop renewing (returns once the thread is done)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        last = self.lease.clock()
        while not self._stop.wait(self.interval):
            try:
                if not self.lease.renew():
                    return
                last = self.lease.clock()
                self.renewals += 1
            except CistreamsError as exc:
                if self.lease.clock() - last >= self.lease.duration:
                    self.lease.lost = (f"the Lease {self.lease.namespace}/{self.lease.name} "
                                       f"could not be renewed for {self.lease.duration} s: "
                                       f"{exc}")
                    return

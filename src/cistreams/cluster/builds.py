"""BuildConfigs and Builds on the cluster, for start-builds and check-upstream: list,
instantiate, and watch.

A build is started as `oc start-build` does: `POST .../buildconfigs/NAME/instantiate` with a
BuildRequest; the answer is the new Build. Builds are followed with one **watch** on the
group's Builds (a label selector), from the resourceVersion of a list made before the builds
were started, so no change is missed and each arrives as it happens (doozer polled each build
every 15 s, one build after another). A watch the server ends (its timeoutSeconds, a broken
connection) is resumed from the last resourceVersion seen; one that is too old (410 Gone) is
replaced by a fresh list. Requests are counted in `api.requests`, as Api counts its own.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cistreams.cluster.api import Answer, Api, Unauthorized
from cistreams.errors import CistreamsError

GROUP_VERSION = "build.openshift.io/v1"
TERMINAL = frozenset({"Complete", "Failed", "Error", "Cancelled"})
DELETED = "Deleted"  # not an OpenShift phase: the Build disappeared before it ended
WATCH_TRIES = 3  # failed watch connections in a row before giving up
# One watch request lasts at most this long, then the next resumes it: a connection that died
# without a word (no FIN, no error) costs at most this, and a long wait a request per 5 min.
WATCH_SECONDS = 300.0
NUMBER = "openshift.io/build.number"
CONFIG = "openshift.io/build-config.name"


class BuildsRefused(CistreamsError):
    """The server refused a request about BuildConfigs or Builds, or a watch kept failing."""


def buildconfigs_path(namespace: str) -> str:
    """The API path of the namespace's BuildConfigs."""
    return f"/apis/{GROUP_VERSION}/namespaces/{namespace}/buildconfigs"


def builds_path(namespace: str) -> str:
    """The API path of the namespace's Builds."""
    return f"/apis/{GROUP_VERSION}/namespaces/{namespace}/builds"


@dataclass(frozen=True)
class BuildState:
    """What one Build says about itself."""

    name: str
    buildconfig: str
    number: int
    phase: str  # New until the server writes a phase
    created: str | None = None
    started: str | None = None
    completed: str | None = None
    digest: str | None = None  # status.output.to.imageDigest of a build that pushed
    nanoseconds: int | None = None  # status.duration, written when the build ends
    reason: str = ""
    message: str = ""

    @property
    def done(self) -> bool:
        """True once the build can change no more (or is gone)."""
        return self.phase in TERMINAL or self.phase == DELETED

    def duration(self, now: datetime | None = None) -> float | None:
        """Seconds from start to completion (to `now` while it runs), None before it starts."""
        if self.nanoseconds is not None:
            return self.nanoseconds / 1e9
        start = parse_time(self.started)
        end = parse_time(self.completed) or now
        if start is None or end is None:
            return None
        return max(0.0, (end - start).total_seconds())


def parse_time(text: str | None) -> datetime | None:
    """An RFC 3339 timestamp as the API server writes them, or None."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def build_state(obj: dict[str, Any], deleted: bool = False) -> BuildState:
    """The BuildState of a Build object."""
    meta = obj.get("metadata") or {}
    status = obj.get("status") or {}
    annotations = meta.get("annotations") or {}
    labels = meta.get("labels") or {}
    try:
        number = int(annotations.get(NUMBER) or 0)
    except ValueError:
        number = 0
    output = ((status.get("output") or {}).get("to") or {})
    return BuildState(
        name=str(meta.get("name", "")),
        buildconfig=str(annotations.get(CONFIG) or labels.get("buildconfig") or ""),
        number=number, phase=DELETED if deleted else str(status.get("phase") or "New"),
        created=meta.get("creationTimestamp"), started=status.get("startTimestamp"),
        completed=status.get("completionTimestamp"), digest=output.get("imageDigest") or None,
        nanoseconds=status["duration"] if isinstance(status.get("duration"), int) else None,
        reason=str(status.get("reason") or ""), message=str(status.get("message") or ""))


def list_buildconfigs(api: Api, namespace: str, selector: str) -> list[dict[str, Any]]:
    """Every BuildConfig of the namespace that matches the label selector."""
    return api.get_all(buildconfigs_path(namespace), selector)


def list_builds(api: Api, namespace: str, selector: str) -> tuple[list[BuildState], str]:
    """The Builds matching the selector and the list's resourceVersion (to watch from)."""
    answer = api.get_list(builds_path(namespace), selector)
    if not answer.ok:
        raise BuildsRefused(f"{api.server}: cannot list builds in namespace {namespace}: "
                            f"HTTP {answer.status}: {answer.reason}")
    items = [build_state(item) for item in answer.body.get("items") or []]
    return items, str((answer.body.get("metadata") or {}).get("resourceVersion") or "")


def latest_by_buildconfig(states: list[BuildState]) -> dict[str, BuildState]:
    """The newest Build of each BuildConfig (highest build number, then creation time)."""
    latest: dict[str, BuildState] = {}
    for state in states:
        known = latest.get(state.buildconfig)
        if known is None or (state.number, state.created or "") > (known.number,
                                                                    known.created or ""):
            latest[state.buildconfig] = state
    return latest


def instantiate(api: Api, namespace: str, name: str, message: str) -> BuildState:
    """Start a build of BuildConfig `name`; the new Build. Raises BuildsRefused with the
    server's own reason when it refuses (no right to instantiate, no such BuildConfig)."""
    request = {"kind": "BuildRequest", "apiVersion": GROUP_VERSION, "metadata": {"name": name},
               "triggeredBy": [{"message": message}]}
    answer = api.request("POST", f"{buildconfigs_path(namespace)}/{name}/instantiate",
                         content=json.dumps(request), content_type="application/json")
    if answer.status not in (200, 201) or answer.body.get("kind") != "Build":
        raise BuildsRefused(f"cannot start a build of {name}: HTTP {answer.status}: "
                            f"{answer.reason}")
    return build_state(answer.body)


Clock = Callable[[], float]


def watch(api: Api, namespace: str, selector: str, resource_version: str, deadline: float,
          clock: Clock = time.monotonic) -> Iterator[BuildState]:
    """Every change to the matching Builds after `resource_version`, as it happens, until
    `deadline` (a `clock` time); the caller stops early by leaving the loop."""
    version, failures = resource_version, 0
    while (remaining := deadline - clock()) > 0:
        try:
            for kind, obj in _events(api, namespace, selector, version, remaining):
                failures = 0
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if kind in ("ADDED", "MODIFIED", "DELETED"):
                    yield build_state(obj, deleted=kind == "DELETED")
        except _Gone:
            # too old to resume: the current state of every Build, then onwards from there
            states, version = list_builds(api, namespace, selector)
            yield from states
        except _Broken as exc:
            failures += 1
            if failures >= WATCH_TRIES:
                raise BuildsRefused(f"{api.server}: watching builds in namespace {namespace} "
                                    f"failed {failures} times in a row: {exc}") from None
            api.sleep(min(0.5 * failures, max(0.0, deadline - clock())))


class _Gone(Exception):
    """The watch's resourceVersion is too old (410)."""


class _Broken(Exception):
    """The watch connection failed or was refused for a reason a new one may not have."""


def _events(api: Api, namespace: str, selector: str, version: str,
            remaining: float) -> Iterator[tuple[str, dict[str, Any]]]:
    """(type, object) of every event of one watch request, which the server ends after
    `remaining` seconds (timeoutSeconds, at most WATCH_SECONDS), as the caller's deadline
    says."""
    import httpx2 as httpx

    remaining = min(remaining, WATCH_SECONDS)
    params = {"labelSelector": selector, "watch": "true", "resourceVersion": version,
              "allowWatchBookmarks": "true", "timeoutSeconds": str(max(1, math.ceil(remaining)))}
    headers = {"Accept": "application/json"}
    if api.impersonate:
        headers["Impersonate-User"] = api.impersonate
    # a quiet watch is normal: the read timeout only backs up the server's own end
    timeout = httpx.Timeout(30.0, read=remaining + 10.0)
    with api._lock:  # counted like Api's own requests
        api.requests += 1
    try:
        with api.client.stream("GET", builds_path(namespace), params=params, headers=headers,
                               timeout=timeout) as response:
            if response.status_code != 200:
                response.read()
                _refused(api, Answer(response.status_code, _json(response.content)))
            for line in response.iter_lines():
                if line.strip():
                    yield _event(line)
    except httpx.TransportError as exc:
        raise _Broken(" ".join(str(exc).split()) or type(exc).__name__) from None


def _event(line: str) -> tuple[str, dict[str, Any]]:
    try:
        event = json.loads(line)
    except ValueError:
        raise _Broken("the server sent a watch event that is not JSON") from None
    obj = event.get("object") if isinstance(event, dict) else None
    if not isinstance(obj, dict):
        raise _Broken("the server sent a watch event without an object")
    kind = str(event.get("type"))
    if kind == "ERROR":
        if obj.get("code") == 410:
            raise _Gone
        raise _Broken(f"HTTP {obj.get('code')}: {' '.join(str(obj.get('message')).split())}")
    return kind, obj


def _refused(api: Api, answer: Answer) -> None:
    if answer.status == 401:
        raise Unauthorized(f"{api.server}: the credentials of {api.credentials} were rejected "
                           f"(HTTP 401: {answer.reason}); log in again or renew the token")
    if answer.status == 410:
        raise _Gone
    if answer.status in (429, 500, 502, 503, 504):
        raise _Broken(f"HTTP {answer.status}: {answer.reason}")
    raise BuildsRefused(f"{api.server}: cannot watch builds: HTTP {answer.status}: "
                        f"{answer.reason}")


def _json(content: bytes) -> dict[str, Any]:
    try:
        body = json.loads(content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}

"""OpenShift's build service in front of the test cluster's kube-apiserver (tests only).

`instantiate` is an OpenShift subresource: a CRD cannot serve it, and no package registry ships
an OpenShift API server. `BuildService(cluster)` listens on a free 127.0.0.1 port with the
cluster's own serving certificate (clients verify it with the cluster CA, as the server) and:

- answers `POST .../buildconfigs/NAME/instantiate` as OpenShift does: a real access review
  first (a SelfSubjectAccessReview sent with the caller's own token and impersonation headers,
  so the API server decides, impersonation rights included, whether the caller may `create
  buildconfigs/instantiate`; a refusal is OpenShift's 403 text), then, through the real API:
  the BuildConfig's `status.lastVersion` incremented (a conflict-checked write), the Build
  `NAME-N` created with the labels and annotations OpenShift sets, its status `New`; the
  answer is 201 with the Build;
- passes every other request through to the API server as it is (list, watch, patch, RBAC:
  all real), streaming answers that have no length (watches) chunk by chunk (relay.py);
- plays the build controller for the Builds it created: each moves to Running, then, as
  `scenarios[BUILDCONFIG]` says (else `default`), to Complete after pushing a new image with
  skopeo to the BuildConfig's DockerImage output (recording its digest in
  `status.output.to.imageDigest`, as OpenShift does), to Failed, Error or Cancelled, or stays
  Running (`Hang`).

Counters for tests and the benchmark: `seen` (every request), `ended` (when each Build reached
its final phase, time.monotonic()), `pushed` (the digest each build pushed). Anything
unexpected inside lands in `errors`, which tests assert empty. A context manager; leaving it
stops the server and closes every connection.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import secrets
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from cluster import build_crd
from cluster.relay import RelayServer
from cluster.testcluster import TestCluster
from registry import images

INSTANTIATE = re.compile(r"/apis/build\.openshift\.io/v1/namespaces/([^/]+)/buildconfigs/"
                         r"([^/]+)/instantiate")
BUILDCONFIGS = "/apis/build.openshift.io/v1/namespaces/{}/buildconfigs/{}"
_COPIED_SPEC = ("serviceAccount", "source", "strategy", "output", "resources", "postCommit",
                "nodeSelector", "completionDeadlineSeconds", "mountTrustedCA")
FINAL = {"Failed": ("DockerBuildFailed", "Docker build strategy has failed."),
         "Error": ("BuildPodDeleted", "The pod for this build was deleted before the build "
                                      "completed."),
         "Cancelled": ("CancelledBuild", "The build was cancelled by the user.")}
HANG = "Hang"
MERGE = "application/merge-patch+json"


@dataclass(frozen=True)
class Scenario:
    """What the build controller does with one BuildConfig's builds."""

    outcome: str = "Complete"  # Complete, Failed, Error, Cancelled, or Hang (Running for ever)
    run_seconds: float = 0.2  # Running to the outcome
    start_seconds: float = 0.05  # New to Running


@dataclass(frozen=True)
class Seen:
    """One request the service read: when (time.monotonic()), what, and from whom."""

    at: float
    method: str
    path: str
    impersonated: str | None


def now() -> str:
    """An RFC 3339 timestamp in seconds, as Kubernetes writes them."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_object(code: int, reason: str, message: str, name: str = "") -> dict[str, Any]:
    """A Status answer as the API server words one."""
    details = {"name": name, "group": build_crd.GROUP, "kind": "buildconfigs"} if name else {}
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "details": details, "code": code}


class BuildService:
    """The build service and controller in front of `cluster` (see the module doc)."""

    def __init__(self, cluster: TestCluster, authfile: Path | None = None,
                 certs_dir: Path | None = None) -> None:
        self.cluster = cluster
        self.authfile = authfile
        self.certs_dir = certs_dir
        upstream = urlsplit(cluster.server)
        self._upstream = (upstream.hostname or "127.0.0.1", upstream.port or 443)
        self.scenarios: dict[str, Scenario] = {}
        self.default = Scenario()
        self.errors: list[str] = []
        self.ended: dict[str, float] = {}
        self.pushed: dict[str, str] = {}
        self._seen: list[Seen] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._server: RelayServer | None = None
        self.served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.served.load_cert_chain(cluster.workdir / "pki" / "server.crt",
                                     cluster.workdir / "pki" / "server.key")
        self._verified = ssl.create_default_context(cafile=str(cluster.ca_path))

    # -- what tests read ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The https URL clients use instead of the cluster's."""
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def seen(self) -> list[Seen]:
        """Every request read so far, in order."""
        with self._lock:
            return list(self._seen)

    def mark(self) -> int:
        """The number of requests so far; `seen[mark:]` are those after this call."""
        with self._lock:
            return len(self._seen)

    def kubeconfig(self, user: str) -> Path:
        """The cluster's kubeconfig for `user`, with the service's URL as the server."""
        direct = self.cluster.kubeconfig(user)
        config = json.loads(direct.read_text(encoding="utf-8"))
        for entry in config["clusters"]:
            entry["cluster"]["server"] = self.url
        path = direct.with_name(f"{user}-via-buildservice")
        path.touch(mode=0o600)
        path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return path

    # -- running ------------------------------------------------------------------------------

    def start(self) -> BuildService:
        """Listen, and serve in a background thread."""
        self._server = RelayServer(self)
        thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                  name="buildservice", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving, end the controller's builds, close every connection."""
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(10)

    def __enter__(self) -> BuildService:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def track(self, sock: socket.socket, live: bool) -> None:
        """Keep `sock` to close at stop (live), or forget it."""
        with self._lock:
            (self._sockets.add if live else self._sockets.discard)(sock)

    def record(self, method: str, path: str, impersonated: str | None) -> None:
        """Count one request."""
        with self._lock:
            self._seen.append(Seen(time.monotonic(), method, path, impersonated))

    # -- talking to the API server ------------------------------------------------------------

    def connect(self) -> http.client.HTTPSConnection:
        """A connection to the API server, TLS verified with the cluster CA."""
        host, port = self._upstream
        return http.client.HTTPSConnection(host, port, context=self._verified, timeout=60)

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             content_type: str = "application/json") -> tuple[int, dict[str, Any]]:
        """One request to the API server as the service itself (admin) unless `headers`
        carry other credentials: (status, JSON body)."""
        sent = headers if headers is not None else {
            "Authorization": f"Bearer {self.cluster.token('admin')}"}
        connection = self.connect()
        try:
            data = None if body is None else json.dumps(body).encode()
            connection.request(method, path, body=data, headers={
                **sent, "Content-Type": content_type, "Accept": "application/json"})
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        try:
            decoded = json.loads(raw)
        except ValueError:
            decoded = {"message": raw.decode("utf-8", "replace")}
        return response.status, decoded if isinstance(decoded, dict) else {}

    # -- instantiate --------------------------------------------------------------------------

    def answer(self, method: str, path: str, body: bytes,
               headers: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
        """The answer to a request the service handles itself (instantiate); None for one
        the relay passes to the API server."""
        match = INSTANTIATE.fullmatch(urlsplit(path).path)
        if match is None or method != "POST":
            return None
        return self.instantiate(match[1], match[2], body, headers)

    def instantiate(self, namespace: str, name: str, body: bytes,
                    headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Answer one BuildRequest as OpenShift does (see the module doc)."""
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return 400, status_object(400, "BadRequest", "the body is not JSON")
        if not isinstance(request, dict) or request.get("kind") != "BuildRequest" or \
                (request.get("metadata") or {}).get("name") != name:
            return 400, status_object(400, "BadRequest", f"a BuildRequest for {name} expected")
        refused = self._review(namespace, name, headers)
        if refused is not None:
            return refused
        found = self._next_version(namespace, name)
        if isinstance(found, tuple):
            return found
        buildconfig, number = found["buildconfig"], found["number"]
        build = new_build(buildconfig, number, request)
        status, created = self.call("POST", build_crd.path(namespace), build)
        if status != 201:
            return status, created
        status, written = self.call("PATCH", build_crd.path(namespace, build["metadata"]["name"])
                                    + "/status", {"status": {
                                        "phase": "New", "output": {},
                                        "config": {"kind": "BuildConfig", "namespace": namespace,
                                                   "name": name}}}, content_type=MERGE)
        if status != 200:
            return status, written
        thread = threading.Thread(target=self._controller, args=(written,), daemon=True,
                                  name=f"build-{number}")
        thread.start()
        self._threads.append(thread)
        return 201, written

    def _review(self, namespace: str, name: str,
                headers: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
        """None when the caller may instantiate `name`; else the refusal to answer with."""
        theirs = {k: v for k, v in headers.items()
                  if k.lower() == "authorization" or k.lower().startswith("impersonate-")}
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                  "spec": {"resourceAttributes": {
                      "namespace": namespace, "verb": "create", "group": build_crd.GROUP,
                      "resource": "buildconfigs", "subresource": "instantiate", "name": name}}}
        status, answer = self.call("POST", "/apis/authorization.k8s.io/v1/"
                                   "selfsubjectaccessreviews", review, theirs)
        if status != 201:
            return status, answer  # a bad token (401), impersonation refused (403): as it is
        if (answer.get("status") or {}).get("allowed") is True:
            return None
        user = self._user(headers)
        return 403, status_object(403, "Forbidden", (
            f'buildconfigs.build.openshift.io "{name}" is forbidden: User "{user}" cannot '
            f'create resource "buildconfigs/instantiate" in API group "{build_crd.GROUP}" in '
            f'the namespace "{namespace}"'), name)

    def _user(self, headers: dict[str, str]) -> str:
        """Who asked: the impersonated user, else the token's owner (a real TokenReview)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        if "impersonate-user" in lowered:
            return lowered["impersonate-user"]
        token = lowered.get("authorization", "").removeprefix("Bearer ").strip()
        status, answer = self.call("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
            "spec": {"token": token}})
        user = ((answer.get("status") or {}).get("user") or {}).get("username")
        return str(user) if status == 201 and user else "unknown"

    def _next_version(self, namespace: str,
                      name: str) -> dict[str, Any] | tuple[int, dict[str, Any]]:
        """Increment the BuildConfig's status.lastVersion (conflict-checked, retried)."""
        path = BUILDCONFIGS.format(namespace, name)
        for _ in range(20):
            status, buildconfig = self.call("GET", path)
            if status == 404:
                return 404, status_object(404, "NotFound", f'buildconfigs.build.openshift.io '
                                                           f'"{name}" not found', name)
            if status != 200:
                return status, buildconfig
            number = int((buildconfig.get("status") or {}).get("lastVersion") or 0) + 1
            patch = {"metadata": {"resourceVersion": buildconfig["metadata"]["resourceVersion"]},
                     "status": {"lastVersion": number}}
            status, written = self.call("PATCH", path, patch, content_type=MERGE)
            if status == 200:
                return {"buildconfig": written, "number": number}
            if status != 409:
                return status, written
        return 409, status_object(409, "Conflict", f"{name}: lastVersion kept changing")

    # -- the build controller -----------------------------------------------------------------

    def _controller(self, build: dict[str, Any]) -> None:
        """New, Running, then the scenario's outcome."""
        meta = build["metadata"]
        name, namespace = meta["name"], meta["namespace"]
        scenario = self.scenarios.get(meta["annotations"]["openshift.io/build-config.name"],
                                      self.default)
        try:
            if self.stopping.wait(scenario.start_seconds):
                return
            began = time.monotonic()
            self._status(namespace, name, {"phase": "Running", "startTimestamp": now()})
            if scenario.outcome == HANG or self.stopping.wait(scenario.run_seconds):
                return
            final: dict[str, Any] = {"phase": scenario.outcome}
            if scenario.outcome == "Complete":
                final |= self._complete(build)
            else:
                final |= dict(zip(("reason", "message"), FINAL[scenario.outcome], strict=True))
            final |= {"completionTimestamp": now(),
                      "duration": int((time.monotonic() - began) * 1e9)}
            self._status(namespace, name, final)
            with self._lock:
                self.ended[name] = time.monotonic()
        except Exception as exc:
            self.errors.append(f"controller {name}: {exc!r}")

    def _complete(self, build: dict[str, Any]) -> dict[str, Any]:
        """Push the build's image; the status fields of a Complete build (or of a Failed
        one, when the push failed)."""
        target = ((build.get("spec") or {}).get("output") or {}).get("to") or {}
        if target.get("kind") != "DockerImage":
            return {}  # an ImageStreamTag output: no registry stands for the integrated one
        name = build["metadata"]["name"]
        try:
            digest = self.push(target["name"], f"{name} {secrets.token_hex(8)}")
        except RuntimeError as exc:
            return {"phase": "Failed", "reason": "PushImageToRegistryFailed",
                    "message": f"Failed to push the image: {exc}"}
        with self._lock:
            self.pushed[name] = digest
        return {"output": {"to": {"imageDigest": digest}}}

    def push(self, pullspec: str, content: str) -> str:
        """A new image whose content names `content`, pushed to `pullspec` with skopeo (from
        a `dir:` layout); its digest."""
        image = images.image(content)
        host = pullspec.split("/", 1)[0]
        with tempfile.TemporaryDirectory(prefix="cistreams-build-") as temp:
            layout = Path(temp)
            (layout / "version").write_text("Directory Transport Version: 1.1\n", encoding="utf-8")
            (layout / "manifest.json").write_bytes(image.manifest)
            for blob in (image.config, *image.layers):
                (layout / blob.digest.removeprefix("sha256:")).write_bytes(blob.data)
            args = ["skopeo", "copy", "--preserve-digests", "--quiet"]
            if self.authfile is not None:
                args += ["--authfile", str(self.authfile)]
            if self.certs_dir is not None and (self.certs_dir / host).is_dir():
                args += ["--dest-cert-dir", str(self.certs_dir / host)]
            done = subprocess.run([*args, f"dir:{layout}", f"docker://{pullspec}"],
                                  capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(" ".join(done.stderr.split())[-300:])
        return image.digest

    def _status(self, namespace: str, name: str, status: dict[str, Any]) -> None:
        code, answer = self.call("PATCH", build_crd.path(namespace, name) + "/status",
                                 {"status": status}, content_type=MERGE)
        if code != 200:
            raise RuntimeError(f"status of {name}: HTTP {code}: {answer.get('message')}")


def new_build(buildconfig: dict[str, Any], number: int,
              request: dict[str, Any]) -> dict[str, Any]:
    """The Build OpenShift's generator makes from a BuildConfig (its status comes after)."""
    meta = buildconfig["metadata"]
    name, namespace = meta["name"], meta["namespace"]
    short = name[:63]  # label values are cut to 63 characters, as OpenShift does
    labels = {**(meta.get("labels") or {}), "buildconfig": short,
              "openshift.io/build-config.name": short,
              "openshift.io/build.start-policy": "Serial"}
    spec = {key: value for key, value in (buildconfig.get("spec") or {}).items()
            if key in _COPIED_SPEC}
    spec["triggeredBy"] = request.get("triggeredBy") or [{"message": "Manually triggered"}]
    return {
        "apiVersion": f"{build_crd.GROUP}/{build_crd.VERSION}", "kind": "Build",
        "metadata": {
            "name": f"{name}-{number}", "namespace": namespace, "labels": labels,
            "annotations": {"openshift.io/build-config.name": name,
                            "openshift.io/build.number": str(number)},
            "ownerReferences": [{"apiVersion": f"{build_crd.GROUP}/{build_crd.VERSION}",
                                 "kind": "BuildConfig", "name": name, "uid": meta["uid"],
                                 "controller": True}]},
        "spec": spec,
    }

"""A real Kubernetes API server for tests: kube-apiserver 1.20 and etcd 3.4 on 127.0.0.1.

`TestCluster(workdir).start()` makes a CA and a serving certificate of its own (clients verify
TLS as against a production cluster), starts etcd and kube-apiserver on free ports with RBAC
and static tokens, creates the namespaces `ci` and `other`, the users' Roles and the BuildConfig
CRD (crd.py), and returns once BuildConfigs are served. Everything (keys, tokens, etcd data,
kubeconfigs, kubectl's cache, logs) stays in `workdir`. Standard library only; subprocesses
get argument lists, never shell strings. Users, with random static tokens:
  admin        group system:masters: everything.
  art-publish  in `ci` only: get/list/watch/create/update/patch/delete BuildConfigs and DaemonSets.
  bc-only      in `ci` only: the same on BuildConfigs; no DaemonSets.
  nobody       authenticated, no rights at all.
`bash scripts/test-cluster` runs one in the foreground (`python -m cluster.testcluster`).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import http.client
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from cluster.crd import GROUP, PLURAL, VERSION, buildconfig_crd

USERS = ("admin", "art-publish", "bc-only", "nobody")
NAMESPACES = ("ci", "other")
BINARIES = ("etcd", "kube-apiserver", "kubectl")
WRITE_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
# What each restricted user may write in `ci`, as (API group, resource).
GRANTS = {"art-publish": [(GROUP, PLURAL), ("apps", "daemonsets")], "bc-only": [(GROUP, PLURAL)]}
# Every admission plugin 1.20 enables by default except NamespaceLifecycle: with no nodes,
# controllers or service accounts they only get in the way.
DISABLED_ADMISSION = ("LimitRanger", "ServiceAccount", "TaintNodesByCondition", "Priority",
                      "DefaultTolerationSeconds", "DefaultStorageClass", "StorageObjectInUseProtection",
                      "PersistentVolumeClaimResize", "RuntimeClass", "CertificateApproval",
                      "CertificateSigning", "CertificateSubjectRestriction", "DefaultIngressClass",
                      "MutatingAdmissionWebhook", "ValidatingAdmissionWebhook", "ResourceQuota")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
RBAC = "rbac.authorization.k8s.io"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


class ClusterError(RuntimeError):
    """The test cluster could not be started, or did not do what was asked."""


def default_bin_dir() -> Path:
    """Where scripts/test-cluster-binaries caches the binaries (its rule, in Python)."""
    home = Path(os.environ.get("HOME") or Path.home())
    cache = os.environ.get("CISTREAMS_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "cistreams")
    return Path(cache) / "cluster-1.20" / "bin"


def missing_binaries(bin_dir: Path) -> list[str]:
    """The binaries the cluster needs that `bin_dir` lacks (or cannot execute)."""
    return [name for name in BINARIES if not os.access(bin_dir / name, os.X_OK)]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _parent_death_signal() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the child when its parent dies.

    Without it a pytest killed with SIGKILL would leave etcd and kube-apiserver running.
    prctl is looked up here, before any fork, so the child only makes the system call.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, int(signal.SIGTERM))  # 1 is PR_SET_PDEATHSIG


_PRE_EXEC = _parent_death_signal()


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a server in a session of its own (Ctrl-C reaches us, not it), output to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=_PRE_EXEC)


def _terminate(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL if it lingers; returns only once the process is reaped."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log: Path, lines: int = 40) -> str:
    """The last lines of a process log, for error messages."""
    with contextlib.suppress(OSError):
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    return "(no log)"


def _decode(raw: bytes) -> Any:
    """A response body as JSON when it is JSON, else as text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


def _poll(name: str, process: subprocess.Popen[bytes], log: Path, ready: Callable[[], bool]) -> None:
    """Call `ready` until it says yes; a dead process or a timeout raises with the log's tail."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ClusterError(f"{name} exited with status {process.returncode}; "
                               f"the end of {log}:\n{_tail(log)}")
        with contextlib.suppress(OSError, ValueError, http.client.HTTPException):
            if ready():
                return
        time.sleep(0.1)
    raise ClusterError(f"{name} not ready after {START_TIMEOUT:.0f} s; the end of {log}:\n{_tail(log)}")


def _etcd_healthy(client: str) -> bool:
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(f"{client}/health",
                                                                           timeout=5) as response:
        return bool(json.loads(response.read()).get("health") == "true")


class TestCluster:
    """etcd + kube-apiserver 1.20 in `workdir`, with users, namespaces and the BuildConfig CRD."""

    __test__ = False  # a helper, not a test class, despite its name

    def __init__(self, workdir: Path, bin_dir: Path | None = None) -> None:
        self.workdir = workdir
        self.bin_dir = bin_dir if bin_dir is not None else default_bin_dir()
        self._tokens = {user: secrets.token_urlsafe(24) for user in USERS}
        self._port = 0
        self._etcd_url = ""
        self._etcd: subprocess.Popen[bytes] | None = None
        self._apiserver: subprocess.Popen[bytes] | None = None
        self._opener: urllib.request.OpenerDirector | None = None

    @property
    def server(self) -> str:
        """The https URL of the API server."""
        return f"https://127.0.0.1:{self._port}"

    @property
    def ca_path(self) -> Path:
        """The PEM file of the cluster's CA, which signed the serving certificate."""
        return self.workdir / "pki" / "ca.crt"

    def token(self, user: str) -> str:
        """The bearer token of one of USERS."""
        if user not in self._tokens:
            raise ValueError(f"unknown user {user!r}; the test cluster has {', '.join(USERS)}")
        return self._tokens[user]

    def start(self) -> TestCluster:
        """Make keys, start etcd and kube-apiserver, create namespaces, roles and the CRD."""
        missing = missing_binaries(self.bin_dir)
        if missing:
            raise ClusterError(f"{', '.join(missing)} missing in {self.bin_dir}: "
                               "run bash scripts/test-cluster-binaries")
        for sub in ("pki", "logs", "etcd", "kubeconfig", "kubectl-cache"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        try:
            self._make_pki()
            self._start_etcd()
            self._port = free_port()
            self.start_apiserver()
            self._bootstrap()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop kube-apiserver, then etcd; returns once both processes are gone."""
        self.stop_apiserver()
        _terminate(self._etcd)
        self._etcd = None

    def stop_apiserver(self) -> None:
        """Stop only kube-apiserver (etcd and its data stay), e.g. to test an unreachable cluster."""
        _terminate(self._apiserver)
        self._apiserver = None

    def start_apiserver(self) -> None:
        """(Re)start kube-apiserver on the cluster's port; returns once /readyz says ok."""
        if self._apiserver is not None:
            raise ClusterError("kube-apiserver is already running")
        log = self.workdir / "logs" / "kube-apiserver.log"
        self._apiserver = _spawn([str(self.bin_dir / "kube-apiserver"), *self._apiserver_args()], log)
        _poll("kube-apiserver", self._apiserver, log, lambda: self.api("GET", "/readyz")[0] == 200)

    def __enter__(self) -> TestCluster:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def kubeconfig(self, user: str) -> Path:
        """A kubeconfig file for `user`: TLS verified with the CA, one context named after the user."""
        path = self.workdir / "kubeconfig" / user
        cluster = {"server": self.server,
                   "certificate-authority-data": base64.b64encode(self.ca_path.read_bytes()).decode()}
        config = {"apiVersion": "v1", "kind": "Config", "preferences": {},
                  "clusters": [{"name": "test-cluster", "cluster": cluster}],
                  "users": [{"name": user, "user": {"token": self.token(user)}}],
                  "contexts": [{"name": user, "context": {"cluster": "test-cluster", "user": user}}],
                  "current-context": user}
        path.touch(mode=0o600)
        path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return path

    def kubectl(self, *args: str, user: str = "admin",
                input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run the cached kubectl 1.20 as `user` (text in and out, never raises on failure)."""
        env = {key: value for key, value in os.environ.items() if key != "KUBECONFIG"}
        env["HOME"] = str(self.workdir)  # so kubectl never writes under the real ~/.kube
        command = [str(self.bin_dir / "kubectl"), "--kubeconfig", str(self.kubeconfig(user)),
                   "--cache-dir", str(self.workdir / "kubectl-cache"), *args]
        return subprocess.run(command, input=input, capture_output=True, text=True, env=env,
                              timeout=120, check=False)

    def api(self, method: str, path: str, body: Any = None, *, user: str = "admin",
            content_type: str = "application/json") -> tuple[int, Any]:
        """One HTTPS request as `user`, TLS verified with the CA: (status, decoded body).

        `body` is sent as JSON unless it is `str` or `bytes` already (an apply patch in YAML).
        A connection failure raises urllib.error.URLError.
        """
        if body is None or isinstance(body, bytes):
            data = body
        else:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
        headers = {"Authorization": f"Bearer {self.token(user)}", "Accept": "application/json",
                   "Content-Type": content_type}
        request = urllib.request.Request(self.server + path, data=data, method=method, headers=headers)
        try:
            with self._https().open(request, timeout=60) as response:
                return response.status, _decode(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, _decode(error.read())

    def reset(self) -> None:
        """Delete every BuildConfig and DaemonSet in `ci` and `other`, so a test starts clean.

        Restarts kube-apiserver first if a test left it stopped.
        """
        if self._apiserver is None:
            self.start_apiserver()
        options = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        for namespace in NAMESPACES:
            for collection in (f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}",
                               f"/apis/apps/v1/namespaces/{namespace}/daemonsets"):
                self._expect(self.api("DELETE", collection, options), "delete", collection)
                # No controller here would ever remove a finalizer a test left behind.
                for item in self._expect(self.api("GET", collection), "list", collection)["items"]:
                    path = f"{collection}/{item['metadata']['name']}"
                    self._expect(self.api("PATCH", path, {"metadata": {"finalizers": None}},
                                          content_type="application/merge-patch+json"), "patch", path)
                if left := self._expect(self.api("GET", collection), "list", collection)["items"]:
                    raise ClusterError(f"{collection} still holds {[i['metadata']['name'] for i in left]}")

    # -- starting ---------------------------------------------------------------------------

    def _https(self) -> urllib.request.OpenerDirector:
        """An opener that verifies the server with our CA and never goes through a proxy."""
        if self._opener is None:
            context = ssl.create_default_context(cafile=str(self.ca_path))
            self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                       urllib.request.HTTPSHandler(context=context))
        return self._opener

    def _openssl(self, *args: str) -> None:
        """Run one openssl command in the pki directory; its stderr explains a failure."""
        done = subprocess.run(["openssl", *args], cwd=self.workdir / "pki", capture_output=True,
                              text=True, check=False, timeout=60)
        if done.returncode != 0:
            raise ClusterError(f"openssl {' '.join(args)} failed:\n{done.stderr}")

    def _make_pki(self) -> None:
        """A CA, a serving certificate for 127.0.0.1/localhost signed by it, a service-account
        key pair, and the static token file (token,user,uid[,group])."""
        pki = self.workdir / "pki"
        # No configuration file (so none of the machine's defaults apply): every extension is
        # spelled out. P-256 keys are made in milliseconds; Go and Python both serve and verify them.
        key = ["-config", os.devnull, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
               "-days", "30"]
        self._openssl("req", "-x509", *key, "-subj", "/CN=cistreams test CA", "-keyout", "ca.key",
                      "-out", "ca.crt", "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self._openssl("req", "-x509", *key, "-subj", "/CN=127.0.0.1", "-CA", "ca.crt", "-CAkey", "ca.key",
                      "-keyout", "server.key", "-out", "server.crt", "-addext", "extendedKeyUsage=serverAuth",
                      "-addext", "basicConstraints=critical,CA:FALSE",
                      "-addext", "keyUsage=critical,digitalSignature",
                      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost")
        self._openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "sa.key")
        self._openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub")
        (pki / "tokens.csv").touch(mode=0o600)
        (pki / "tokens.csv").write_text("".join(
            f"{self._tokens[user]},{user},{user}{',system:masters' if user == 'admin' else ''}\n"
            for user in USERS), encoding="utf-8")

    def _start_etcd(self) -> None:
        """etcd on two free loopback ports (clients, peers), its data in the work directory."""
        client, peer = f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
        self._etcd_url = client
        log = self.workdir / "logs" / "etcd.log"
        self._etcd = _spawn([str(self.bin_dir / "etcd"), "--name", "test",
                             "--data-dir", str(self.workdir / "etcd"),
                             "--listen-client-urls", client, "--advertise-client-urls", client,
                             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                             "--initial-cluster", f"test={peer}", "--logger", "zap",
                             "--log-outputs", "stderr"], log)
        _poll("etcd", self._etcd, log, lambda: _etcd_healthy(client))

    def _apiserver_args(self) -> list[str]:
        pki = self.workdir / "pki"
        return [
            "--etcd-servers", self._etcd_url,
            "--bind-address", "127.0.0.1", "--secure-port", str(self._port),
            # Loopback advertised, no endpoint reconciler: nothing of the host's network gets in.
            "--advertise-address", "127.0.0.1", "--endpoint-reconciler-type", "none",
            "--cert-dir", str(pki), "--tls-cert-file", str(pki / "server.crt"),
            "--tls-private-key-file", str(pki / "server.key"),
            "--token-auth-file", str(pki / "tokens.csv"), "--anonymous-auth=false",
            "--authorization-mode=RBAC",
            "--enable-admission-plugins", "NamespaceLifecycle",
            "--disable-admission-plugins", ",".join(DISABLED_ADMISSION),
            "--service-account-issuer", "https://kubernetes.default.svc",
            "--service-account-key-file", str(pki / "sa.pub"),
            "--service-account-signing-key-file", str(pki / "sa.key"),
            "--service-cluster-ip-range", "10.96.0.0/24",
            "--allow-privileged=true", "--profiling=false",
        ]

    def _expect(self, answer: tuple[int, Any], what: str, path: str) -> dict[str, Any]:
        """The body of a successful answer; anything else is a ClusterError."""
        status, body = answer
        if not 200 <= status < 300 or not isinstance(body, dict):
            raise ClusterError(f"{what} {path}: HTTP {status}: {body}")
        return body

    def _bootstrap(self) -> None:
        """Namespaces, the restricted users' Roles and RoleBindings in `ci`, and the CRD."""
        for namespace in NAMESPACES:
            namespace_object = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
            self._expect(self.api("POST", "/api/v1/namespaces", namespace_object), "create", namespace)
        for user, grants in GRANTS.items():
            meta = {"name": user, "namespace": "ci"}
            rules = [{"apiGroups": [group], "resources": [resource], "verbs": WRITE_VERBS}
                     for group, resource in grants]
            binding = {"roleRef": {"apiGroup": RBAC, "kind": "Role", "name": user},
                       "subjects": [{"apiGroup": RBAC, "kind": "User", "name": user}]}
            for kind, extra in (("Role", {"rules": rules}), ("RoleBinding", binding)):
                path = f"/apis/{RBAC}/v1/namespaces/ci/{kind.lower()}s"
                obj = {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": meta, **extra}
                self._expect(self.api("POST", path, obj), "create", path)
        crd = buildconfig_crd()
        self._expect(self.api("POST", CRDS, crd), "create", CRDS)
        assert self._apiserver is not None
        # Established: the names are accepted. The list answering 200: the handler is really
        # installed. The two can be a moment apart.
        _poll("the BuildConfig CRD", self._apiserver, self.workdir / "logs" / "kube-apiserver.log",
              lambda: self._established(f"{CRDS}/{crd['metadata']['name']}")
              and self.api("GET", f"/apis/{GROUP}/{VERSION}/namespaces/ci/{PLURAL}")[0] == 200)

    def _established(self, path: str) -> bool:
        status, body = self.api("GET", path)
        # The server writes `status` a moment after the object: absent, then null, then a list.
        conditions = ((body.get("status") or {}).get("conditions") or []) if status == 200 else []
        return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def main(argv: list[str] | None = None) -> int:
    """Run a test cluster in the foreground until Ctrl-C (scripts/test-cluster)."""
    parser = argparse.ArgumentParser(prog="test-cluster", description=main.__doc__)
    parser.add_argument("--bin-dir", type=Path, default=None, help="holds etcd, kube-apiserver, kubectl")
    parser.add_argument("--workdir", type=Path, default=None, help="kept afterwards (default: a temp dir)")
    args = parser.parse_args(argv)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt
    for stopping in (signal.SIGTERM, signal.SIGHUP):  # `kill` or a closed terminal: as Ctrl-C
        signal.signal(stopping, interrupt)
    with contextlib.ExitStack() as stack:
        workdir = args.workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cistreams-")))
        began, cluster = time.monotonic(), TestCluster(workdir, args.bin_dir)
        try:
            cluster.start()
            print(f"test cluster ready at {cluster.server} in {time.monotonic() - began:.1f} s "
                  f"(work directory {workdir}); kubeconfigs:")
            for user in USERS:
                print(f"  {user:12} {cluster.kubeconfig(user)}")
            print(f"export KUBECONFIG={cluster.kubeconfig('admin')}\nCtrl-C stops it.", flush=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nstopping the test cluster", file=sys.stderr)
        except ClusterError as error:
            print(f"test-cluster: {error}", file=sys.stderr)
            return 1
        finally:
            for stopping in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(stopping, signal.SIG_IGN)  # a second Ctrl-C must not orphan etcd
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

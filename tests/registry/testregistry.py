"""Real container registries for tests: Debian's distribution 2.8 (`registry serve`) on 127.0.0.1.

`Registries(workdir, names).start()` makes a CA and a serving certificate for 127.0.0.1 (with
openssl, as the test cluster does), an htpasswd file (bcrypt, the only hash distribution
accepts) and starts one registry per name on a free port, each with its own storage. It also
writes what a client needs: a docker `config.json` with every registry's credentials and a
containers-certs.d(5) directory (`certs.d/127.0.0.1:PORT/ca.crt`). Everything stays in
`workdir`. Each registry writes an access log, so a test can count the requests it served.
The binary comes from `bash scripts/test-registry-binaries` (cached, never apt-installed).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import secrets
import shutil
import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import bcrypt

from cluster.testcluster import _PRE_EXEC, ClusterError, _poll, _terminate, free_port

USER = "mirror"
REALM = "cistreams-test"
# distribution's access log: `... "GET /v2/ns/repo/manifests/tag HTTP/1.1" 200 ...`
_ACCESS = re.compile(r'"(GET|HEAD|PUT|POST|PATCH|DELETE) (/v2/\S*) HTTP/[\d.]+" (\d{3})')


class RegistryError(RuntimeError):
    """A test registry could not be started."""


def default_bin_dir() -> Path:
    """Where scripts/test-registry-binaries caches `registry` (its rule, in Python)."""
    home = Path(os.environ.get("HOME") or Path.home())
    cache = os.environ.get("CISTREAMS_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "cistreams")
    return Path(cache) / "registry" / "bin"


def missing_tools(bin_dir: Path) -> list[str]:
    """What the registries and the copies need that this machine lacks."""
    missing = [] if os.access(bin_dir / "registry", os.X_OK) else [str(bin_dir / "registry")]
    missing += [tool for tool in ("skopeo", "openssl") if shutil.which(tool) is None]
    return missing


@dataclass(frozen=True)
class Request:
    """One request a registry served, from its access log."""

    method: str
    path: str
    status: int


@dataclass
class Registry:
    """One running registry: `host` is what a pullspec starts with (`127.0.0.1:PORT`)."""

    name: str
    port: int
    root: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        """`127.0.0.1:PORT`, the registry part of a pullspec."""
        return f"127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """The registry's output: errors and the access log."""
        return self.root / "registry.log"

    def requests(self) -> list[Request]:
        """Every request served so far, in order (the access log is written as they end)."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return [Request(m[1], m[2], int(m[3])) for m in _ACCESS.finditer(text)]

    def mark(self) -> int:
        """The number of requests so far; `requests()[mark:]` are those after this call."""
        return len(self.requests())


class Registries:
    """Several registries sharing one CA, one user and one auth file (see the module doc)."""

    __test__ = False

    def __init__(self, workdir: Path, names: tuple[str, ...] = ("source", "dest"),
                 bin_dir: Path | None = None) -> None:
        self.workdir = workdir
        self.bin_dir = bin_dir if bin_dir is not None else default_bin_dir()
        self.password = secrets.token_urlsafe(18)
        self.by_name = {name: Registry(name, 0, workdir / name) for name in names}

    def __getitem__(self, name: str) -> Registry:
        return self.by_name[name]

    @property
    def ca_path(self) -> Path:
        """The CA that signed every registry's certificate."""
        return self.workdir / "pki" / "ca.crt"

    @property
    def certs_dir(self) -> Path:
        """A containers-certs.d(5) directory: `HOST:PORT/ca.crt` for every registry."""
        return self.workdir / "certs.d"

    @property
    def authfile(self) -> Path:
        """A docker config.json with the credentials of every registry."""
        return self.workdir / "auth" / "config.json"

    def start(self) -> Registries:
        """CA, certificate, htpasswd, then every registry; returns once all answer /v2/."""
        missing = missing_tools(self.bin_dir)
        if missing:
            raise RegistryError(f"missing: {', '.join(missing)} (run bash "
                                "scripts/test-registry-binaries)")
        try:
            self._make_pki()
            self._write_htpasswd()
            for registry in self.by_name.values():
                self._start(registry)
            self.write_authfile(self.authfile, USER, self.password)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every registry; returns once the processes are gone."""
        for registry in self.by_name.values():
            _terminate(registry.process)
            registry.process = None

    def __enter__(self) -> Registries:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def trust(self, host: str) -> None:
        """Make `host` (say a proxy in front of a registry) trusted in certs_dir."""
        target = self.certs_dir / host
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.ca_path, target / "ca.crt")

    def write_authfile(self, path: Path, user: str, password: str,
                       hosts: tuple[str, ...] = ()) -> Path:
        """A config.json for `user:password` on every registry (and `hosts`)."""
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        every = [r.host for r in self.by_name.values()] + list(hosts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps({"auths": {h: {"auth": token} for h in every}}, indent=2),
                        encoding="utf-8")
        return path

    def client(self, name: str) -> RegistryClient:
        """An HTTP client of one registry, authenticated and verifying TLS."""
        return RegistryClient(self[name].host, USER, self.password, self.ca_path)

    # -- starting -------------------------------------------------------------------------

    def _openssl(self, *args: str) -> None:
        done = subprocess.run(["openssl", *args], cwd=self.workdir / "pki", capture_output=True,
                              text=True, check=False, timeout=60)
        if done.returncode != 0:
            raise RegistryError(f"openssl {' '.join(args)} failed:\n{done.stderr}")

    def _make_pki(self) -> None:
        """A CA and one serving certificate for 127.0.0.1 (every port), P-256 keys."""
        (self.workdir / "pki").mkdir(parents=True, exist_ok=True)
        key = ["-config", os.devnull, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
               "-nodes", "-days", "30"]
        self._openssl("req", "-x509", *key, "-subj", "/CN=cistreams registry CA",
                      "-keyout", "ca.key", "-out", "ca.crt",
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self._openssl("req", "-x509", *key, "-subj", "/CN=127.0.0.1", "-CA", "ca.crt",
                      "-CAkey", "ca.key", "-keyout", "server.key", "-out", "server.crt",
                      "-addext", "extendedKeyUsage=serverAuth",
                      "-addext", "basicConstraints=critical,CA:FALSE",
                      "-addext", "keyUsage=critical,digitalSignature",
                      "-addext", "subjectAltName=IP:127.0.0.1")

    def _write_htpasswd(self) -> None:
        # cost 4 (the least): the registry checks the hash on every request; the default 12
        # costs ~0.2 s of CPU each time
        hashed = bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(rounds=4)).decode()
        path = self.workdir / "pki" / "htpasswd"
        path.touch(mode=0o600)
        path.write_text(f"{USER}:{hashed}\n", encoding="utf-8")

    def _config(self, registry: Registry) -> Path:
        pki = self.workdir / "pki"
        config = {
            "version": 0.1,
            "log": {"level": "warn", "formatter": "text", "accesslog": {"disabled": False}},
            "storage": {"filesystem": {"rootdirectory": str(registry.root / "storage")},
                        "delete": {"enabled": True}},
            "http": {"addr": registry.host, "secret": secrets.token_hex(16),
                     "tls": {"certificate": str(pki / "server.crt"),
                             "key": str(pki / "server.key")}},
            "auth": {"htpasswd": {"realm": REALM, "path": str(pki / "htpasswd")}},
        }
        path = registry.root / "config.yml"
        path.write_text(json.dumps(config, indent=2), encoding="utf-8")  # JSON is YAML
        return path

    def _start(self, registry: Registry) -> None:
        registry.root.mkdir(parents=True, exist_ok=True)
        registry.port = free_port()
        config = self._config(registry)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(registry.root)}
        registry.process = _spawn_clean([str(self.bin_dir / "registry"), "serve", str(config)],
                                        registry.log, env)
        self.trust(registry.host)
        client = RegistryClient(registry.host, USER, self.password, self.ca_path)
        try:
            _poll(f"registry {registry.name}", registry.process, registry.log,
                  lambda: client.request("GET", "/v2/")[0] == 200)
        except ClusterError as exc:
            raise RegistryError(str(exc)) from None


def _spawn_clean(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Like the test cluster's servers: own session, output to `log`, dies with its parent;
    but with `env` only (REGISTRY_* variables would override the configuration)."""
    with log.open("ab") as out:
        return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, env=env,
                                preexec_fn=_PRE_EXEC)


class RegistryClient:
    """Minimal distribution API calls over verified TLS with basic auth (test side only)."""

    def __init__(self, host: str, user: str, password: str, ca: Path) -> None:
        self.host = host
        self._auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self._context = ssl.create_default_context(cafile=str(ca))

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """One request: (status, headers with lower-case names, body)."""
        address, port = self.host.rsplit(":", 1)
        connection = http.client.HTTPSConnection(address, int(port), context=self._context,
                                                 timeout=30)
        try:
            connection.request(method, path, body=body,
                               headers={"Authorization": self._auth, **(headers or {})})
            response = connection.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            connection.close()

    def put_blob(self, repo: str, digest: str, data: bytes) -> None:
        """Upload one blob (monolithic upload: POST, then PUT with the digest)."""
        status, _, _ = self.request("HEAD", f"/v2/{repo}/blobs/{digest}")
        if status == 200:
            return
        status, headers, body = self.request("POST", f"/v2/{repo}/blobs/uploads/")
        if status != 202:
            raise RegistryError(f"POST upload {repo}: HTTP {status}: {body[:200]!r}")
        location = headers["location"]
        location = location.split(self.host, 1)[-1]  # absolute URL or path
        separator = "&" if "?" in location else "?"
        status, _, body = self.request("PUT", f"{location}{separator}digest={digest}", data,
                                       {"Content-Type": "application/octet-stream"})
        if status != 201:
            raise RegistryError(f"PUT blob {repo}@{digest}: HTTP {status}: {body[:200]!r}")

    def put_manifest(self, repo: str, reference: str, media_type: str, data: bytes) -> str:
        """Upload a manifest under a tag or digest; returns the digest the registry reports."""
        status, headers, body = self.request("PUT", f"/v2/{repo}/manifests/{reference}", data,
                                             {"Content-Type": media_type})
        if status != 201:
            raise RegistryError(f"PUT manifest {repo}:{reference}: HTTP {status}: {body[:300]!r}")
        return headers.get("docker-content-digest", "")

    def manifest(self, repo: str, reference: str) -> tuple[str, bytes] | None:
        """(media type, bytes) of a manifest as stored, or None when there is none."""
        accept = ", ".join(ACCEPT)
        status, headers, body = self.request("GET", f"/v2/{repo}/manifests/{reference}",
                                             headers={"Accept": accept})
        if status == 404:
            return None
        if status != 200:
            raise RegistryError(f"GET manifest {repo}:{reference}: HTTP {status}")
        return headers.get("content-type", ""), body

    def tags(self, repo: str) -> list[str]:
        """The repository's tags, sorted (empty when the repository does not exist)."""
        status, _, body = self.request("GET", f"/v2/{repo}/tags/list")
        if status == 404:
            return []
        return sorted(json.loads(body).get("tags") or [])


ACCEPT = ("application/vnd.docker.distribution.manifest.list.v2+json",
          "application/vnd.docker.distribution.manifest.v2+json",
          "application/vnd.oci.image.index.v1+json",
          "application/vnd.oci.image.manifest.v1+json")

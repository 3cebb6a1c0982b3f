"""Registry reads and copies through Debian's `skopeo`, always as an argument list.

`Skopeo.digest` reads one manifest (`skopeo inspect --raw`; the digest is the sha256 of the
bytes, so a manifest list is named by its own digest) and returns None when there is none.
`Skopeo.copy` copies an image and returns the digest it pushed (`--digestfile`). Digests are
always preserved (`--preserve-digests`: skopeo fails rather than rewrite a manifest, as `oc
image mirror` never rewrites one). Which images of a manifest list are copied is a
`Selection`: the whole list (`--multi-arch all`, doozer's `--keep-manifest-list`), or one
platform's image (`--override-os/--override-arch` with `--multi-arch system`). The latter with
linux/amd64 is what `oc image mirror` does without flags: it filters a list by the platform
it runs on (ART's jobs run on linux/amd64) and pushes that image alone; a single-platform
source is copied as it is either way.

Credentials: `--authfile` (a docker config.json), never on the command line. TLS trust:
containers-certs.d(5), `DIR/HOST:PORT/` handed to skopeo per registry (`--src-cert-dir`,
`--dest-cert-dir`, `--cert-dir`). Failures are classified from skopeo's message: a missing
manifest or repository is MISSING, 401/403 AUTH, connection errors, timeouts, 429 and 5xx are
retried (3 tries, a doubling backoff; skopeo does not show a Retry-After header, so it cannot
be honoured here), anything else FAILED. Messages are skopeo's own error text on one line.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cistreams.errors import CistreamsError
from cistreams.registry.refs import DIGEST, Pullspec

MISSING, AUTH, RETRY, FAILED = "missing", "auth", "retry", "failed"
TRIES = 3
BACKOFF_SECONDS = 1.0  # first wait; doubles per try
TIMEOUT_SECONDS = 900.0  # one skopeo run; a big image over a slow link takes minutes
DEFAULT_CERTS = Path("/etc/containers/certs.d")

_STATUS = r"status(?: code from registry)?:? "  # skopeo words an HTTP status both ways
_PATTERNS = (  # first match wins: a 404 inside a retried message is still a 404
    (MISSING, re.compile(r"manifest unknown|name unknown|not found|status: 404|no image found "
                         r"in manifest list", re.I)),
    (AUTH, re.compile(rf"unauthorized|authentication required|denied|forbidden|{_STATUS}40[13]",
                      re.I)),
    (RETRY, re.compile(rf"connection refused|connection reset|timed? ?out|timeout|deadline "
                       rf"exceeded|\bEOF\b|too ?many ?requests|{_STATUS}(?:429|5\d\d)|"
                       r"\b5\d\d (?:Internal|Bad Gateway|Service Unavailable|Gateway)|"
                       r"temporar|no route to host|broken pipe|TLS handshake|"
                       # distribution refuses a manifest whose blobs a parallel copy into
                       # the same repository is still writing: the next try finds them
                       r"blob unknown", re.I)),
)
_FATAL = re.compile(r'level=fatal msg="((?:[^"\\]|\\.)*)"')
_SECRET = re.compile(r"(?i)(basic|bearer)\s+[A-Za-z0-9+/=._-]{8,}")


class RegistryError(CistreamsError):
    """A registry read or copy that failed; `kind` is MISSING, AUTH, RETRY or FAILED."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Selection:
    """Which images of a manifest list a copy takes: all of them, or one platform's."""

    keep_list: bool
    platform: str = "linux/amd64"

    def __str__(self) -> str:
        return "manifest list" if self.keep_list else self.platform


KEEP_LIST = Selection(True)
AMD64 = Selection(False, "linux/amd64")
ARM64 = Selection(False, "linux/arm64")


@dataclass(frozen=True)
class Completed:
    """What one skopeo run returned."""

    returncode: int
    stdout: bytes
    stderr: str


Runner = Callable[[Sequence[str], float], Completed]


def run_process(args: Sequence[str], timeout: float) -> Completed:
    """Run skopeo (no shell, no standard input); a timeout is a failed run like any other."""
    try:
        done = subprocess.run(list(args), capture_output=True, stdin=subprocess.DEVNULL,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Completed(124, b"", f"timed out after {timeout:.0f} s")
    except FileNotFoundError:
        raise RegistryError(f"{args[0]}: not found (apt-get install skopeo)", FAILED) from None
    return Completed(done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"))


def message_of(stderr: str) -> str:
    """skopeo's error text on one line: the `msg` of its fatal log line, else the last line."""
    found = _FATAL.findall(stderr)
    if found:
        text = found[-1].replace('\\"', '"').replace("\\n", " ").replace("\\t", " ")
    else:
        lines = [line for line in stderr.splitlines() if line.strip()]
        text = lines[-1] if lines else "failed without a message"
    return _SECRET.sub(r"\1 <hidden>", " ".join(text.split()))


def classify(message: str) -> str:
    """MISSING, AUTH, RETRY or FAILED, from skopeo's message."""
    for kind, pattern in _PATTERNS:
        if pattern.search(message):
            return kind
    return FAILED


def sha256_digest(data: bytes) -> str:
    """The digest of a manifest's bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Skopeo:
    """skopeo with one auth file and one certs.d directory (see the module doc)."""

    authfile: Path | None = None
    certs_dir: Path | None = DEFAULT_CERTS
    binary: str = "skopeo"
    run: Runner = run_process
    sleep: Callable[[float], None] = time.sleep
    tries: int = TRIES
    backoff: float = BACKOFF_SECONDS
    timeout: float = TIMEOUT_SECONDS
    runs: int = 0  # skopeo processes started (the benchmark counts them)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def cert_args(self, flag: str, ref: Pullspec) -> list[str]:
        """`flag DIR/HOST` when the certs.d directory has an entry for the host."""
        if self.certs_dir is None or not (self.certs_dir / ref.host).is_dir():
            return []
        return [flag, str(self.certs_dir / ref.host)]

    def _auth(self) -> list[str]:
        return ["--authfile", str(self.authfile)] if self.authfile else []

    def inspect_args(self, ref: Pullspec) -> list[str]:
        """The argument list that reads `ref`'s manifest as it is stored."""
        return [self.binary, "inspect", "--raw", *self._auth(),
                *self.cert_args("--cert-dir", ref), ref.transport]

    def copy_args(self, source: Pullspec, dest: Pullspec, selection: Selection,
                  digestfile: Path | None = None) -> list[str]:
        """The argument list of one copy (global flags before the verb, as skopeo wants)."""
        if selection.keep_list:
            choose = ["copy", "--multi-arch", "all"]
        else:
            os_name, _, arch = selection.platform.partition("/")
            choose = ["--override-os", os_name, "--override-arch", arch, "copy",
                      "--multi-arch", "system"]
        return [self.binary, *choose, "--preserve-digests", "--quiet", *self._auth(),
                *self.cert_args("--src-cert-dir", source),
                *self.cert_args("--dest-cert-dir", dest),
                *(["--digestfile", str(digestfile)] if digestfile else []),
                source.transport, dest.transport]

    def digest(self, ref: Pullspec) -> str | None:
        """The digest of the manifest at `ref`, or None when it has none (one read)."""
        try:
            done = self._run(self.inspect_args(ref), f"cannot read {ref}")
        except RegistryError as exc:
            if exc.kind == MISSING:
                return None
            raise
        return sha256_digest(done.stdout)

    def copy(self, source: Pullspec, dest: Pullspec, selection: Selection) -> str:
        """Copy `source` to `dest`; the digest now at `dest`. A missing source raises
        RegistryError of kind MISSING."""
        with tempfile.TemporaryDirectory(prefix="cistreams-copy-") as temp:
            digestfile = Path(temp) / "digest"
            self._run(self.copy_args(source, dest, selection, digestfile),
                      f"cannot copy {source} to {dest}")
            digest = digestfile.read_text(encoding="utf-8").strip() \
                if digestfile.is_file() else ""
        if not DIGEST.fullmatch(digest):
            raise RegistryError(f"copied {source} to {dest}, but skopeo reported no digest",
                                FAILED)
        return digest

    def _run(self, args: list[str], what: str) -> Completed:
        """Run with retries for what a retry can fix; raise RegistryError otherwise."""
        for attempt in range(1, self.tries + 1):
            with self._lock:
                self.runs += 1
            done = self.run(args, self.timeout)
            if done.returncode == 0:
                return done
            message = message_of(done.stderr)
            kind = classify(message)
            if kind != RETRY:
                raise RegistryError(f"{what}: {message}", kind)
            if attempt < self.tries:
                self.sleep(self.backoff * 2 ** (attempt - 1))
        raise RegistryError(f"{what} after {self.tries} tries: {message}", RETRY)

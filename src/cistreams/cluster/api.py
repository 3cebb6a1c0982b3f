"""A thin, typed REST layer over the API server: the few calls apply, diff and prune need.

Every request is retried (three tries) when the connection fails or times out, or the server
answers 429 or 5xx, waiting as Retry-After asks (else a growing backoff); a 401 raises
`Unauthorized` (the credentials, not the object); any other answer is returned to the
caller, who decides what a 404 or a 422 means. Requests are counted, for the
report and the benchmark. Tokens and keys live only inside the HTTP client: nothing here puts
a header or a credential into a message.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cistreams.errors import CistreamsError

if TYPE_CHECKING:
    import httpx2 as httpx

FIELD_MANAGER = "cistreams"
TRIES = 3
BACKOFF_SECONDS = 0.5   # first wait; doubles per try
MAX_WAIT_SECONDS = 30.0  # a Retry-After longer than this is cut short
RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})
APPLY_PATCH = "application/apply-patch+yaml"
JSON_PATCH = "application/json-patch+json"
# A list of PartialObjectMetadata (names, labels, annotations, managedFields, uid), or the
# full list from a server that cannot do that.
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"


class ListRefused(CistreamsError):
    """The server answered a list request with an error (forbidden, say)."""


class Unauthorized(CistreamsError):
    """The server rejected the credentials (HTTP 401): no request of the run can succeed."""


@dataclass
class Answer:
    """An HTTP answer: status code and decoded JSON body (empty when not JSON)."""

    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return 200 <= self.status < 300

    @property
    def reason(self) -> str:
        """The server's own explanation (a Status object's message), on one line."""
        message = self.body.get("message") or self.body.get("reason") or f"HTTP {self.status}"
        return " ".join(str(message).split())


@dataclass
class Api:
    """Requests to one API server through an authenticated, TLS-verifying HTTP client."""

    client: httpx.Client
    server: str
    impersonate: str | None = None
    credentials: str = ""  # where they come from (kubeconfig and context), for messages
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, path: str) -> Answer:
        """GET an object (404 is an answer, not an error)."""
        return self.request("GET", path)

    def get_list(self, path: str, label_selector: str, limit: int = 0, cont: str = "",
                 metadata_only: bool = False) -> Answer:
        """GET a collection (one page of `limit` items when given), filtered by labels;
        with `metadata_only`, each item's metadata alone (far less to send and read)."""
        params = {"labelSelector": label_selector}
        if limit:
            params["limit"] = str(limit)
        if cont:
            params["continue"] = cont
        accept = METADATA_LIST if metadata_only else "application/json"
        return self.request("GET", path, params=params, accept=accept)

    def get_all(self, path: str, label_selector: str, page: int = 500,
                metadata_only: bool = False) -> list[dict[str, Any]]:
        """Every item of a collection that matches the selector, page by page (a big group
        never arrives as one huge answer). Raises when the server refuses the list."""
        items: list[dict[str, Any]] = []
        cont = ""
        while True:
            answer = self.get_list(path, label_selector, page, cont, metadata_only)
            if not answer.ok:
                raise ListRefused(f"{self.server}: cannot list {path}: HTTP "
                                  f"{answer.status}: {answer.reason}")
            items.extend(answer.body.get("items") or [])
            cont = (answer.body.get("metadata") or {}).get("continue") or ""
            if not cont:
                return items

    def apply(self, path: str, obj: dict[str, Any], dry_run: bool) -> Answer:
        """Server-side apply `obj` as field manager cistreams, taking over conflicting fields."""
        params = {"fieldManager": FIELD_MANAGER, "force": "true"}
        if dry_run:
            params["dryRun"] = "All"
        return self.request("PATCH", path, params=params, content=json.dumps(obj),
                            content_type=APPLY_PATCH)

    def json_patch(self, path: str, operations: list[dict[str, Any]], dry_run: bool) -> Answer:
        """Apply a JSON patch (RFC 6902) to an object."""
        params = {"fieldManager": FIELD_MANAGER, **({"dryRun": "All"} if dry_run else {})}
        return self.request("PATCH", path, params=params, content=json.dumps(operations),
                            content_type=JSON_PATCH)

    def delete(self, path: str, uid: str, dry_run: bool) -> Answer:
        """DELETE an object only if it still has `uid` (a recreated object is left alone)."""
        body: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1",
                                "preconditions": {"uid": uid}}
        if dry_run:
            body["dryRun"] = ["All"]
        return self.request("DELETE", path, content=json.dumps(body),
                            content_type="application/json")

    def request(self, method: str, path: str, params: dict[str, str] | None = None,
                content: str | None = None, content_type: str | None = None,
                accept: str = "application/json") -> Answer:
        """Send one request, retrying what a retry can fix; raise when the tries run out."""
        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        if self.impersonate:
            headers["Impersonate-User"] = self.impersonate
        problem, last = "", None
        for attempt in range(1, TRIES + 1):
            wait, problem, answer, final = self._try(method, path, params, content, headers,
                                                     attempt)
            last = answer or last
            if final and answer is not None and answer.status == 401:
                # about the credentials, not the object: one error for the run, not one a request
                whose = f" of {self.credentials}" if self.credentials else ""
                raise Unauthorized(f"{self.server}: the credentials{whose} were rejected (HTTP "
                                   f"401: {answer.reason}); log in again or renew the token")
            if final:
                return answer  # type: ignore[return-value]  # final answers are never None
            if attempt < TRIES:
                self.sleep(wait)
        if last is not None:
            return last  # the server kept answering 429/5xx: its own reason is the refusal
        raise CistreamsError(f"{self.server}: {method} {path} failed after {TRIES} tries: "
                             f"{problem}")

    def _try(self, method: str, path: str, params: dict[str, str] | None, content: str | None,
             headers: dict[str, str], attempt: int) -> tuple[float, str, Answer | None, bool]:
        """One try: (wait before the next, what went wrong, the answer if any, whether the
        answer is final)."""
        import httpx2 as httpx

        with self._lock:
            self.requests += 1
        backoff = BACKOFF_SECONDS * 2 ** (attempt - 1)
        try:
            response = self.client.request(method, path, params=params, content=content,
                                           headers=headers)
        except httpx.TimeoutException:
            return backoff, "the request timed out (see --request-timeout)", None, False
        except httpx.ConnectError as exc:
            return backoff, f"cannot connect ({_one_line(exc)})", None, False
        except httpx.TransportError as exc:  # connected, then the connection broke
            return backoff, f"the connection failed ({_one_line(exc)})", None, False
        answer = Answer(response.status_code, _json(response))
        if response.status_code not in RETRIED_STATUS:
            return 0.0, "", answer, True
        wait = retry_after(response.headers.get("Retry-After"), backoff)
        return wait, f"HTTP {response.status_code}: {answer.reason}", answer, False


def retry_after(header: str | None, default: float) -> float:
    """The wait a Retry-After header asks for (seconds), capped; `default` when absent."""
    if header is None:
        return default
    try:
        seconds = float(header)
    except ValueError:
        return default  # an HTTP date: rare from an API server; the backoff is good enough
    return min(max(seconds, 0.0), MAX_WAIT_SECONDS)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__

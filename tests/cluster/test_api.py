"""The REST layer on its own: retries, waits and what reaches a message (a fake transport;
the real server is exercised in test_apply.py)."""

from __future__ import annotations

from collections.abc import Callable

import httpx2 as httpx
import pytest

from cistreams.cluster import api as api_module
from cistreams.cluster.api import Api, retry_after
from cistreams.errors import CistreamsError

SERVER = "https://cluster.example:6443"


def make_api(handler: Callable[[httpx.Request], httpx.Response],
             waits: list[float] | None = None, impersonate: str | None = None) -> Api:
    client = httpx.Client(base_url=SERVER, transport=httpx.MockTransport(handler))
    sink = waits if waits is not None else []
    return Api(client, SERVER, impersonate=impersonate, sleep=sink.append)


def answers(*responses: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler


def test_a_503_is_retried_and_the_third_answer_counts() -> None:
    waits: list[float] = []
    api = make_api(answers(httpx.Response(503), httpx.Response(503),
                           httpx.Response(200, json={"kind": "X"})), waits)
    answer = api.get("/x")
    assert (answer.status, answer.body) == (200, {"kind": "X"})
    assert api.requests == 3
    assert waits == [0.5, 1.0]  # backoff doubles


def test_retry_after_is_honoured() -> None:
    waits: list[float] = []
    api = make_api(answers(httpx.Response(429, headers={"Retry-After": "7"}),
                           httpx.Response(200, json={})), waits)
    assert api.get("/x").status == 200
    assert waits == [7.0]


@pytest.mark.parametrize(("header", "expected"), [
    (None, 0.5), ("3", 3.0), ("0", 0.0), ("-4", 0.0), ("1000", 30.0), ("soon", 0.5),
    ("Fri, 27 Nov 2026 10:00:00 GMT", 0.5)])
def test_retry_after_values(header: str | None, expected: float) -> None:
    assert retry_after(header, 0.5) == expected


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_a_client_error_is_not_retried(status: int) -> None:
    waits: list[float] = []
    api = make_api(answers(httpx.Response(status, json={"message": "no"})), waits)
    answer = api.get("/x")
    assert (answer.status, answer.reason, api.requests, waits) == (status, "no", 1, [])


def test_server_errors_to_the_last_try_return_the_servers_reason() -> None:
    api = make_api(answers(*[httpx.Response(500, json={"message": "typed\npatch  failed"})] * 3))
    answer = api.get("/x")
    assert (answer.status, answer.reason, api.requests) == (500, "typed patch failed", 3)


def test_connection_failures_to_the_last_try_are_one_clear_error() -> None:
    refused = httpx.ConnectError("Connection refused")
    waits: list[float] = []
    api = make_api(answers(refused, refused, refused), waits)
    with pytest.raises(CistreamsError) as raised:
        api.get("/apis/x")
    message = str(raised.value)
    assert message == (f"{SERVER}: GET /apis/x failed after 3 tries: cannot connect "
                       "(Connection refused)")
    assert waits == [0.5, 1.0]


def test_a_timeout_names_the_option() -> None:
    slow = httpx.ReadTimeout("timed out")
    api = make_api(answers(slow, slow, slow))
    with pytest.raises(CistreamsError, match=r"timed out \(see --request-timeout\)"):
        api.get("/x")


def test_a_timeout_then_an_answer_recovers() -> None:
    api = make_api(answers(httpx.ReadTimeout("timed out"), httpx.Response(200, json={})))
    assert api.get("/x").ok


def test_apply_is_a_forced_server_side_apply_as_cistreams() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    api = make_api(handler, impersonate="art-publish")
    api.apply("/o", {"kind": "BuildConfig"}, dry_run=True)
    api.apply("/o", {"kind": "BuildConfig"}, dry_run=False)
    dry, real = seen
    assert dry.method == "PATCH"
    assert dry.headers["Content-Type"] == "application/apply-patch+yaml"
    assert dict(dry.url.params) == {"fieldManager": "cistreams", "force": "true", "dryRun": "All"}
    assert dict(real.url.params) == {"fieldManager": "cistreams", "force": "true"}
    assert dry.headers["Impersonate-User"] == "art-publish"


def test_delete_carries_a_uid_precondition() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    make_api(handler).delete("/o", "uid-1", dry_run=True)
    import json

    body = json.loads(seen[0].content)
    assert body["preconditions"] == {"uid": "uid-1"} and body["dryRun"] == ["All"]


def test_tries_and_backoff_are_the_documented_ones() -> None:
    assert (api_module.TRIES, api_module.BACKOFF_SECONDS) == (3, 0.5)
    assert {429, 500, 502, 503, 504} == api_module.RETRIED_STATUS


def test_a_401_is_not_retried_and_raises_for_the_whole_run() -> None:
    waits: list[float] = []
    api = make_api(answers(httpx.Response(401, json={"message": "Unauthorized"})), waits)
    api.credentials = "kubeconfig k, context c"
    with pytest.raises(api_module.Unauthorized) as raised:
        api.get("/x")
    assert str(raised.value) == (f"{SERVER}: the credentials of kubeconfig k, context c were "
                                 "rejected (HTTP 401: Unauthorized); log in again or renew the "
                                 "token")
    assert (api.requests, waits) == (1, [])
    bare = make_api(answers(httpx.Response(401, json={"message": "Unauthorized"})))
    with pytest.raises(api_module.Unauthorized, match=r"^\S+: the credentials were rejected"):
        bare.get("/x")

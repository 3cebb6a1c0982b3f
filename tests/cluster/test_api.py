"""The REST layer on its own, against a fake transport (the real server is exercised in
test_apply.py and, with faults, test_flaky.py): what each call sends (method, path,
parameters, headers, body), how answers read, the retries and their waits, and what reaches
a message."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx2 as httpx
import pytest

from cistreams.cluster import api as api_module
from cistreams.cluster.api import Answer, Api, ListRefused, retry_after
from cistreams.errors import CistreamsError

SERVER = "https://cluster.example:6443"
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"


def recording(*responses: httpx.Response | Exception,
              ) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    """A transport handler answering with `responses` in turn (raising the exceptions), and
    the requests it saw."""
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item
    return handler, seen


def answers(*responses: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    """recording()'s handler alone."""
    return recording(*responses)[0]


def make_api(handler: Callable[[httpx.Request], httpx.Response], waits: list[float] | None = None,
             impersonate: str | None = None) -> Api:
    client = httpx.Client(base_url=SERVER, transport=httpx.MockTransport(handler))
    return Api(client, SERVER, impersonate=impersonate,
               sleep=(waits if waits is not None else []).append)


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
    body = json.loads(seen[0].content)
    assert body["preconditions"] == {"uid": "uid-1"} and body["dryRun"] == ["All"]


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


def test_a_get_sends_json_accept_and_no_impersonation() -> None:
    handler, seen = recording(httpx.Response(404, json={"kind": "Status", "message": "not found"}))
    answer = make_api(handler).get("/o")
    assert (answer.status, answer.ok, answer.reason) == (404, False, "not found")
    [request] = seen
    assert (request.method, request.url.path, dict(request.url.params)) == ("GET", "/o", {})
    assert request.headers["Accept"] == "application/json"
    assert "Impersonate-User" not in request.headers and "Content-Type" not in request.headers


def test_a_list_page_sends_the_selector_limit_and_continue() -> None:
    handler, seen = recording(httpx.Response(200, json={}), httpx.Response(200, json={}))
    api = make_api(handler)
    api.get_list("/c", "g=x")
    api.get_list("/c", "g=x", limit=3, cont="tok", metadata_only=True)
    first, second = seen
    assert (first.method, second.method) == ("GET", "GET")
    assert dict(first.url.params) == {"labelSelector": "g=x"}
    assert first.headers["Accept"] == "application/json"
    assert dict(second.url.params) == {"labelSelector": "g=x", "limit": "3", "continue": "tok"}
    assert second.headers["Accept"] == METADATA_LIST


def test_get_all_follows_continue_tokens() -> None:
    handler, seen = recording(
        httpx.Response(200, json={"items": [{"n": 1}, {"n": 2}], "metadata": {"continue": "c1"}}),
        httpx.Response(200, json={"items": None, "metadata": {"continue": "c2"}}),
        httpx.Response(200, json={"items": [{"n": 3}], "metadata": {"continue": ""}}))
    items = make_api(handler).get_all("/c", "g=x", page=2, metadata_only=True)
    assert items == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert [dict(r.url.params) for r in seen] == [
        {"labelSelector": "g=x", "limit": "2"},
        {"labelSelector": "g=x", "limit": "2", "continue": "c1"},
        {"labelSelector": "g=x", "limit": "2", "continue": "c2"}]
    assert {r.headers["Accept"] for r in seen} == {METADATA_LIST}


def test_get_all_pages_of_500_by_default_and_stops_without_metadata() -> None:
    handler, seen = recording(httpx.Response(200, json={"items": [{"n": 1}]}))
    assert make_api(handler).get_all("/c", "g=x") == [{"n": 1}]
    assert dict(seen[0].url.params) == {"labelSelector": "g=x", "limit": "500"}
    assert seen[0].headers["Accept"] == "application/json"


def test_a_refused_list_raises_with_the_servers_reason() -> None:
    handler, _ = recording(httpx.Response(403, json={"message": "forbidden:  cannot\n list"}))
    with pytest.raises(ListRefused) as caught:
        make_api(handler).get_all("/c", "g=x")
    assert str(caught.value) == f"{SERVER}: cannot list /c: HTTP 403: forbidden: cannot list"


def test_a_json_patch() -> None:
    handler, seen = recording(httpx.Response(200, json={}), httpx.Response(200, json={}))
    api = make_api(handler, impersonate="me")
    operations = [{"op": "test", "path": "/a", "value": 1}]
    api.json_patch("/o", operations, dry_run=False)
    api.json_patch("/o", operations, dry_run=True)
    real, dry = seen
    assert (real.method, real.headers["Content-Type"]) == ("PATCH", "application/json-patch+json")
    assert json.loads(real.content) == operations
    assert dict(real.url.params) == {"fieldManager": "cistreams"}
    assert dict(dry.url.params) == {"fieldManager": "cistreams", "dryRun": "All"}
    assert real.headers["Impersonate-User"] == "me"


def test_an_apply_sends_the_object_as_json() -> None:
    handler, seen = recording(httpx.Response(201, json={"kind": "BuildConfig"}))
    answer = make_api(handler).apply("/o", {"kind": "BuildConfig", "n": "é"}, dry_run=False)
    assert (answer.status, answer.ok, answer.body) == (201, True, {"kind": "BuildConfig"})
    assert json.loads(seen[0].content) == {"kind": "BuildConfig", "n": "é"}


def test_a_delete_body() -> None:
    handler, seen = recording(httpx.Response(200, json={}))
    make_api(handler).delete("/o", "uid-1", dry_run=False)
    assert (seen[0].method, seen[0].headers["Content-Type"]) == ("DELETE", "application/json")
    assert json.loads(seen[0].content) == {"kind": "DeleteOptions", "apiVersion": "v1",
                                           "preconditions": {"uid": "uid-1"}}


@pytest.mark.parametrize(("status", "ok"), [(199, False), (200, True), (204, True), (299, True),
                                            (300, False), (404, False)])
def test_ok_is_2xx(status: int, ok: bool) -> None:
    assert Answer(status, {}).ok is ok


@pytest.mark.parametrize(("body", "reason"), [
    ({"message": "a\n  b", "reason": "NotFound"}, "a b"), ({"reason": "NotFound"}, "NotFound"),
    ({"message": ""}, "HTTP 418"), ({}, "HTTP 418")])
def test_the_reason_of_an_answer(body: dict[str, str], reason: str) -> None:
    assert Answer(418, body).reason == reason


@pytest.mark.parametrize("response", [httpx.Response(200, text="not json"),
                                      httpx.Response(200, json=[1, 2])])
def test_a_body_that_is_not_a_json_object_reads_as_empty(response: httpx.Response) -> None:
    handler, _ = recording(response)
    assert make_api(handler).get("/o").body == {}


def test_backoff_doubles_and_the_last_failure_is_the_message() -> None:
    waits: list[float] = []
    handler, _ = recording(httpx.ConnectError("refused"), httpx.ConnectError(""),
                           httpx.ConnectError("  no\nroute "))
    with pytest.raises(CistreamsError) as caught:
        make_api(handler, waits).get("/o")
    assert str(caught.value) == f"{SERVER}: GET /o failed after 3 tries: cannot connect (no route)"
    assert waits == [0.5, 1.0]


def test_an_empty_connection_error_is_named_by_its_type() -> None:
    handler, _ = recording(*[httpx.ConnectError("")] * 3)
    with pytest.raises(CistreamsError, match=r"cannot connect \(ConnectError\)$"):
        make_api(handler).get("/o")


def test_a_retried_status_to_the_last_try_counts_every_request() -> None:
    waits: list[float] = []
    handler, seen = recording(httpx.Response(500, json={"message": "one"}),
                              httpx.Response(502, headers={"Retry-After": "2"}),
                              httpx.Response(504, json={"message": "three"}))
    api = make_api(handler, waits)
    answer = api.get("/o")
    assert (answer.status, answer.reason, api.requests, len(seen)) == (504, "three", 3, 3)
    assert waits == [0.5, 2.0]


def test_a_timeout_then_a_retried_status_returns_the_status() -> None:
    handler, _ = recording(httpx.ReadTimeout("slow"), httpx.ReadTimeout("slow"),
                           httpx.Response(503, json={"message": "busy"}))
    assert make_api(handler).get("/o").reason == "busy"


def test_three_timeouts_name_the_option() -> None:
    handler, _ = recording(*[httpx.ReadTimeout("slow")] * 3)
    with pytest.raises(CistreamsError) as caught:
        make_api(handler).get("/o")
    assert str(caught.value) == (f"{SERVER}: GET /o failed after 3 tries: the request timed out (see "
                                 "--request-timeout)")


def test_a_broken_connection_is_retried_and_named() -> None:
    waits: list[float] = []
    handler, seen = recording(httpx.RemoteProtocolError("peer closed"), httpx.Response(200, json={"a": 1}))
    assert make_api(handler, waits).get("/o").body == {"a": 1}
    assert (len(seen), waits) == (2, [0.5])
    handler, _ = recording(*[httpx.RemoteProtocolError("peer\n closed")] * 3)
    with pytest.raises(CistreamsError) as caught:
        make_api(handler).get("/o")
    assert str(caught.value) == f"{SERVER}: GET /o failed after 3 tries: the connection failed (peer closed)"

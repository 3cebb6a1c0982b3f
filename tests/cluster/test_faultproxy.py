"""The fault proxy (faultproxy.py) does what the flaky-server tests take it for, checked
against the real test cluster with a plain HTTPS client (http.client, TLS verified with the
cluster CA)."""

from __future__ import annotations

import contextlib
import http.client
import json
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from cluster.faultproxy import ANSWERED_503, DROPPED, FORWARDED, FaultProxy, parse_head
from cluster.testcluster import TestCluster

NAMESPACE = "/api/v1/namespaces/ci"
CONFIGMAPS = "/api/v1/namespaces/other/configmaps"
Answer = tuple[int, dict[str, str], Any]


@pytest.fixture
def proxy(cluster: TestCluster) -> Iterator[FaultProxy]:
    """A running proxy to the session's cluster; afterwards, no errors inside it and no
    thread left."""
    with FaultProxy(cluster) as started:
        yield started
    assert started.errors == []
    assert not [t for t in threading.enumerate() if t.name == "faultproxy"]


@contextlib.contextmanager
def connect(proxy: FaultProxy, timeout: float = 10.0) -> Iterator[http.client.HTTPSConnection]:
    """One keep-alive HTTPS connection to the proxy, verified with the cluster CA."""
    context = ssl.create_default_context(cafile=str(proxy.cluster.ca_path))
    connection = http.client.HTTPSConnection("127.0.0.1", proxy.port, context=context,
                                             timeout=timeout)
    try:
        yield connection
    finally:
        connection.close()


def call(connection: http.client.HTTPSConnection, proxy: FaultProxy, method: str, path: str,
         body: Any = None, chunked: bool = False) -> Answer:
    """One request as admin: (status, headers in lower case, JSON body)."""
    headers = {"Authorization": f"Bearer {proxy.cluster.token('admin')}",
               "Accept": "application/json", "Content-Type": "application/json"}
    data: bytes | Iterable[bytes] | None = None if body is None else json.dumps(body).encode()
    if chunked and isinstance(data, bytes):
        data = iter([data[:10], data[10:]])
    connection.request(method, path, body=data, headers=headers, encode_chunked=chunked)
    response = connection.getresponse()
    raw = response.read()
    return (response.status, {k.lower(): v for k, v in response.getheaders()},
            json.loads(raw) if raw else None)


def configmap(name: str) -> dict[str, Any]:
    """A ConfigMap for `other`, with a body big enough to be worth checking."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": {"key": "value " * 50}}


def outcomes(proxy: FaultProxy) -> list[tuple[str, str, str]]:
    """What the proxy saw: (method, path, outcome) per request."""
    return [(s.method, s.path, s.outcome) for s in proxy.seen]


def test_parse_head_reads_just_enough() -> None:
    assert parse_head(b"GET /api?x=1 HTTP/1.1\r\nHost: h\r\n\r\n") == ("GET", "/api?x=1", 0)
    assert parse_head(b"PATCH /p HTTP/1.1\r\ncontent-LENGTH: 12\r\n\r\n") == ("PATCH", "/p", 12)
    assert parse_head(b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")[2] is None
    assert parse_head(b"GET /w HTTP/1.1\r\nUpgrade: websocket\r\n\r\n")[2] is None
    assert parse_head(b"POST /p HTTP/1.1\r\nContent-Length: lots\r\n\r\n")[2] is None


def test_pass_through_forwards_requests_and_bodies_on_one_connection(proxy: FaultProxy) -> None:
    with connect(proxy) as connection:
        status, _, body = call(connection, proxy, "GET", NAMESPACE)
        assert (status, body["metadata"]["name"]) == (200, "ci")
        sent = configmap("through-the-proxy")
        status, _, body = call(connection, proxy, "POST", f"{CONFIGMAPS}?dryRun=All", sent)
        assert (status, body["data"]) == (201, sent["data"])  # the body arrived whole
        assert call(connection, proxy, "GET", NAMESPACE)[0] == 200
    assert (proxy.connections, proxy.requests) == (1, 3)
    assert outcomes(proxy) == [("GET", NAMESPACE, FORWARDED),
                               ("POST", f"{CONFIGMAPS}?dryRun=All", FORWARDED),
                               ("GET", NAMESPACE, FORWARDED)]


def test_a_chunked_request_is_passed_through_uncounted(proxy: FaultProxy) -> None:
    with connect(proxy) as connection:
        sent = configmap("chunked")
        status, _, body = call(connection, proxy, "POST", f"{CONFIGMAPS}?dryRun=All", sent,
                               chunked=True)
        assert (status, body["data"]) == (201, sent["data"])
        assert call(connection, proxy, "GET", NAMESPACE)[0] == 200  # still relayed
    assert proxy.requests == 1  # from the chunked request on, the connection is opaque


def test_delay_applies_to_each_direction(proxy: FaultProxy) -> None:
    proxy.delay_seconds = 0.1
    with connect(proxy) as connection:
        call(connection, proxy, "GET", NAMESPACE)  # the TLS handshake is not delayed
        began = time.monotonic()
        assert call(connection, proxy, "GET", NAMESPACE)[0] == 200
        assert time.monotonic() - began >= 0.2  # 0.1 s to the server and 0.1 s back


def test_delay_is_latency_not_a_throttle(proxy: FaultProxy) -> None:
    """A 3.7 MB answer (hundreds of chunks) and 16 connections at once each pay the
    delay about once, not once per chunk or per connection."""
    proxy.delay_seconds = 0.1
    with connect(proxy) as connection:
        began = time.monotonic()
        status, headers, _ = call(connection, proxy, "GET", "/openapi/v2")
        assert status == 200 and int(headers.get("content-length", "0")) > 1_000_000
        assert time.monotonic() - began < 1.5
    codes: list[int] = []

    def one() -> None:
        with connect(proxy) as own:
            codes.append(call(own, proxy, "GET", NAMESPACE)[0])

    threads = [threading.Thread(target=one) for _ in range(16)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * 16
    assert time.monotonic() - began < 2.0  # one after another: 16 x 0.2 s = 3.2 s
    assert proxy.connections == 17


def test_the_first_requests_get_a_503_and_are_not_forwarded(proxy: FaultProxy) -> None:
    name = f"never-{secrets.token_hex(4)}"
    proxy.answer_503(2, retry_after="1")
    with connect(proxy) as connection:
        status, headers, body = call(connection, proxy, "POST", CONFIGMAPS, configmap(name))
        assert (status, headers["retry-after"], body["reason"]) == (503, "1", "ServiceUnavailable")
        assert call(connection, proxy, "GET", NAMESPACE)[0] == 503
        # the same connection goes on: the first request's body was read, not left behind
        assert call(connection, proxy, "GET", f"{CONFIGMAPS}/{name}")[0] == 404
    assert [s.outcome for s in proxy.seen] == [ANSWERED_503, ANSWERED_503, FORWARDED]


def test_503_forever_until_pass_through(proxy: FaultProxy) -> None:
    proxy.answer_503(None)
    with connect(proxy) as connection:
        assert [call(connection, proxy, "GET", NAMESPACE)[0] for _ in range(4)] == [503] * 4
        assert "retry-after" not in call(connection, proxy, "GET", NAMESPACE)[1]
        proxy.pass_through()
        assert call(connection, proxy, "GET", NAMESPACE)[0] == 200


def test_503_only_where_asked(proxy: FaultProxy) -> None:
    proxy.answer_503(1, where=lambda method, path: method == "POST")
    with connect(proxy) as connection:
        assert call(connection, proxy, "GET", NAMESPACE)[0] == 200  # not picked, not counted
        assert call(connection, proxy, "POST", CONFIGMAPS, configmap("picked"))[0] == 503
        status = call(connection, proxy, "POST", f"{CONFIGMAPS}?dryRun=All", configmap("x"))[0]
        assert status == 201  # the one 503 was used up
    assert [s.outcome for s in proxy.seen] == [FORWARDED, ANSWERED_503, FORWARDED]


def test_go_away_drops_requests_then_connections(proxy: FaultProxy) -> None:
    proxy.go_away(after_requests=1)
    with connect(proxy) as connection:
        assert call(connection, proxy, "GET", NAMESPACE)[0] == 200
        with pytest.raises(OSError):  # closed unanswered (http.client.RemoteDisconnected)
            call(connection, proxy, "GET", NAMESPACE)
    with connect(proxy) as connection, pytest.raises(OSError):
        call(connection, proxy, "GET", NAMESPACE)  # a new connection is closed at once
    assert [s.outcome for s in proxy.seen] == [FORWARDED, DROPPED]
    assert proxy.connections == 2
    proxy.pass_through()
    with connect(proxy) as connection:
        assert call(connection, proxy, "GET", NAMESPACE)[0] == 200


def test_go_away_at_once_refuses_every_connection(proxy: FaultProxy) -> None:
    proxy.go_away()
    for _ in range(2):
        with connect(proxy) as connection, pytest.raises(OSError):
            call(connection, proxy, "GET", NAMESPACE)
    assert (proxy.connections, proxy.requests) == (2, 0)


def test_cut_closes_open_connections(proxy: FaultProxy) -> None:
    with connect(proxy) as connection:
        assert call(connection, proxy, "GET", NAMESPACE)[0] == 200
        proxy.cut()
        with pytest.raises(OSError):
            call(connection, proxy, "GET", NAMESPACE)
    with connect(proxy) as connection:  # only the open ones: new connections are relayed
        assert call(connection, proxy, "GET", NAMESPACE)[0] == 200


def test_stopping_closes_open_connections_and_the_port(cluster: TestCluster) -> None:
    with FaultProxy(cluster) as proxy, connect(proxy) as connection:
        assert call(connection, proxy, "GET", NAMESPACE)[0] == 200
        proxy.delay_seconds = 5.0
        connection.request("GET", NAMESPACE)  # answered 5 s from now: in flight at stop()
        began = time.monotonic()
        proxy.stop()
        assert time.monotonic() - began < 2.0
        with pytest.raises(OSError):
            connection.getresponse()
    assert proxy.errors == []
    assert not [t for t in threading.enumerate() if t.name == "faultproxy"]
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", proxy.port)):
        pass


def test_the_kubeconfig_is_the_clusters_with_the_proxys_url(proxy: FaultProxy) -> None:
    through = json.loads(proxy.kubeconfig("art-publish").read_text())
    direct = json.loads(proxy.cluster.kubeconfig("art-publish").read_text())
    assert through["clusters"][0]["cluster"].pop("server") == proxy.url
    assert direct["clusters"][0]["cluster"].pop("server") == proxy.cluster.server
    assert through == direct
    assert proxy.url != proxy.cluster.server

"""A fault-injecting HTTPS proxy in front of the test cluster's API server (stdlib only).

`FaultProxy(cluster)` listens on a free 127.0.0.1 port. It terminates TLS with the cluster's
own serving certificate (issued for 127.0.0.1 by the cluster CA: clients verify the proxy as
they verify the server) and opens TLS to the server with that CA, so it sees plain HTTP: it
counts requests (`connections`, `requests`, `seen`) and can answer some itself. Faults,
switchable while it runs: `delay_seconds` (latency per chunk, each way), `answer_503`,
`go_away` (the server disappears after n more requests), `cut`, `pass_through`. Parsing is
just enough: request line, headers, a Content-Length body; a chunked or upgraded request
turns the rest of its connection into uncounted pass-through.

One asyncio loop in a background thread rather than two threads per connection: an SSL
object must never be read and written by two threads at once, and asyncio drives each TLS
connection from one thread (thousands of keep-alive connections are cheap, for the
benchmark). Anything unexpected inside lands in `errors`, which tests assert empty. As a
context manager, leaving it closes every socket and joins the thread.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from cluster.testcluster import TestCluster

FORWARDED, ANSWERED_503, DROPPED = "forwarded", "503", "dropped"
CHUNK = 65536
QUEUE_CHUNKS = 64  # read ahead at most this many chunks per direction (back-pressure)
HEAD_LIMIT = 1 << 20
CLOSE_WAIT = 1.0  # seconds a polite TLS close may take before the socket is simply closed
START_TIMEOUT = 10.0
# What a connection may end with when a peer goes away; anything else is a proxy bug.
_GONE = (OSError, EOFError, asyncio.LimitOverrunError, asyncio.TimeoutError)


@dataclass(frozen=True)
class Seen:
    """One request head the proxy read: when (time.monotonic()), what, and what it did."""

    at: float
    method: str
    path: str
    outcome: str  # FORWARDED, ANSWERED_503 or DROPPED


def parse_head(head: bytes) -> tuple[str, str, int | None]:
    """(method, target, body length) of a request head. The length is None when the body
    is not delimited by Content-Length (chunked, an upgrade): the rest of the connection is
    then passed through as it is."""
    lines = head.decode("latin-1").split("\r\n")
    method, _, rest = lines[0].partition(" ")
    target = rest.rpartition(" ")[0] or rest
    fields = (line.partition(":") for line in lines[1:])
    headers = {name.strip().lower(): value.strip() for name, sep, value in fields if sep}
    if "transfer-encoding" in headers or "upgrade" in headers or method == "CONNECT":
        return method, target, None
    try:
        return method, target, int(headers.get("content-length") or 0)
    except ValueError:
        return method, target, None


def answer_503(retry_after: str | None, close: bool) -> bytes:
    """A 503 as kube-apiserver words one (a Status object), optionally with Retry-After."""
    body = json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {},
                       "status": "Failure", "reason": "ServiceUnavailable", "code": 503,
                       "message": "injected by the test proxy: service unavailable"}).encode()
    wait = "" if retry_after is None else f"Retry-After: {retry_after}\r\n"
    return (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{wait}"
            f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n").encode() + body


class _Outlet:
    """The bytes for one peer, each chunk written `delay` after it was read."""

    def __init__(self, writer: asyncio.StreamWriter, delay: Callable[[], float]) -> None:
        self.writer = writer
        self._delay = delay
        self._queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue(QUEUE_CHUNKS)
        self._pending = 0  # chunks taken but not yet written
        self._ending = False

    async def send(self, data: bytes) -> None:
        """Deliver `data` after the delay; waits while too much is queued."""
        delay = self._delay()
        if delay <= 0 and self._pending == 0:  # nothing queued: no reordering possible
            self.writer.write(data)
            await self.writer.drain()
            return
        self._pending += 1
        await self._queue.put((time.monotonic() + delay, data))

    def end(self) -> None:
        """Write what is queued, then stop."""
        self._ending = True
        if not self._queue.full():
            self._queue.put_nowait(None)

    async def run(self) -> None:
        """Write each queued chunk when it is due, until end()."""
        while not (self._ending and self._queue.empty()):
            item = await self._queue.get()
            if item is None:
                return
            due, data = item
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self.writer.write(data)
            await self.writer.drain()
            self._pending -= 1


class _Connection:
    """One client connection and its own connection to the API server."""

    def __init__(self, proxy: FaultProxy, client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                 server: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        self.proxy = proxy
        self.client_reader, client_writer = client
        self.server_reader, server_writer = server
        self.to_client = _Outlet(client_writer, lambda: proxy.delay_seconds)
        self.to_server = _Outlet(server_writer, lambda: proxy.delay_seconds)
        self.cut = False

    def abort(self) -> None:
        """Close both sockets now, without flushing."""
        self.cut = True
        for outlet in (self.to_client, self.to_server):
            outlet.writer.transport.abort()

    async def run(self) -> None:
        """Relay until a side closes, then deliver what is queued and close both sides."""
        pumps = [asyncio.create_task(self._requests()), asyncio.create_task(self._responses())]
        outlets = [asyncio.create_task(self.to_client.run()),
                   asyncio.create_task(self.to_server.run())]
        try:
            await asyncio.wait(pumps + outlets, return_when=asyncio.FIRST_COMPLETED)
            if not self.cut:
                for pump in pumps:
                    pump.cancel()
                self.to_client.end()
                self.to_server.end()
                await asyncio.wait(outlets, timeout=self.proxy.delay_seconds + CLOSE_WAIT)
                await self._close()
        finally:
            for task in pumps + outlets:
                task.cancel()
            for result in await asyncio.gather(*pumps, *outlets, return_exceptions=True):
                if isinstance(result, Exception) and not isinstance(result, _GONE):
                    self.proxy.errors.append(f"connection: {result!r}")
            self.abort()  # a no-op after a polite close

    async def _close(self) -> None:
        """Close both sides politely (TLS close_notify), but never wait long for a peer."""
        writers = (self.to_client.writer, self.to_server.writer)
        for writer in writers:
            writer.close()
        for writer in writers:
            try:
                await asyncio.wait_for(writer.wait_closed(), CLOSE_WAIT)
            except _GONE:
                writer.transport.abort()

    async def _requests(self) -> None:
        """Client to server, request by request: count each, then forward, answer or drop."""
        while True:
            try:
                head = await self.client_reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as eof:  # the client closed the connection
                if eof.partial:
                    await self.to_server.send(eof.partial)
                return
            method, target, length = parse_head(head)
            outcome, retry_after = self.proxy._decide(method, target)
            if outcome == DROPPED:
                self.abort()
                return
            if outcome == ANSWERED_503:
                await self._copy(length, None)  # read the body this answer stands for
                await self.to_client.send(answer_503(retry_after, close=length is None))
            else:
                await self.to_server.send(head)
                await self._copy(length, self.to_server)
            if length is None:
                return

    async def _copy(self, length: int | None, outlet: _Outlet | None) -> None:
        """Pass `length` bytes of body on to `outlet` (None: discard them); with no length,
        everything up to the client's end of the connection."""
        left = length
        while left is None or left > 0:
            data = await self.client_reader.read(CHUNK if left is None else min(left, CHUNK))
            if not data:
                raise EOFError("the client closed the connection inside a request")
            if outlet is not None:
                await outlet.send(data)
            if left is not None:
                left -= len(data)

    async def _responses(self) -> None:
        """Server to client, as it comes."""
        while data := await self.server_reader.read(CHUNK):
            await self.to_client.send(data)


class FaultProxy:
    """A TLS-terminating proxy to `cluster`'s API server with switchable faults."""

    def __init__(self, cluster: TestCluster) -> None:
        self.cluster = cluster
        upstream = urlsplit(cluster.server)
        self._upstream = (upstream.hostname or "127.0.0.1", upstream.port or 443)
        self.delay_seconds = 0.0
        self.connections = self.requests = 0
        self.errors: list[str] = []
        self._seen: list[Seen] = []
        self._lock = threading.Lock()
        self._fail_left: int | None = 0  # None: every request
        self._retry_after: str | None = None
        self._fail_where: Callable[[str, str], bool] | None = None
        self._forward_left: int | None = None  # None: no limit
        self._gone = False
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._live: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        # The server's own certificate towards clients, the cluster CA towards the server;
        # HTTP/1.1 both ways, as the proxy parses nothing else.
        self._served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._served.load_cert_chain(cluster.workdir / "pki" / "server.crt",
                                     cluster.workdir / "pki" / "server.key")
        self._verified = ssl.create_default_context(cafile=str(cluster.ca_path))
        for context in (self._served, self._verified):
            context.set_alpn_protocols(["http/1.1"])

    # `delay_seconds` is a plain attribute: each chunk read is delivered that long after
    # (0.01 = 20 ms per round trip), as latency, not as a throttle.

    @property
    def url(self) -> str:
        """The https URL clients use instead of the cluster's."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def seen(self) -> list[Seen]:
        """Every request head read so far, in order."""
        with self._lock:
            return list(self._seen)

    def kubeconfig(self, user: str) -> Path:
        """The cluster's kubeconfig for `user`, with the proxy's URL as the server."""
        direct = self.cluster.kubeconfig(user)
        config = json.loads(direct.read_text(encoding="utf-8"))
        for entry in config["clusters"]:
            entry["cluster"]["server"] = self.url
        path = direct.with_name(f"{user}-via-proxy-{self.port}")
        path.touch(mode=0o600)
        path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return path

    # -- faults (callable from any thread) ---------------------------------------------------

    def answer_503(self, count: int | None, retry_after: str | None = None,
                   where: Callable[[str, str], bool] | None = None) -> None:
        """Answer the next `count` requests (None: all) with 503 and this Retry-After; with
        `where`, only requests for which where(method, path) is true (and count only them)."""
        with self._lock:
            self._fail_left, self._retry_after = count, retry_after
            self._fail_where = where

    def go_away(self, after_requests: int = 0) -> None:
        """Let `after_requests` more requests through, then act as a server that is gone."""
        with self._lock:
            self._forward_left, self._gone = after_requests, after_requests <= 0

    def pass_through(self) -> None:
        """Forward everything again (no 503s, no drops); the delay stays."""
        with self._lock:
            self._fail_left, self._forward_left, self._gone = 0, None, False

    def cut(self) -> None:
        """Close every open connection now."""
        loop = self._loop
        if loop is not None:
            asyncio.run_coroutine_threadsafe(self._cut_all(), loop).result(START_TIMEOUT)

    def _decide(self, method: str, path: str) -> tuple[str, str | None]:
        """What to do with a request just read (the event loop's thread)."""
        with self._lock:
            self.requests += 1
            if self._gone or self._forward_left == 0:
                self._gone, outcome = True, DROPPED
            elif ((self._fail_left is None or self._fail_left > 0)
                  and (self._fail_where is None or self._fail_where(method, path))):
                self._fail_left = None if self._fail_left is None else self._fail_left - 1
                outcome = ANSWERED_503
            else:
                if self._forward_left is not None:
                    self._forward_left -= 1
                outcome = FORWARDED
            self._seen.append(Seen(time.monotonic(), method, path, outcome))
            return outcome, self._retry_after

    # -- running -------------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        """Start listening; returns once connections are accepted."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="faultproxy",
                                        daemon=True)
        self._thread.start()
        if not ready.wait(START_TIMEOUT) or not self.port:
            self.stop()
            raise RuntimeError(f"the fault proxy did not start: {self.errors}")
        return self

    def stop(self) -> None:
        """Close every connection and the listening socket; returns once the thread ended."""
        loop, stopping, thread = self._loop, self._stopping, self._thread
        if loop is not None and stopping is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopping.set)
        if thread is not None:
            thread.join(START_TIMEOUT + CLOSE_WAIT)
            if thread.is_alive():
                raise RuntimeError("the fault proxy's thread did not stop")
        self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def _run(self, ready: threading.Event) -> None:
        try:
            asyncio.run(self._main(ready))
        except Exception as exc:  # reported through `errors` and start()
            self.errors.append(f"event loop: {exc!r}")
        finally:
            ready.set()

    async def _main(self, ready: threading.Event) -> None:
        self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        server = await asyncio.start_server(self._accept, "127.0.0.1", 0, limit=HEAD_LIMIT,
                                            backlog=1024)
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        try:
            await self._stopping.wait()
        finally:
            server.close()
            await self._cut_all()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await server.wait_closed()
            for _ in range(3):  # let the aborted transports' connection_lost callbacks run
                await asyncio.sleep(0)

    async def _cut_all(self) -> None:
        for connection in list(self._live):
            connection.abort()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection, from accept to close."""
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            with self._lock:
                self.connections += 1
                gone = self._gone
            if not gone:
                await self._relay(reader, writer)
        except (*_GONE, asyncio.CancelledError):
            # A peer went away during a handshake, or stop(): end normally, as 3.11's
            # asyncio calls task.exception() on this task, which raises if it was cancelled.
            pass
        except Exception as exc:
            self.errors.append(f"accept: {exc!r}")
        finally:
            writer.transport.abort()
            self._tasks.discard(task)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """TLS with the client, a connection to the server, then relay until either ends."""
        await writer.start_tls(self._served, ssl_handshake_timeout=START_TIMEOUT)
        host, port = self._upstream
        server = await asyncio.wait_for(asyncio.open_connection(
            host, port, ssl=self._verified, server_hostname=host, limit=HEAD_LIMIT,
            ssl_shutdown_timeout=CLOSE_WAIT), START_TIMEOUT)
        connection = _Connection(self, (reader, writer), server)
        self._live.add(connection)
        try:
            await connection.run()
        finally:
            self._live.discard(connection)

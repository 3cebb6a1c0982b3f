"""An HTTPS relay to the test cluster's API server that lets a backend answer some requests.

`RelayServer(backend)` listens on a free 127.0.0.1 port with TLS (`backend.served`), one thread
per connection, HTTP/1.1 with keep-alive. Each request is counted (`backend.record`), offered
to `backend.answer` (the build service answers `instantiate`), and otherwise sent on to the API
server over the backend's own verified connection with the caller's headers as they are
(credentials and impersonation included: the API server decides). An answer without a length
(a watch) is relayed chunk by chunk as it comes. Standard library only.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import socket
import ssl
import threading
from typing import Any, Protocol

# Hop-by-hop headers, and those the relay sets itself.
_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                  "trailers", "transfer-encoding", "upgrade", "host", "content-length"})
CHUNK = 65536


class Backend(Protocol):
    """What the relay needs from the service behind it."""

    served: ssl.SSLContext
    stopping: threading.Event
    errors: list[str]

    def record(self, method: str, path: str, impersonated: str | None) -> None:
        """Count one request."""

    def track(self, sock: socket.socket, live: bool) -> None:
        """Keep a socket to close at stop (live), or forget it."""

    def connect(self) -> http.client.HTTPSConnection:
        """A connection to the API server."""

    def answer(self, method: str, path: str, body: bytes,
               headers: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
        """(status, JSON body) for a request the backend answers itself, else None."""


class RelayServer(http.server.ThreadingHTTPServer):
    """One thread per connection, TLS with the cluster's serving certificate."""

    daemon_threads = True

    def __init__(self, service: Backend) -> None:
        self.service = service
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        plain, address = super().get_request()
        # the handshake happens in the connection's own thread (setup), never in accept's
        wrapped = self.service.served.wrap_socket(plain, server_side=True,
                                                   do_handshake_on_connect=False)
        return wrapped, address


class _Handler(http.server.BaseHTTPRequestHandler):
    """One client connection: instantiate answered, everything else relayed."""

    protocol_version = "HTTP/1.1"
    server: RelayServer
    upstream: http.client.HTTPSConnection | None = None
    answering = False  # True once the answer is being sent back to the client

    def setup(self) -> None:
        self.request.settimeout(30)
        self.request.do_handshake()
        self.request.settimeout(None)  # a watch may stay quiet for minutes
        self.server.service.track(self.request, True)
        super().setup()

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.service.track(self.request, False)
        self._drop_upstream()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `seen` instead."""

    def handle_one_request(self) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            super().handle_one_request()
            return
        self.close_connection = True

    def _dispatch(self) -> None:
        service = self.server.service
        body = self._body()
        service.record(self.command, self.path, self.headers.get("Impersonate-User"))
        answered = service.answer(self.command, self.path, body, dict(self.headers.items()))
        if answered is not None:
            self._reply(answered[0], json.dumps(answered[1]).encode())
            return
        self.answering = False
        try:
            self._relay(body)
        except (OSError, http.client.HTTPException) as exc:
            # a client that went away mid-answer (a killed process) is no fault of the service
            if not service.stopping.is_set() and not self.answering:
                service.errors.append(f"relay {self.command} {self.path}: {exc!r}")
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, status: int, data: bytes) -> None:
        self.send_response_only(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _relay(self, body: bytes) -> None:
        """The request to the API server, its answer back (streamed when it has no length)."""
        if self.upstream is None:
            self.upstream = self.server.service.connect()
            self.upstream.connect()
            self.upstream.sock.settimeout(None)
            self.server.service.track(self.upstream.sock, True)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        self.upstream.request(self.command, self.path, body=body or None, headers=headers)
        response = self.upstream.getresponse()
        self.answering = True  # from here on, what fails is the client's side
        self.send_response_only(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in _HOP:
                self.send_header(key, value)
        if response.getheader("Content-Length") is not None:
            data = response.read()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        elif not self._stream(response):
            self._drop_upstream()
            return
        if response.will_close:
            self._drop_upstream()

    def _stream(self, response: http.client.HTTPResponse) -> bool:
        """An answer of unknown length (a watch), chunk by chunk as it comes; False when the
        client left before its end (it no longer needed the watch)."""
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            self.wfile.flush()
            while chunk := response.read1(CHUNK):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (OSError, ssl.SSLError):
            self.close_connection = True
            return False
        return True

    def _drop_upstream(self) -> None:
        if self.upstream is not None:
            if self.upstream.sock is not None:
                self.server.service.track(self.upstream.sock, False)
            self.upstream.close()
            self.upstream = None

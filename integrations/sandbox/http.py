"""A loopback HTTP(S) server base: parses requests, hands them to one handler, never dies."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

# Headers never written to logs: they carry bearer tokens.
_SECRET_HEADERS = frozenset({"authorization", "cookie"})
_MAX_BODY = 64 * 1024 * 1024


@dataclass
class Request:
    """One parsed HTTP request. Header names are lower-cased."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    raw_query: str = ""

    def param(self, name: str) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        """The body decoded as JSON (None for an empty body); ValueError when malformed."""
        return json.loads(self.body) if self.body.strip() else None

    def with_path(self, path: str) -> Request:
        """The same request seen under another path (used when mounting sub-handlers)."""
        return Request(self.method, path, self.query, self.headers, self.body, self.raw_query)


@dataclass
class Response:
    """What a handler answers. `drop` closes the connection without a byte sent."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    drop: bool = False
    delay_s: float = 0.0  # real seconds to wait before answering ("slow" fault)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer with the right content type."""
    all_headers = {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}
    return Response(status, all_headers, json.dumps(payload).encode())


def parse_target(target: str) -> tuple[str, str, dict[str, list[str]]]:
    """Split a request target into (path, raw query, decoded query)."""
    parts = urlsplit(target)
    return parts.path or "/", parts.query, parse_qs(parts.query, keep_blank_values=True)


Handler = Callable[[Request], Response]
ErrorShaper = Callable[[int, str], Response]


def plain_error(status: int, message: str) -> Response:
    """The default error answer when a provider does not shape its own."""
    return json_response(status, {"error": {"code": status, "message": message}})


class LoopbackServer:
    """An HTTP server on 127.0.0.1 (port 0 by default) that serves one handler in threads.

    Parameters:
        handler: maps each Request to a Response.
        name: used in logs and thread names.
        error: builds the provider-shaped answer for malformed requests and handler crashes.
        ssl_context: serve HTTPS with this server-side context.
        port: a fixed port; 0 picks a free one.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        name: str = "sandbox",
        error: ErrorShaper = plain_error,
        ssl_context: ssl.SSLContext | None = None,
        port: int = 0,
    ) -> None:
        self.handler = handler
        self.name = name
        self.error = error
        self._ssl = ssl_context
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, ending in '/'."""
        if self._server is None:
            raise RuntimeError(f"{self.name} server is not started")
        scheme = "https" if self._ssl else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}/"

    def start(self) -> None:
        """Bind and serve in a daemon thread."""
        if self._server is not None:
            return
        server = _Server(("127.0.0.1", self._port), _RequestHandler)
        server.owner = self
        if self._ssl is not None:
            # Handshake lazily, in the connection's own thread, so one stalled client
            # cannot hold up accept().
            server.socket = self._ssl.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.name = f"{self.name}-http"
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def dispatch(self, request: Request) -> Response:
        """Run the handler; a crash becomes a shaped 500 instead of a dead thread."""
        try:
            return self.handler(request)
        except Exception:
            log.exception("%s: handler failed on %s %s", self.name, request.method, request.path)
            return self.error(500, "Internal error encountered.")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: LoopbackServer

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def track(self, conn: socket.socket, opened: bool) -> None:
        with self._open_lock:
            (self._open.add if opened else self._open.discard)(conn)

    def close_connections(self) -> None:
        with self._open_lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            _shutdown(conn)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Client resets and TLS failures are routine for a test server; keep them quiet.
        log.debug("%s: connection error from %s", self.owner.name, client_address, exc_info=True)


def _shutdown(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httplib2 and requests expect
    # Headers and body go out in separate writes; with Nagle on, each answer would wait
    # for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server: _Server
    timeout = 60

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True

    def __getattr__(self, name: str) -> Any:
        # Every HTTP method (GET, PATCH, PROPFIND, ...) goes through one path.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        owner = self.server.owner
        request = self._read_request()
        if request is None:
            return
        response = owner.dispatch(request)
        if response.delay_s > 0:
            time.sleep(response.delay_s)
        if response.drop:
            self.close_connection = True
            _shutdown(self.connection)
            return
        self._write(response)

    def _read_request(self) -> Request | None:
        owner = self.server.owner
        path, raw_query, query = parse_target(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = self._read_body(headers)
        except ValueError as exc:
            self.close_connection = True
            self._write(owner.error(400, str(exc)))
            return None
        return Request(self.command, path, query, headers, body, raw_query)

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            raise ValueError("Invalid Content-Length header.") from None
        if length < 0 or length > _MAX_BODY:
            raise ValueError("Invalid Content-Length header.")
        return self.rfile.read(length) if length else b""

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Called by the base class on unparsable request lines; answer in provider shape.
        # HTTP/0.9 answers carry no status line, which no modern client can read.
        self.close_connection = True
        self.request_version = "HTTP/1.1"
        with contextlib.suppress(OSError):
            self._write(self.server.owner.error(code, message or HTTPStatus(code).phrase))

    def log_message(self, format: str, *args: Any) -> None:
        # The request line never contains tokens (they travel in headers), so it is safe.
        log.debug("%s: " + format, self.server.owner.name, *args)


__all__ = [
    "Handler",
    "LoopbackServer",
    "Request",
    "Response",
    "json_response",
    "parse_target",
    "plain_error",
]

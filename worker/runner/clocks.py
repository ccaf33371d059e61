"""A clock read over HTTP, so separate processes share one simulated time (tests, demo).

`OUTREACH_CLOCK_URL` names a URL answering `GET` with `{"now": "<ISO 8601>"}`: the
sandbox control server's `/clock`, or a `ClockServer` a test drives. Unset, every
command uses the system clock. This is a test and demo facility, never for real use.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from events.clock import Clock, ManualClock, SystemClock

CLOCK_URL_ENV = "OUTREACH_CLOCK_URL"


class RemoteClock:
    """Reads the time from `url` at every call; a simulated clock shared by processes.

    Parameters:
      url: answers GET with {"now": ISO 8601 with offset}.
      timeout_s: how long one reading may take.
    """

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{CLOCK_URL_ENV} must be an http(s) URL, got {url!r}")
        self.url = url
        self.timeout_s = timeout_s

    def now(self) -> datetime:
        with urllib.request.urlopen(self.url, timeout=self.timeout_s) as response:  # noqa: S310
            body: dict[str, Any] = json.loads(response.read())
        at = datetime.fromisoformat(str(body["now"]))
        if at.tzinfo is None:
            raise ValueError(f"{self.url} answered a naive time {body['now']!r}")
        return at


def clock_from_env(env: Mapping[str, str]) -> Clock:
    """The simulated clock when OUTREACH_CLOCK_URL is set, else the system clock."""
    url = env.get(CLOCK_URL_ENV)
    return RemoteClock(url) if url else SystemClock()


class ClockServer:
    """Serves a ManualClock at http://127.0.0.1:PORT/clock for other processes to read.

    Parameters:
      clock: what to serve; moving it moves every process reading this server.
    """

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        served = clock

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps({"now": served.now().isoformat()}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # one line per reading would drown the test output

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/clock"

    def start(self) -> ClockServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

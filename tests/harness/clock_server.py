"""A ManualClock served over HTTP, for processes a test starts to read as one simulated clock."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from events.clock import ManualClock


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

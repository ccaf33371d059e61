"""Stopping the page (Ctrl-C on `outreach run` or `outreach ui`) ends its thread at once,
with a browser's connection still open, and frees the port for the next start."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import requests

from tests.worker.world import World
from worker.web.server import serve


def test_stopping_the_page_with_a_connection_open_ends_it_cleanly(
    tmp_path: Path, monkeypatch: Any
) -> None:
    failures: list[BaseException | None] = []
    # A failure in the serving thread (it raced the sockets closing under it: "Bad file
    # descriptor") is reported here rather than lost.
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))
    world = World(tmp_path)
    try:
        for _ in range(3):
            served = serve(world.app, "127.0.0.1", 0, fixed_port=True).start()
            port = int(served.url.rsplit(":", 1)[1])
            browser = requests.Session()  # keeps its connection open, as a browser does
            assert browser.get(served.sign_in_url(), timeout=10).ok  # signed in: Today
            served.stop()
            thread = served._thread
            assert thread is not None
            assert not thread.is_alive()
            browser.close()
            with socket.socket() as again:  # the port is free again
                again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                again.bind(("127.0.0.1", port))
    finally:
        world.close()
    assert failures == []

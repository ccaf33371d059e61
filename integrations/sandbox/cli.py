"""`outreach sandbox`: run every emulator until SIGINT/SIGTERM, endpoints printed first."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from integrations.sandbox import Sandbox


def serve_forever(seed: int = 0, announce: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Start a Sandbox, print one JSON line with its endpoints (then whatever `announce`
    prints), serve until interrupted."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # From a thread: the handler may run inside stop.wait(), holding the event's
        # non-reentrant lock, and set() here would wait for it forever.
        threading.Thread(target=stop.set, daemon=True).start()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Sandbox(seed=seed) as sandbox:
            sys.stdout.write(json.dumps(sandbox.endpoints()) + "\n")
            if announce is not None:
                announce(sandbox.endpoints())
            sys.stdout.flush()
            while not stop.wait(0.5):
                pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

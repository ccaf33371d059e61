"""Stopping on SIGINT and SIGTERM without deadlocking the process that receives them."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

log = logging.getLogger(__name__)


def stop_on_signals(stop: Callable[[], None]) -> None:
    """Call `stop` once SIGINT or SIGTERM arrives, from a thread of its own.

    Not from the handler itself: Python runs a handler on the main thread between two
    bytecodes, possibly inside `threading.Event.wait`, which holds the event's
    non-reentrant lock at moments; `Event.set` would then wait for that lock forever.
    A process polling with `stop.wait(0.02)` hit that window often enough that a
    scheduler ignored SIGTERM.
    """

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the current step", signum)
        threading.Thread(target=stop, name="stop-on-signal", daemon=True).start()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)

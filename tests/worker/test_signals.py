"""SIGTERM stops a process even when it lands while the stop event's lock is held."""

from __future__ import annotations

import subprocess
import sys

# The handler must run on the main thread while it holds the event's lock, as it does
# at moments inside `stop.wait(...)`: deliver the signal inside `with stop._cond`.
SCRIPT = """
import os, signal, threading
from worker.runner.signals import stop_on_signals

stop = threading.Event()
stop_on_signals(stop.set)
with stop._cond:
    os.kill(os.getpid(), signal.SIGTERM)
    for _ in range(1000):
        pass
print("handled", flush=True)
print("stopped" if stop.wait(5) else "still running", flush=True)
"""


def test_a_signal_during_a_wait_on_the_stop_event_stops_the_process() -> None:
    # Calling Event.set from the handler here waits for a lock its own thread holds:
    # a scheduler that polled with stop.wait(0.02) ignored SIGTERM that way.
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=20
    )
    assert done.stdout.split() == ["handled", "stopped"], done.stderr

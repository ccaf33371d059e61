"""The pacing shared by `outreach run` and `outreach scheduler`: when to sync, when to tick.

Interval mode is the real one: sync every `sync_every_s`, tick every `tick_every_s`, both
on the monotonic clock. Lockstep mode is a test and demo facility: one sync and one tick
for each new reading of a simulated clock (OUTREACH_CLOCK_URL), so a driver that moves
the clock knows when the worker has caught up with it (the heartbeat says so).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from worker.services import heartbeat
from worker.services.app import App

log = logging.getLogger(__name__)


@dataclass
class Loop:
    """One long-running loop.

    Parameters:
      name: its heartbeat row ("run" or "scheduler").
      app: the opened application (its clock and database).
      sync: queue (or do) a sync of every connected account.
      tick: derive and queue what is due; returns a short note for the heartbeat.
      sync_every_s / tick_every_s: the intervals of interval mode.
      lead: True while this process may act (the scheduler's leader lock).
      poll_s: how often to wake to renew the lead or read the simulated clock.
    """

    name: str
    app: App
    sync: Callable[[], None]
    tick: Callable[[], str]
    sync_every_s: float
    tick_every_s: float
    lead: Callable[[], bool] = lambda: True
    poll_s: float = 1.0
    stop: threading.Event = field(default_factory=threading.Event)
    steps: int = 0

    def beat(self, detail: str) -> None:
        self.steps += 1
        heartbeat.beat(
            self.app.engine,
            self.name,
            self.app.clock.now(),
            min(self.sync_every_s, self.tick_every_s),
            self.steps,
            detail,
        )

    def stopped(self) -> None:
        """Say in the heartbeat that this loop stopped (best effort: it is stopping anyway)."""
        if not self.steps:
            return
        try:
            heartbeat.stopped(self.app.engine, self.name)
        except Exception:
            log.warning("%s: could not record the stop in worker_state", self.name, exc_info=True)

    def run(self) -> None:
        """Sync and tick on their intervals until `stop` is set."""
        next_sync = next_tick = time.monotonic()
        while not self.stop.is_set():
            now = time.monotonic()
            try:
                if self.lead():
                    if now >= next_sync:
                        self.sync()
                        next_sync = now + self.sync_every_s
                    if now >= next_tick:
                        self.beat(self.tick())
                        next_tick = now + self.tick_every_s
                    wait = min(next_sync, next_tick) - time.monotonic()
                else:
                    wait = self.poll_s
            except Exception:
                # A database or Redis outage must not end the loop: the next step retries.
                log.exception("%s: step failed; retrying in %ss", self.name, self.poll_s)
                wait = self.poll_s
            self.stop.wait(max(0.0, min(wait, self.poll_s)))

    def run_lockstep(self) -> None:
        """One sync and one tick per new reading of the (simulated) clock, until `stop`."""
        done: datetime | None = None
        while not self.stop.is_set():
            try:
                reading = self.app.clock.now()
                # Asked at every poll, so a leader renews its lock while waiting too.
                if self.lead() and reading != done:
                    self.sync()
                    self.beat(self.tick())
                    done = reading
            except Exception:
                log.exception("%s: step failed; retrying in %ss", self.name, self.poll_s)
            self.stop.wait(self.poll_s)

"""The embedded default: one process, actors on an in-process broker, sync and tick loops."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import dramatiq

from events.projections.accounts import AccountRow
from integrations.protocol import Provider
from worker.runner.runtime import Actors, InFlight, Runtime, run_tick, stub_broker
from worker.runner.signals import stop_on_signals
from worker.services.app import App
from worker.services.rendering import Renderer

log = logging.getLogger(__name__)


class EmbeddedWorker:
    """Runs everything in this process.

    Parameters:
      app: the opened application.
      provider_for: gives the provider of an account.
      renderer: message templates.
      threads: worker threads for actors.
    """

    def __init__(
        self,
        app: App,
        provider_for: Callable[[AccountRow], Provider],
        renderer: Renderer,
        threads: int = 2,
    ) -> None:
        self.app = app
        self.runtime = Runtime(app=app, provider_for=provider_for, renderer=renderer)
        self.broker = stub_broker()
        self.actors = Actors(self.broker, lambda: self.runtime)
        self.inflight = InFlight(ttl_s=300)
        self.worker = dramatiq.Worker(self.broker, worker_threads=threads, worker_timeout=100)
        self._stop = threading.Event()

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        self._stop.set()
        self.worker.stop()
        self.broker.close()

    def step(self) -> None:
        """Sync every connected account, then tick, waiting for the work to finish."""
        self.sync_all()
        self.tick()

    def sync_all(self) -> None:
        """Sync every connected account, waiting for the syncs to finish."""
        slot = self.app.clock.now().isoformat()
        for account in self.app.projector.rows(AccountRow):
            if account.status == "connected":
                self.actors.enqueue_sync(account.account_id, slot)
        self._join()

    def tick(self) -> int:
        """Run one tick and wait for what it queued; return how many actions were due."""
        due = run_tick(self.app, self.actors, self.inflight)
        self._join()
        # What the tick queued is done: let the next tick queue anything still due.
        self.inflight = InFlight(ttl_s=self.inflight.ttl_s)
        return len(due)

    def _join(self) -> None:
        # fail_fast=False: an actor that exhausted its retries is logged, not raised here;
        # the next tick derives the work again from the log.
        self.broker.join("default", fail_fast=False)
        self.worker.join()

    def run_forever(self, interval_s: float) -> None:
        """Step every `interval_s` seconds until SIGINT or SIGTERM."""
        stop_on_signals(self._stop.set)
        self.start()
        try:
            while not self._stop.is_set():
                self.step()
                self._stop.wait(interval_s)
        finally:
            self.stop()

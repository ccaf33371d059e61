"""The scaled-out scheduler: the one tick loop that queues syncs and due actions on Redis.

Workers (`outreach worker`) run the actors; this only enqueues, under a leader lock so a
second scheduler idles until the first stops. Each queued sync or action holds a claim
(RedisInFlight) so a slow worker is not handed the same work twice.
"""

from __future__ import annotations

import time

from events.projections.accounts import AccountRow
from worker.domain.policies.actions import Action
from worker.runner.loop import Loop
from worker.runner.runtime import Actors, Runtime, sync_key
from worker.runner.scaled import LeaderLock, RedisInFlight, queue_depth, redis_broker, redis_client
from worker.services.app import App
from worker.services.tick import tick


class ScaledScheduler:
    """Queues syncs and due actions for the workers.

    Parameters:
      app: the opened application.
      broker_url: the Redis URL the workers read.
      sync_every_s / tick_every_s: the pacing.
      lockstep: test facility; step once per new reading of the shared clock and wait for
        the queue to drain after each step, as the embedded mode joins its actors.
    """

    def __init__(
        self,
        app: App,
        broker_url: str,
        *,
        sync_every_s: float,
        tick_every_s: float,
        lockstep: bool = False,
    ) -> None:
        self.app = app
        self.lockstep = lockstep
        self.client = redis_client(broker_url)
        self.broker = redis_broker(broker_url)
        self.actors = Actors(self.broker, _no_runtime)
        self.claims = RedisInFlight(self.client)
        self.leader = LeaderLock(self.client, "scheduler")
        self.loop = Loop(
            name="scheduler",
            app=app,
            sync=self.sync,
            tick=self.tick,
            sync_every_s=sync_every_s,
            tick_every_s=tick_every_s,
            lead=self.leader.hold,
            poll_s=0.02 if lockstep else 1.0,
        )

    def run(self) -> None:
        try:
            self.loop.run_lockstep() if self.lockstep else self.loop.run()
            self.loop.stopped()
        finally:
            self.leader.release()
            self.broker.close()
            self.client.close()

    def sync(self) -> None:
        slot = self.app.clock.now().isoformat()
        for account in self.app.projector.rows(AccountRow):
            if account.status == "connected" and self.claims.claim(sync_key(account.account_id)):
                self.actors.enqueue_sync(account.account_id, slot)
        self._settle()

    def tick(self) -> str:
        enqueued = 0

        def enqueue(action: Action) -> None:
            nonlocal enqueued
            if self.claims.claim(action.key):
                self.actors.enqueue_action(action)
                enqueued += 1

        due = tick(self.app, enqueue)
        self._settle()
        return f"due {len(due)}, queued {enqueued}"

    def _settle(self) -> None:
        # Lockstep only: wait for the queue to drain, as the embedded step joins.
        while self.lockstep and queue_depth(self.client) > 0 and not self.loop.stop.is_set():
            self.leader.hold()
            time.sleep(0.02)


def _no_runtime() -> Runtime:
    raise RuntimeError("the scheduler only enqueues; workers run actors")

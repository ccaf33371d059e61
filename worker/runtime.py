"""The worker's runtime: actors on a Dramatiq broker, the sync and tick loops around them.

The same code runs embedded (a StubBroker and in-process worker threads) and scaled
out (Redis, `outreach worker` processes, one `outreach scheduler`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker

from events.ids import derive_id
from events.projections.accounts import AccountRow
from events.types import AccountNeedsReconnect, AccountSyncFailed, ActionFailed
from integrations.protocol import (
    NeedsReconnect,
    PermanentProviderError,
    Provider,
    TransientProviderError,
)
from worker.app import App
from worker.effects import Effects, NoAccount
from worker.messages import Renderer, TemplateProblem
from worker.policies.actions import Action
from worker.sync_records import interpret
from worker.tick import load_snapshot, tick

log = logging.getLogger(__name__)

#: Pages a first sync fetches per run before yielding (it resumes from its cursor).
PAGES_PER_RUN = 20


class InFlight:
    """Remembers what was enqueued recently so a tick does not queue it again.

    An entry expires, so work whose message was lost is queued again by a later tick.
    """

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            expires = self._seen.get(key)
            if expires is not None and expires > now:
                return False
            self._seen[key] = now + self.ttl_s
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v > now}
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._seen.pop(key, None)


@dataclass
class Runtime:
    """What actors need, for one process.

    Parameters:
      app: the opened application.
      provider_for: gives the provider of an account.
      renderer: message templates.
    """

    app: App
    provider_for: Callable[[AccountRow], Provider]
    renderer: Renderer
    sync_locks: dict[str, threading.Lock] = field(default_factory=dict)

    def effects(self) -> Effects:
        return Effects(self.app, self.provider_for, self.renderer)

    def perform(self, message: dict[str, Any]) -> str:
        action = Action.from_message(message)
        try:
            return self.effects().perform(action)
        except (PermanentProviderError, TemplateProblem) as exc:
            # Retrying cannot help: record it where history and status show it.
            self.app.journal.record(
                ActionFailed(
                    contact_id=action.contact_id,
                    action=action.kind,
                    key=action.key,
                    error=str(exc).splitlines()[0][:500],
                ),
                event_id=derive_id("failed", action.key, str(exc)[:200]),
            )
            return f"failed: {exc}"
        except NoAccount as exc:
            return f"waiting: {exc}"  # the next tick after (re)connecting does it
        except NeedsReconnect as exc:
            self._needs_reconnect(action_account(self.app, action), exc)
            return f"waiting: {exc}"

    def sync(self, account_id: str) -> int:
        """One sync pass for one account; never two at once for the same account."""
        lock = self.sync_locks.setdefault(account_id, threading.Lock())
        if not lock.acquire(blocking=False):
            return 0
        try:
            return self._sync(account_id)
        finally:
            lock.release()

    def _sync(self, account_id: str) -> int:
        recorded = 0
        for _ in range(PAGES_PER_RUN):
            snapshot = load_snapshot(self.app)
            account = next(
                (a for a in self.app.projector.rows(AccountRow) if a.account_id == account_id),
                None,
            )
            if account is None or account.status != "connected":
                return recorded  # removed, or waiting for the user to reconnect
            addresses = {
                e.lower() for c in snapshot.contacts.values() if not c.forgotten for e in c.emails
            }
            try:
                batch = self.provider_for(account).sync(dict(account.cursors), addresses)
            except NeedsReconnect as exc:
                self._needs_reconnect(account, exc)
                return recorded
            except (TransientProviderError, PermanentProviderError) as exc:
                hour = self.app.clock.now().strftime("%Y-%m-%dT%H")
                self.app.journal.record(
                    AccountSyncFailed(
                        account_id=account_id, resource="mailbox", error=str(exc)[:500]
                    ),
                    event_id=derive_id("sync-failed", account_id, type(exc).__name__, hour),
                )
                if isinstance(exc, TransientProviderError):
                    raise
                return recorded
            entries = interpret(batch, snapshot, account)
            if entries:
                results = self.app.journal.record_all(entries)
                recorded += sum(1 for r in results if r.written)
            if not batch.incomplete:
                break
        return recorded

    def _needs_reconnect(self, account: AccountRow | None, exc: NeedsReconnect) -> None:
        if account is None:
            return
        self.app.journal.record(
            AccountNeedsReconnect(
                account_id=account.account_id, reason=str(exc)[:300], command=exc.command
            ),
            event_id=derive_id("needs-reconnect", account.account_id, account.connected_at),
        )


def action_account(app: App, action: Action) -> AccountRow | None:
    accounts = [a for a in app.projector.rows(AccountRow) if a.status == "connected"]
    return accounts[0] if accounts else None


class Actors:
    """The Dramatiq actors, declared on one broker; their names are the wire contract."""

    def __init__(self, broker: dramatiq.Broker, runtime_getter: Callable[[], Runtime]) -> None:
        self.broker = broker
        self.runtime = runtime_getter

        def perform_action(message: dict[str, Any]) -> None:
            outcome = runtime_getter().perform(message)
            log.info("action %s: %s", message.get("key"), outcome)

        def sync_account(account_id: str) -> None:
            runtime_getter().sync(account_id)

        # Retries back off from 1 s to 5 min: provider throttling passes in minutes, and
        # the next tick re-derives anything that ran out of retries anyway.
        self.perform_action = dramatiq.actor(
            broker=broker,
            actor_name="perform_action",
            max_retries=8,
            min_backoff=1_000,
            max_backoff=300_000,
        )(perform_action)
        self.sync_account = dramatiq.actor(
            broker=broker,
            actor_name="sync_account",
            max_retries=8,
            min_backoff=1_000,
            max_backoff=300_000,
        )(sync_account)

    def enqueue_action(self, action: Action) -> None:
        msg = self.perform_action.message(action.to_message())
        # Deterministic id: the same due action has the same message id everywhere.
        self.broker.enqueue(msg.copy(message_id=derive_id("msg", action.key)))

    def enqueue_sync(self, account_id: str, slot: str) -> None:
        msg = self.sync_account.message(account_id)
        self.broker.enqueue(msg.copy(message_id=derive_id("sync", account_id, slot)))


def stub_broker() -> StubBroker:
    broker = StubBroker()
    broker.emit_after("process_boot")
    return broker


def run_tick(app: App, actors: Actors, inflight: InFlight) -> list[Action]:
    """One scheduler tick: enqueue what is due and not already on its way."""

    def enqueue(action: Action) -> None:
        if inflight.claim(action.key):
            actors.enqueue_action(action)

    return tick(app, enqueue)

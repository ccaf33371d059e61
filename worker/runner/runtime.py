"""The worker's runtime: actors on a Dramatiq broker, the sync and tick loops around them.

The same code runs embedded (a StubBroker and in-process worker threads) and scaled
out (Redis, `outreach worker` processes, one `outreach scheduler`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import dramatiq
from dramatiq.brokers.stub import StubBroker

from events.entry import Entry
from events.ids import derive_id
from events.projections.accounts import AccountRow
from events.types import (
    AccountNeedsReconnect,
    AccountSyncFailed,
    AccountSyncRecovered,
    ActionFailed,
)
from integrations.protocol import (
    NeedsReconnect,
    PermanentProviderError,
    Provider,
    TransientProviderError,
)
from worker.domain.backoff import backing_off, pause_after
from worker.domain.policies.actions import Action
from worker.domain.sync_records import interpret
from worker.services import sync_reads
from worker.services.app import App
from worker.services.connected_accounts import NoAccount
from worker.services.effects import Effects
from worker.services.rendering import Renderer, TemplateProblem
from worker.services.tick import tick

log = logging.getLogger(__name__)

#: Pages a first sync fetches per run before yielding (it resumes from its cursor).
PAGES_PER_RUN = 20
#: The pause after a provider failure, doubling while the failures go on, up to the cap.


class Claims(Protocol):
    """What a tick asks before enqueueing: is this key already on its way?"""

    def claim(self, key: str) -> bool: ...
    def release(self, key: str) -> None: ...


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


class ActionBusy(RuntimeError):
    """The action is being performed in another process; retry later."""


@dataclass
class SyncProgress:
    """How far one sync run has come (for a progress display)."""

    account_id: str
    pages: int = 0
    messages: int = 0
    calendar_events: int = 0
    recorded: int = 0
    complete: bool = False


@dataclass
class Runtime:
    """What actors need, for one process.

    Parameters:
      app: the opened application.
      provider_for: gives the provider of an account.
      renderer: message templates.
      account_lock: a lock per account shared by processes (scaled out); None when
        this process is the only one syncing.
      action_lock: a lock per action key shared by processes (scaled out); None when
        this process is the only one acting.
    """

    app: App
    provider_for: Callable[[AccountRow], Provider]
    renderer: Renderer
    sync_locks: dict[str, threading.Lock] = field(default_factory=dict)
    account_lock: Callable[[str], AbstractContextManager[bool]] | None = None
    action_lock: Callable[[str], AbstractContextManager[bool]] | None = None
    #: Striped locks: the same action redelivered while its first run is still calling
    #: the provider waits, then finds the event and stops. Nothing can look a draft up by
    #: its Message-ID, so without this two threads could each create one.
    action_locks: tuple[threading.Lock, ...] = field(
        default_factory=lambda: tuple(threading.Lock() for _ in range(64))
    )

    def effects(self) -> Effects:
        return Effects(self.app, self.provider_for, self.renderer)

    def perform(self, message: dict[str, Any]) -> str:
        action = Action.from_message(message)
        stripe = int(derive_id("lock", action.key)[:8], 16) % len(self.action_locks)
        with self.action_locks[stripe]:
            if self.action_lock is None:
                return self._perform(action)
            # The striped locks cover this process only; another process may be running
            # the same action (a redelivery racing its first run).
            with self.action_lock(action.key) as held:
                if not held:
                    # Dramatiq retries later; by then the first run has recorded its
                    # event and this one stops at "already done".
                    raise ActionBusy(f"action {action.key!r} is running in another process")
                return self._perform(action)

    def _perform(self, action: Action) -> str:
        effects = self.effects()
        try:
            return effects.perform(action)
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
        except TransientProviderError as exc:
            # Throttled or down even after the adapter's own retries: pause the account
            # (sync and actions alike: Gmail's and Outlook's limits are per mailbox) and
            # let a tick after the pause derive the action again, rather than Dramatiq
            # retrying within seconds whatever Retry-After said.
            if effects.account is None:
                raise
            self._provider_failed(effects.account, action.kind, exc)
            return f"waiting: {exc}"
        except NeedsReconnect as exc:
            self._needs_reconnect(effects.account, exc)
            return f"waiting: {exc}"

    def sync(
        self,
        account_id: str,
        *,
        max_pages: int = PAGES_PER_RUN,
        on_page: Callable[[SyncProgress], None] | None = None,
    ) -> int:
        """One sync pass for one account; never two at once for the same account.

        Parameters:
          max_pages: provider pages to fetch before yielding; a first sync resumes from
            its cursor next time, so a short run loses nothing.
          on_page: told after each page is recorded (progress display).
        """
        lock = self.sync_locks.setdefault(account_id, threading.Lock())
        if not lock.acquire(blocking=False):
            return 0
        try:
            if self.account_lock is None:
                return self._sync(account_id, max_pages, on_page)
            with self.account_lock(account_id) as held:
                return self._sync(account_id, max_pages, on_page) if held else 0
        finally:
            lock.release()

    def _sync(
        self,
        account_id: str,
        max_pages: int,
        on_page: Callable[[SyncProgress], None] | None,
    ) -> int:
        recorded = 0
        progress = SyncProgress(account_id=account_id)
        for _ in range(max_pages):
            account = sync_reads.account(self.app, account_id)
            if account is None or account.status != "connected":
                return recorded  # removed, or waiting for the user to reconnect
            if backing_off(account, self.app.clock.now()):
                return recorded  # the provider asked us to wait (or keeps failing)
            addresses = sync_reads.addresses(self.app)
            # Our drafts still waiting: the sync reports each that left Drafts, even one
            # made and then sent or discarded since the last pass.
            waiting = sync_reads.waiting_drafts(self.app, account_id)
            try:
                batch = self.provider_for(account).sync(dict(account.cursors), addresses, waiting)
            except NeedsReconnect as exc:
                self._needs_reconnect(account, exc)
                return recorded
            except (TransientProviderError, PermanentProviderError) as exc:
                # Not raised on to Dramatiq: its retries (1 s, 2 s, ...) would ignore the
                # provider's Retry-After; the recorded pause decides when to try again.
                self._provider_failed(account, "mailbox", exc)
                return recorded
            entries = interpret(batch, sync_reads.interpreted_against(self.app, batch), account)
            if account.last_error is not None and account.last_error_at is not None:
                # The provider answers again. Without this an idle mailbox (no cursor
                # moving) would show "failing" forever; once per failure, keyed by it.
                entries.append(
                    Entry(
                        AccountSyncRecovered(
                            account_id=account_id, failed_at=account.last_error_at
                        ),
                        derive_id("sync-recovered", account_id, account.last_error_at),
                    )
                )
            # setdefault keeps the first of each id; an entry without an id is its own key.
            by_id: dict[object, Entry] = {}
            for entry in entries:
                by_id.setdefault(entry.event_id or id(entry), entry)
            unique = list(by_id.values())
            if len(unique) < len(entries):
                # A provider can list one change twice in a batch (e.g. a message in two
                # history records); the same id twice in one append is refused outright.
                log.warning(
                    "sync of %r: %r duplicate entries dropped: %r",
                    account_id,
                    len(entries) - len(unique),
                    sorted({type(e.event).__name__ for e in entries}),
                )
                entries = unique
            if entries:
                results = self.app.journal.record_all(entries)
                recorded += sum(1 for r in results if r.written)
            progress.pages += 1
            progress.messages += len(batch.messages)
            progress.calendar_events += len(batch.events)
            progress.recorded = recorded
            progress.complete = not batch.incomplete
            if on_page is not None:
                on_page(progress)
            if not batch.incomplete:
                break
        return recorded

    def _provider_failed(self, account: AccountRow, resource: str, exc: Exception) -> None:
        """Record the failure and when this account may call the provider again."""
        now = self.app.clock.now()
        retry_at = now + pause_after(account, now, getattr(exc, "retry_after", None))
        self.app.journal.record(
            AccountSyncFailed(
                account_id=account.account_id,
                resource=resource,
                error=str(exc)[:500],
                retry_at=retry_at,
            ),
            # One event per pause: the pauses grow, so an outage writes few of them.
            event_id=derive_id("sync-failed", account.account_id, retry_at.isoformat()),
        )

    def _needs_reconnect(self, account: AccountRow | None, exc: NeedsReconnect) -> None:
        if account is None:
            return
        self.app.journal.record(
            AccountNeedsReconnect(
                account_id=account.account_id, reason=str(exc)[:300], command=exc.command
            ),
            event_id=derive_id("needs-reconnect", account.account_id, account.connected_at),
        )


class Actors:
    """The Dramatiq actors, declared on one broker; their names are the wire contract.

    Parameters:
      broker: where the actors are declared.
      runtime_getter: the process's Runtime.
      inflight: claims to release once an action or sync has run, so the next tick may
        queue it again if it is still due (None: claims only expire).
    """

    def __init__(
        self,
        broker: dramatiq.Broker,
        runtime_getter: Callable[[], Runtime],
        inflight: Claims | None = None,
    ) -> None:
        self.broker = broker
        self.runtime = runtime_getter

        def perform_action(message: dict[str, Any]) -> None:
            outcome = runtime_getter().perform(message)
            log.info("action %r: %s", message.get("key"), outcome)
            # Released only after it ran (not when it raised and will be retried), so no
            # tick queues a second copy while this one may still be sending.
            if inflight is not None:
                inflight.release(str(message.get("key")))

        def sync_account(account_id: str) -> None:
            runtime_getter().sync(account_id)
            if inflight is not None:
                inflight.release(sync_key(account_id))

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


def sync_key(account_id: str) -> str:
    """The claim a queued sync of `account_id` holds."""
    return f"sync:{account_id}"


def stub_broker() -> StubBroker:
    broker = StubBroker()
    broker.emit_after("process_boot")
    return broker


def run_tick(app: App, actors: Actors, inflight: Claims) -> list[Action]:
    """One scheduler tick: enqueue what is due and not already on its way."""

    def enqueue(action: Action) -> None:
        if inflight.claim(action.key):
            actors.enqueue_action(action)

    return tick(app, enqueue)

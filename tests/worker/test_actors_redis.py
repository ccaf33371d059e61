"""The actors on a real Redis broker: a message delivered again (or a copy of it) changes
nothing, losing every queued message loses no work, and replies racing a nudge win."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker

from events.ids import derive_id
from tests.worker.world import World
from worker.domain.policies.actions import Action
from worker.runner.runtime import Actors, InFlight, Runtime, run_tick


@dataclass
class RecordingRuntime(Runtime):
    """The runtime, noting each action's outcome ("done", "already done", "skipped: ...")."""

    outcomes: list[str] = field(default_factory=list)

    def perform(self, message: dict[str, Any]) -> str:
        outcome = super().perform(message)
        self.outcomes.append(outcome)
        return outcome


@dataclass
class Redis:
    """The world's actors declared on a RedisBroker with its own namespace (other test
    runs may share the database), and a worker consuming from it."""

    world: World
    runtime: RecordingRuntime
    broker: RedisBroker
    actors: Actors
    worker: dramatiq.Worker
    client: redis.Redis
    namespace: str

    def deliver_three_times(self, action: Action) -> None:
        """The same message twice (a redelivery) and a copy under another message id
        (a second scheduler), run one after the other."""
        message = self.actors.perform_action.message(action.to_message())
        message = message.copy(message_id=derive_id("msg", action.key))
        self.broker.enqueue(message)
        self.broker.enqueue(message)
        self.broker.enqueue(message.copy(message_id=str(uuid.uuid4())))
        self.runtime.outcomes.clear()
        self.join()
        assert self.runtime.outcomes == ["done", "already done", "already done"]

    def join(self) -> None:
        self.broker.join("default", timeout=30_000)
        self.worker.join()

    def queued(self) -> int:
        return int(self.broker.do_qsize("default") or 0)

    def flush(self) -> None:
        """Lose every queued message (only this broker's keys: the database is shared)."""
        keys = list(self.client.scan_iter(f"{self.namespace}*"))
        if keys:
            self.client.delete(*keys)


@pytest.fixture
def on_redis(world: World, redis_url: str) -> Iterator[Redis]:
    namespace = f"outreach-test-{secrets.token_hex(4)}"
    broker = RedisBroker(url=redis_url, namespace=namespace)
    broker.emit_after("process_boot")
    runtime = RecordingRuntime(
        app=world.app, provider_for=world.provider_for, renderer=world.runtime.renderer
    )
    world.runtime = runtime
    actors = Actors(broker, lambda: runtime)
    # One thread: redeliveries run one after the other, as a requeue after a lost ack does.
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    client = redis.Redis.from_url(redis_url)
    r = Redis(world, runtime, broker, actors, worker, client, namespace)
    try:
        yield r
    finally:
        worker.stop()
        broker.close()
        r.flush()
        client.close()


ADA = "ada@analytical.example"


def _one_event(world: World, type_: str) -> dict[str, object]:
    found = world.events(type_)
    assert len(found) == 1, (type_, found)
    return found[0]


def test_outreach_draft_is_made_once(on_redis: Redis) -> None:
    w = on_redis.world
    on_redis.worker.start()
    w.add("Ada Lovelace", ADA)
    on_redis.deliver_three_times(w.one_due("draft_outreach"))

    assert len(w.mail()["drafts"]) == 1
    _one_event(w, "outreach.drafted")
    assert w.due() == []


def test_nudge_draft_is_made_once(on_redis: Redis) -> None:
    w = on_redis.world
    on_redis.worker.start()
    w.outreach_sent("Ada Lovelace", ADA)
    w.later(days=7, hours=1)
    on_redis.deliver_three_times(w.one_due("draft_nudge"))

    assert [d["headers"]["To"] for d in w.mail()["drafts"]] == [ADA]
    assert _one_event(w, "nudge.drafted")["nudge_number"] == 1


def _meeting_booked(w: World) -> None:
    w.outreach_sent("Ada Lovelace", ADA)
    w.later(days=1)
    w.reply(ADA)
    w.invite(ADA, w.clock.now().replace(hour=15) + timedelta(days=2))  # Thursday 15:00


def test_confirmation_is_sent_once(on_redis: Redis) -> None:
    w = on_redis.world
    on_redis.worker.start()
    _meeting_booked(w)
    w.later(days=1, hours=6)  # Wednesday 16:00: the day before
    on_redis.deliver_three_times(w.one_due("send_confirmation"))

    confirmed = _one_event(w, "meeting.confirmed")
    sent = [m for m in w.mail()["sent"] if m["messageId"] == confirmed["message_id"]]
    assert len(sent) == 1
    assert len(w.mail()["sent"]) == 2  # the outreach and the confirmation


def test_mark_met_and_thank_you_happen_once(on_redis: Redis) -> None:
    w = on_redis.world
    on_redis.worker.start()
    _meeting_booked(w)
    w.later(days=1, hours=6)
    w.perform("send_confirmation")
    w.later(days=1, minutes=50)  # Thursday 15:50: ended, plus the grace period

    on_redis.deliver_three_times(w.one_due("mark_met"))
    _one_event(w, "meeting.met")
    assert w.contact(ADA).stage == "met"

    w.later(hours=2, minutes=15)  # no notes by 18:00: a thank-you without a takeaway
    on_redis.deliver_three_times(w.one_due("draft_thank_you"))
    _one_event(w, "thank_you.drafted")
    assert len(w.mail()["drafts"]) == 1
    assert w.due("draft_thank_you") == []


def test_stale_nudge_is_deleted_once(on_redis: Redis) -> None:
    w = on_redis.world
    on_redis.worker.start()
    w.outreach_sent("Ada Lovelace", ADA)
    w.later(days=7, hours=1)
    w.perform("draft_nudge")
    assert len(w.mail()["drafts"]) == 1

    # The reply comes after the nudge draft exists: the next tick deletes the draft.
    w.reply(ADA)
    on_redis.deliver_three_times(w.one_due("delete_draft"))

    assert w.mail()["drafts"] == []
    assert _one_event(w, "draft.discarded")["reason"] == "superseded_by_reply"
    assert w.events("action.skipped") == []
    # Nothing but the offer of times her reply asks for (no nudge, no second delete).
    assert [a.kind for a in w.due()] == ["draft_times"]


def test_reply_between_tick_and_actor_skips_the_nudge(on_redis: Redis) -> None:
    w = on_redis.world
    w.outreach_sent("Ada Lovelace", ADA)
    w.later(days=7, hours=1)
    inflight = InFlight(ttl_s=300)
    assert [a.kind for a in run_tick(w.app, on_redis.actors, inflight)] == ["draft_nudge"]
    assert on_redis.queued() == 1

    w.reply(ADA)  # recorded while the nudge waits in the queue
    on_redis.worker.start()
    on_redis.join()

    assert w.mail()["drafts"] == []
    skipped = _one_event(w, "action.skipped")
    assert (skipped["action"], skipped["reason"]) == ("draft_nudge", "they replied")
    assert w.events("nudge.drafted") == []
    # Nothing but the offer of times her reply asks for (no nudge, no second delete).
    assert [a.kind for a in w.due()] == ["draft_times"]


def test_flushed_queue_is_derived_again_from_the_log(on_redis: Redis) -> None:
    w = on_redis.world
    w.add("Ada Lovelace", ADA)
    w.add("Grace Hopper", "grace@navy.example")
    now = [0.0]
    inflight = InFlight(ttl_s=300, clock=lambda: now[0])
    assert len(run_tick(w.app, on_redis.actors, inflight)) == 2
    assert on_redis.queued() == 2

    on_redis.flush()  # Redis lost everything before a worker ran
    assert on_redis.queued() == 0
    run_tick(w.app, on_redis.actors, inflight)
    assert on_redis.queued() == 0  # still claimed: not queued twice while in flight

    now[0] += 301  # the claims expire: the next tick queues the work again
    run_tick(w.app, on_redis.actors, inflight)
    on_redis.worker.start()
    on_redis.join()

    drafts = w.mail()["drafts"]
    assert sorted(d["headers"]["To"] for d in drafts) == [ADA, "grace@navy.example"]
    assert len(w.events("outreach.drafted")) == 2
    # Ticking again (claims expired or not) finds nothing left to do.
    now[0] += 301
    assert run_tick(w.app, on_redis.actors, inflight) == []
    assert len(w.mail()["drafts"]) == 2

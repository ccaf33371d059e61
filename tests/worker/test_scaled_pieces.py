"""The Redis pieces of the scaled-out mode: shared claims, losing the queue, the locks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from events.clock import ManualClock
from events.ids import derive_id
from events.types import AccountConnected
from tests.worker.conftest import open_test_app
from worker.runner.runtime import Actors, Runtime, run_tick
from worker.runner.scaled import (
    LeaderLock,
    RedisInFlight,
    account_locks,
    queue_depth,
    redis_broker,
    redis_client,
)
from worker.services.app import App
from worker.services.contacts import ContactBook, NewContact


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    c = redis_client(redis_url)
    yield c
    c.close()


@pytest.fixture
def pg_app(postgres_schema_url: str, tmp_path: Path, clock: ManualClock) -> Iterator[App]:
    app = open_test_app(postgres_schema_url, tmp_path, clock)
    yield app
    app.close()


def no_runtime() -> Runtime:
    raise AssertionError("nothing runs actors here")


def test_ticks_do_not_flood_the_queue_and_a_flushed_queue_loses_nothing(
    pg_app: App, redis_url: str, client: redis.Redis
) -> None:
    pg_app.journal.record(
        AccountConnected(
            account_id="a1", provider="sandbox", email="me@example.org", time_zone="UTC"
        ),
        event_id=derive_id("test", "account"),
    )
    book = ContactBook(pg_app)
    for n in range(3):
        book.add(NewContact(name=f"P{n}", emails=[f"p{n}@example.org"]), reach_out=True)
    broker = redis_broker(redis_url)
    try:
        actors = Actors(broker, no_runtime)
        due = run_tick(pg_app, actors, RedisInFlight(client))
        assert due
        assert queue_depth(client) == len(due)
        # A second scheduler process (its own claims object) sees the same claims.
        run_tick(pg_app, actors, RedisInFlight(client))
        assert queue_depth(client) == len(due)
        # Losing every queued message and claim (FLUSHDB of the test database stands
        # in for FLUSHALL): the next tick derives the same work from the log again.
        client.flushdb()
        assert queue_depth(client) == 0
        again = run_tick(pg_app, actors, RedisInFlight(client))
        assert [a.key for a in again] == [a.key for a in due]
        assert queue_depth(client) == len(due)
    finally:
        broker.close()


def test_one_leader_at_a_time(client: redis.Redis) -> None:
    first, second = LeaderLock(client, "t", ttl_s=5), LeaderLock(client, "t", ttl_s=5)
    assert first.hold()
    assert not second.hold()
    assert first.hold()  # renewing
    first.release()
    assert second.hold()
    assert not first.hold()


def test_a_leader_that_stops_renewing_loses_the_lock(client: redis.Redis) -> None:
    first, second = LeaderLock(client, "t", ttl_s=0.05), LeaderLock(client, "t", ttl_s=5)
    assert first.hold()
    client.pexpire(first.key, 1)
    import time

    time.sleep(0.01)
    assert second.hold()
    assert not first.hold()


def test_an_account_syncs_in_one_place_at_a_time(client: redis.Redis) -> None:
    lock = account_locks(client, wait_s=0.1)
    with lock("a1") as held:
        assert held
        with lock("a1") as second:
            assert not second
        with lock("a2") as other:
            assert other
    with lock("a1") as after:
        assert after

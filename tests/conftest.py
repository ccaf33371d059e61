"""Shared fixtures: SQLite and PostgreSQL (a schema per test), the clock, the store, Redis.

Services are required, never optional: when PostgreSQL or Redis does not answer the tests
fail with a message saying how to start it, so a green run always means both backends ran.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events.clock import ManualClock
from events.database import open_engine
from events.store import EventStore
from tests.harness.lockstep import postgres_schema

POSTGRES_URL = os.environ.get(
    "OUTREACH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("OUTREACH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

CLOCK_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

_POSTGRES_HELP = (
    "PostgreSQL does not answer at {url} ({error}). The event store tests need it; start "
    "one (e.g. `docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust "
    "-e POSTGRES_DB=test postgres:16`, or `service postgresql start`) or point "
    "OUTREACH_TEST_POSTGRES_URL at one."
)
_REDIS_HELP = (
    "Redis does not answer at {url} ({error}). Start one (e.g. `docker run -d -p 6379:6379 "
    "redis:7`, or `service redis-server start`) or point OUTREACH_TEST_REDIS_URL at one."
)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server's base URL, checked once per session; fails if it is down."""
    engine = sa.create_engine(POSTGRES_URL, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as error:
        pytest.fail(_POSTGRES_HELP.format(url=POSTGRES_URL, error=error.orig), pytrace=False)
    finally:
        engine.dispose()
    return POSTGRES_URL


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A URL whose connections all use a fresh schema, dropped after the test.

    The schema travels in the URL (psycopg's ``options``), so engines opened from it in
    other processes see the same tables.
    """
    with postgres_schema(postgres_url) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL for an SQLite file database in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'events.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty database, once per backend."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_schema_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine from `events.database.open_engine` on `db_url`, disposed after."""
    engine = open_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at 2026-03-02T09:00Z."""
    return ManualClock(CLOCK_START)


@pytest.fixture
def store(engine: Engine, clock: ManualClock) -> EventStore:
    """An event store with its schema created, on each backend."""
    store = EventStore(engine, clock)
    store.create_schema()
    return store


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis URL (database 15 by default), flushed before and after; fails if Redis is down."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        client.close()
        pytest.fail(_REDIS_HELP.format(url=REDIS_URL, error=error), pytrace=False)
    client.flushdb()
    try:
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()

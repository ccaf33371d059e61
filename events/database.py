"""Opening the database the event log lives in: SQLite (a file, WAL) or PostgreSQL (psycopg)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry

from events.errors import InvalidSetting

# Execution option naming how an SQLite transaction begins. Every transaction begins
# IMMEDIATE (takes the write lock at BEGIN) unless the connection, or an engine made with
# `reading_engine`, sets it to "DEFERRED". A deferred transaction that later writes must
# upgrade its lock, and two such upgraders deadlock (one gets SQLITE_BUSY at once, the
# busy timeout does not help); taking the lock up front makes writers simply queue.
SQLITE_BEGIN: Final = "sqlite_begin"

_BEGIN_MODES: Final = ("DEFERRED", "IMMEDIATE", "EXCLUSIVE")

# Applied to every new SQLite connection, in this order (busy_timeout first so that the
# others wait instead of failing while another process holds a lock).
SQLITE_PRAGMAS: Final[tuple[tuple[str, str], ...]] = (
    # Wait up to 10 s for a lock held by another connection or process.
    ("busy_timeout", "10000"),
    # Readers never block the writer and the writer never blocks readers.
    ("journal_mode", "WAL"),
    # With WAL, NORMAL is durable against application crashes and keeps the database
    # consistent on power loss, at the price of possibly losing the last transactions
    # before a power cut. It saves an fsync per commit. The benchmark sets the same on
    # the peer library's connections so the comparison is like for like.
    ("synchronous", "NORMAL"),
    ("foreign_keys", "ON"),
    # Overwrite deleted content with zeros: crypto-shredding deletes personal data keys and
    # those bytes must not linger in free pages or the WAL.
    ("secure_delete", "ON"),
)


def open_engine(url: str, **kwargs: Any) -> Engine:
    """Return an engine for `url`, configured for the event log.

    Parameters:
      url: an SQLAlchemy URL, ``sqlite:///path/to/file.db`` or
        ``postgresql+psycopg://user@host:port/db`` (query parameters such as
        ``?options=-csearch_path%3Dschema`` are passed to psycopg).
      **kwargs: passed on to `sqlalchemy.create_engine`.

    For SQLite the parent directory is created, the pragmas in `SQLITE_PRAGMAS` are set
    on every connection, pysqlite's own transaction handling is switched off and every
    transaction begins with an explicit ``BEGIN IMMEDIATE`` (see `SQLITE_BEGIN`; use
    `reading_engine` for read-only work). For PostgreSQL, connections are pinged before
    use so a restarted server does not break the pool.
    """
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _open_sqlite(parsed, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(parsed, **kwargs)


def is_sqlite(engine: Engine) -> bool:
    """Return whether `engine` talks to SQLite."""
    return engine.dialect.name == "sqlite"


def reading_engine(engine: Engine) -> Engine:
    """Return a view of `engine` (same pool) whose SQLite transactions begin DEFERRED.

    Use it for read-only work so readers do not queue behind writers for the write
    lock; on PostgreSQL it is the same engine.
    """
    if not is_sqlite(engine):
        return engine
    return engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})


def _open_sqlite(url: sa.URL, **kwargs: Any) -> Engine:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise InvalidSetting(f"the event log needs an SQLite file, not {url.database!r}")
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # None = autocommit at the driver level: pysqlite no longer sends its own BEGIN
        # (deferred, and only before DML), so the "begin" hook below decides.
        assert isinstance(dbapi_connection, sqlite3.Connection)
        dbapi_connection.isolation_level = None
        for name, value in SQLITE_PRAGMAS:
            dbapi_connection.execute(f"PRAGMA {name}={value}").close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        if mode not in _BEGIN_MODES:
            raise ValueError(f"{SQLITE_BEGIN} must be one of {_BEGIN_MODES}, not {mode!r}")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine

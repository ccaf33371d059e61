"""The append-only event log: optimistic concurrency, idempotent appends, a gapless global order."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from events.clock import Clock
from events.database import is_sqlite, reading_engine
from events.envelope import NewEvent, StoredEvent

ANY: Final = None
"""`expected_version` meaning "append whatever the stream's version is"."""

# Rows fetched per page by `read_all`: big enough that per-query costs vanish, small
# enough that a million-event log never sits in memory at once.
PAGE_SIZE: Final = 2000

# How long a PostgreSQL writer waits for the table lock before giving up.
LOCK_TIMEOUT: Final = "10s"

# Ids per `IN (...)` list: well under SQLite's and PostgreSQL's parameter limits.
_ID_CHUNK: Final = 500

metadata = sa.MetaData()

# Aware timestamps: PostgreSQL has a type for them; SQLite gets fixed-width ISO 8601 text
# in UTC, which sorts like time and reads back with `datetime.fromisoformat`.
_Timestamp = sa.Text().with_variant(sa.TIMESTAMP(timezone=True), "postgresql")

events_table = sa.Table(
    "events",
    metadata,
    # SQLite: INTEGER PRIMARY KEY, the rowid itself. Without AUTOINCREMENT SQLite hands
    # out max(rowid) + 1, which never goes back because the guards below refuse DELETE;
    # AUTOINCREMENT would only add a sqlite_sequence write to every append.
    sa.Column(
        "position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.Identity(always=True),
        primary_key=True,
    ),
    sa.Column("event_id", sa.Text(), nullable=False),
    sa.Column("stream_id", sa.Text(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("type", sa.Text(), nullable=False),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("occurred_at", _Timestamp, nullable=False),
    sa.Column("recorded_at", _Timestamp, nullable=False),
    sa.Column("causation_id", sa.Text()),
    sa.Column("correlation_id", sa.Text()),
    sa.UniqueConstraint("event_id", name="events_event_id_key"),
    sa.UniqueConstraint("stream_id", "version", name="events_stream_version_key"),
    sa.CheckConstraint("version >= 1", name="events_version_positive"),
)
#: The events that say something failed or was given up (status lists the recent ones).
FAILURES: Final = ("account.sync_failed", "action.failed", "action.skipped")
#: How far apart the clocks of the processes writing one log may be.
CLOCK_SKEW: Final = timedelta(days=1)

_SQLITE_GUARDS: Final = (
    "CREATE TRIGGER IF NOT EXISTS events_refuse_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END",
    "CREATE TRIGGER IF NOT EXISTS events_refuse_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END",
)

_POSTGRES_GUARDS: Final = (
    "CREATE OR REPLACE FUNCTION events_refuse_change() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'events are append-only: % refused', TG_OP "
    "USING ERRCODE = 'restrict_violation'; END $$",
    "CREATE OR REPLACE TRIGGER events_refuse_update_delete BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION events_refuse_change()",
    "CREATE OR REPLACE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events "
    "FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()",
)

# Statements in qmark style; `_driver_sql` turns "?" into psycopg's "%s".
_INSERT: Final = (
    "INSERT INTO events (event_id, stream_id, version, type, schema_version, payload, "
    "occurred_at, recorded_at, causation_id, correlation_id) "
)
_INSERT_ROWS: Final = _INSERT + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
# The first row of an append with an expected version goes in only if the stream is at
# that version (the first "?" is true when there is nothing to check): the unique
# (stream_id, version) stops an append behind the stream, this condition one ahead of it.
_INSERT_FIRST: Final = (
    "INSERT INTO events (event_id, stream_id, version, type, schema_version, payload, "
    "occurred_at, recorded_at, causation_id, correlation_id) "
    "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? "
    "WHERE ? OR EXISTS (SELECT 1 FROM events WHERE stream_id = ? AND version = ?)"
)
_RETURNING: Final = " RETURNING position"
_SELECT: Final = (
    "SELECT position, event_id, stream_id, version, type, schema_version, payload, "
    "occurred_at, recorded_at, causation_id, correlation_id FROM events "
)
_SELECT_STREAM: Final = _SELECT + "WHERE stream_id = ? AND version > ? ORDER BY version"
_SELECT_PAGE: Final = _SELECT + "WHERE position > ? ORDER BY position LIMIT ?"
_SELECT_RECORDS: Final = (
    "SELECT position, type, schema_version, payload, occurred_at FROM events "
    "WHERE position > ? AND position <= ? ORDER BY position LIMIT ?"
)
# Insert order equals commit order: see the class docstring.
_LOCK_EVENTS: Final = "LOCK TABLE events IN EXCLUSIVE MODE"
_SELECT_VERSION: Final = "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?"

_Row = Sequence[Any]

Record = tuple[int, str, int, str, str]
"""An event as `EventStore.read_records` yields it: position, type, schema version,
payload as JSON text, occurred_at as ``datetime.isoformat()`` text (UTC)."""


class StoreError(Exception):
    """The event store refused an operation."""


class ConcurrencyError(StoreError):
    """The stream is not at the version the append expected; nothing was written.

    Parameters:
      stream_id: the stream appended to.
      expected: the version the caller expected.
      actual: the stream's version when the conflict was found.
    """

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"stream {stream_id!r}: expected version {expected}, actual version {actual}"
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class DuplicateEventError(StoreError):
    """Some of an append's event ids are stored, but not as exactly that append.

    Either the ids sit in another stream or at other versions, or only some of them are
    stored (a partial match), or the append repeats an id. Nothing was written.

    Parameters:
      message: what was found.
      event_ids: the ids concerned.
    """

    def __init__(self, message: str, event_ids: Collection[str]) -> None:
        super().__init__(message)
        self.event_ids = frozenset(event_ids)


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What an append did.

    Parameters:
      stream_id: the stream appended to.
      version: the stream's version after the append (for an idempotent repeat, the
        version of the append's last event).
      first_position: global position of the append's first event; None when empty.
      last_position: global position of the append's last event; None when empty.
      written: False when the events were already stored (an idempotent repeat) or
        there was nothing to append.
    """

    stream_id: str
    version: int
    first_position: int | None
    last_position: int | None
    written: bool


class _Conflict(Exception):
    """The optimistic write failed; find out why outside the failed transaction."""


_Item = tuple[str, Sequence[NewEvent], int | None]


class EventStore:
    """The event log on SQLite or PostgreSQL, through SQLAlchemy Core.

    Parameters:
      engine: from `events.database.open_engine` (SQLite transactions must begin
        IMMEDIATE, which that engine does).
      clock: gives `recorded_at`.

    Appends try the INSERT first and only look at what is stored when the database
    refuses it, so the usual case costs one statement per append. Writers are
    serialised (SQLite's write lock, PostgreSQL's EXCLUSIVE table lock) so positions
    become visible in order and a reader tailing `read_all` never skips one.
    """

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._reader = reading_engine(engine)
        self._clock = clock
        self._sqlite = is_sqlite(engine)
        sql = _driver_sql(engine)
        self._sql_insert = sql(_INSERT_ROWS)
        self._sql_insert_first = sql(_INSERT_FIRST if self._sqlite else _INSERT_FIRST + _RETURNING)
        self._sql_version = sql(_SELECT_VERSION)
        self._sql_stream = sql(_SELECT_STREAM)
        self._sql_page = sql(_SELECT_PAGE)
        self._sql_records = sql(_SELECT_RECORDS)
        self._sql_begin = (
            "BEGIN IMMEDIATE" if self._sqlite else f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"
        )
        self._dbapi: Any = engine.dialect.loaded_dbapi
        self._writer_lock = threading.Lock()
        self._held: tuple[int, Any] | None = None
        self._timestamp: Callable[[datetime], Any] = _iso_utc if self._sqlite else _aware_utc
        self._to_events: Callable[[Sequence[_Row]], list[StoredEvent]] = (
            _sqlite_events if self._sqlite else _postgres_events
        )

    # -- schema ---------------------------------------------------------------------

    def create_schema(self) -> None:
        """Create the events table, its indexes and the append-only guards; idempotent."""
        with self._engine.begin() as conn:
            if not self._sqlite:
                # Concurrent creators would race between "does it exist" and CREATE.
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4242000001)")
            metadata.create_all(conn)
            for statement in _SQLITE_GUARDS if self._sqlite else _POSTGRES_GUARDS:
                conn.execute(sa.text(statement))

    # -- writing --------------------------------------------------------------------

    def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        """Append `events` to `stream_id`, all or nothing.

        Parameters:
          stream_id: the stream.
          events: the events, in order; their ids must be unique.
          expected_version: the stream's current version (0 for a new stream), or
            `ANY` to skip the check.

        Raises `ConcurrencyError` when the stream is at another version and
        `DuplicateEventError` when some ids are stored but not as exactly this append.
        Repeating an append that is already stored succeeds and writes nothing.
        """
        return self.append_batch([(stream_id, events, expected_version)])[0]

    def append_batch(self, batch: Sequence[_Item]) -> list[AppendResult]:
        """Append to several streams in one transaction, all or nothing.

        Parameters:
          batch: ``(stream_id, events, expected_version)`` items, applied in order (an
            item may expect the version an earlier item on the same stream leaves).

        Items already stored are idempotent repeats (``written=False``); the others are
        written together. Errors are those of `append`; on an error nothing is written.
        """
        items = [(stream_id, list(events), expected) for stream_id, events, expected in batch]
        _check_items(items)
        results: list[AppendResult | None] = [None] * len(items)
        pending = list(range(len(items)))
        while pending:
            try:
                written = self._write([items[i] for i in pending])
            except _Conflict as conflict:
                repeats = self._analyse([items[i] for i in pending])
                if not repeats:
                    # Nothing explains the refusal: not ours to hide.
                    raise StoreError(f"append refused: {conflict.__cause__}") from conflict
                for offset, result in sorted(repeats.items(), reverse=True):
                    results[pending[offset]] = result
                    del pending[offset]
                continue
            for index, result in zip(pending, written, strict=True):
                results[index] = result
            break
        return [result for result in results if result is not None]

    def _write(self, items: list[tuple[str, list[NewEvent], int | None]]) -> list[AppendResult]:
        """Write `items` in one transaction, translating the driver's errors.

        Straight on the DBAPI connection: SQLAlchemy's Connection and transaction
        bookkeeping cost more per append than SQLite's own work. On SQLite, appends from
        this process share one connection of their own under a lock: SQLite lets one
        writer in at a time anyway, and checking a connection out of the pool and
        resetting it on return cost a fifth of a one-event append. On PostgreSQL each
        append checks one out of the pool, whose pre-ping survives a server restart.
        """
        try:
            if self._sqlite:
                with self._writer_lock:
                    return self._write_on(self._sqlite_writer(), items)
            connection = self._engine.raw_connection()
            try:
                return self._write_on(connection, items)
            finally:
                connection.close()
        except self._dbapi.IntegrityError as error:
            raise _Conflict from error
        except self._dbapi.Error as error:
            if self._sqlite:
                # Whatever went wrong, the next append starts on a fresh connection.
                self._held = None
            # The same exceptions SQLAlchemy raises everywhere else.
            raise sa.exc.DBAPIError.instance(
                None, None, error, self._dbapi.Error, dialect=self._engine.dialect
            ) from error

    def _write_on(
        self, connection: Any, items: list[tuple[str, list[NewEvent], int | None]]
    ) -> list[AppendResult]:
        recorded_at = self._timestamp(self._clock.now())
        timestamp = self._timestamp
        encode = _encode_json
        sqlite = self._sqlite
        # One event at a known version is one INSERT statement, which SQLite runs as a
        # transaction of its own: it takes the write lock when the statement starts (as
        # BEGIN IMMEDIATE would) and commits when it ends, so the explicit BEGIN and
        # COMMIT round trips are left out. PostgreSQL always needs the table lock first.
        alone = sqlite and len(items) == 1 and len(items[0][1]) == 1 and items[0][2] is not None
        cursor = connection.cursor()
        try:
            if not alone:
                cursor.execute(self._sql_begin)
            if not sqlite:
                cursor.execute(_LOCK_EVENTS)
            results = []
            for stream_id, events, expected in items:
                if not events or expected is None:
                    cursor.execute(self._sql_version, (stream_id,))
                    actual: int = cursor.fetchone()[0]
                    if not events:
                        if expected is not None and expected != actual:
                            raise _Conflict
                        results.append(AppendResult(stream_id, actual, None, None, False))
                        continue
                    base = actual
                else:
                    base = expected
                rows = [
                    (
                        e.event_id,
                        stream_id,
                        base + n,
                        e.type,
                        e.schema_version,
                        encode(e.payload),
                        timestamp(e.occurred_at),
                        recorded_at,
                        e.causation_id,
                        e.correlation_id,
                    )
                    for n, e in enumerate(events, start=1)
                ]
                cursor.execute(self._sql_insert_first, (*rows[0], not base, stream_id, base))
                if sqlite:
                    # No RETURNING: the row count and rowid say the same, cheaper.
                    if cursor.rowcount != 1:
                        raise _Conflict
                    first = cursor.lastrowid
                else:
                    inserted = cursor.fetchone()
                    if inserted is None:
                        raise _Conflict
                    first = inserted[0]
                if len(rows) > 1:
                    cursor.executemany(self._sql_insert, rows[1:])
                # Writers hold the write lock (SQLite) or the EXCLUSIVE table lock
                # (PostgreSQL), so nobody else draws positions meanwhile: ours are
                # consecutive.
                last = first + len(rows) - 1
                results.append(AppendResult(stream_id, base + len(rows), first, last, True))
            if not alone:
                connection.commit()
            return results
        except BaseException:
            connection.rollback()
            raise
        finally:
            cursor.close()

    def _sqlite_writer(self) -> Any:
        held = self._held
        if held is None or held[0] != os.getpid():
            # A connection made by the engine (so with its pragmas), then detached from
            # the pool: it is this store's alone and closes when the store goes. One
            # inherited through fork is left alone, never used (SQLite forbids that).
            fairy = self._engine.raw_connection()
            fairy.detach()
            held = self._held = (os.getpid(), fairy.dbapi_connection)
        return held[1]

    def _analyse(
        self, items: list[tuple[str, list[NewEvent], int | None]]
    ) -> dict[int, AppendResult]:
        """Return the items that are idempotent repeats, by index, or raise what went wrong.

        Replays the batch against what is stored: stored events never change, so what
        made the write fail is still there to see.
        """
        ids = [e.event_id for _, events, _ in items for e in events]
        stored = self._locate(ids)
        versions: dict[str, int] = {}
        repeats: dict[int, AppendResult] = {}
        for index, (stream_id, events, expected) in enumerate(items):
            if stream_id not in versions:
                versions[stream_id] = self.stream_version(stream_id)
            found = [stored[e.event_id] for e in events if e.event_id in stored]
            if events and len(found) == len(events):
                repeats[index] = _repeat(stream_id, events, expected, found)
                continue
            if found:
                raise DuplicateEventError(
                    f"stream {stream_id!r}: {len(found)} of {len(events)} event ids are "
                    "already stored (a partial match); nothing written",
                    [e.event_id for e in events if e.event_id in stored],
                )
            actual = versions[stream_id]
            if expected is not None and expected != actual:
                raise ConcurrencyError(stream_id, expected, actual)
            versions[stream_id] = actual + len(events)
        return repeats

    def _locate(self, event_ids: Sequence[str]) -> dict[str, tuple[str, int, int]]:
        """Return ``event_id -> (stream_id, version, position)`` for the stored ids."""
        found: dict[str, tuple[str, int, int]] = {}
        with self._reader.connect() as conn:
            for chunk in _chunks(event_ids):
                query = sa.select(
                    events_table.c.event_id,
                    events_table.c.stream_id,
                    events_table.c.version,
                    events_table.c.position,
                ).where(events_table.c.event_id.in_(chunk))
                for event_id, stream_id, version, position in conn.execute(query):
                    found[event_id] = (stream_id, version, position)
        return found

    # -- reading --------------------------------------------------------------------

    def read_stream(self, stream_id: str, after_version: int = 0) -> list[StoredEvent]:
        """Return the events of `stream_id` with a version above `after_version`, in order."""
        with self._reader.connect() as conn:
            rows = conn.exec_driver_sql(self._sql_stream, (stream_id, after_version)).fetchall()
        return self._to_events(rows)

    def read_all(
        self,
        after_position: int = 0,
        limit: int | None = None,
        types: Collection[str] | None = None,
    ) -> Iterator[StoredEvent]:
        """Yield the log's events in position order, fetched page by page.

        Parameters:
          after_position: yield events after this position (0: from the start); a
            tailing reader passes the last position it has seen.
          limit: stop after this many events (None: to the end).
          types: only events of these types (None: all).

        Each page is read in its own short transaction, so a slow consumer neither
        holds a snapshot nor blocks writers.
        """
        wanted = None if types is None else tuple(types)
        if wanted == ():
            return
        to_events = self._to_events
        position = after_position
        remaining = limit
        while remaining is None or remaining > 0:
            size = PAGE_SIZE if remaining is None else min(PAGE_SIZE, remaining)
            rows = self._page(position, size, wanted)
            yield from to_events(rows)
            if len(rows) < size:
                return
            position = rows[-1][0]
            if remaining is not None:
                remaining -= len(rows)

    def recent_failures(self, since: datetime, limit: int) -> list[StoredEvent]:
        """The last `limit` events of the `FAILURES` types that occurred from `since` on,
        in position order. Read from where the log was written at `since` on (less
        `CLOCK_SKEW`), so the cost is the recent events', however long the log. (An index
        of the failures cost a tenth of every append of other events.)"""
        column = events_table.c
        query = (
            sa.select(*events_table.columns)
            .where(
                column.position >= self.position_at(since - CLOCK_SKEW),
                column.type.in_(FAILURES),
                column.occurred_at >= self._timestamp(since),
            )
            .order_by(column.position.desc())
            .limit(limit)
        )
        with self._reader.connect() as conn:
            rows = conn.execute(query).fetchall()
        return self._to_events(rows[::-1])

    def position_at(self, moment: datetime) -> int:
        """The first position recorded at `moment` or later (past the end: none was), by
        bisecting the positions: `recorded_at` grows with them, read from the store's
        clock as each append commits in turn."""
        column = events_table.c
        bound = self._timestamp(moment)
        first = (
            sa.select(column.position, column.recorded_at)
            .where(column.position >= sa.bindparam("at"))
            .order_by(column.position)
            .limit(1)
        )
        low, high = 1, self.head() + 1
        with self._reader.connect() as conn:
            while low < high:
                middle = (low + high) // 2
                found = conn.execute(first, {"at": middle}).first()
                if found is None or found[1] >= bound:
                    high = middle
                else:
                    low = found[0] + 1
        return low

    def read_records(self, after_position: int, until_position: int) -> Iterator[Record]:
        """Yield ``(position, type, schema_version, payload JSON, occurred_at ISO)``
        for the positions in ``(after_position, until_position]``, in order.

        The replay path of projections: payloads stay undecoded (a view skips most
        types unread) and `occurred_at` comes as ``datetime.isoformat()`` text without
        a datetime in between, since reducers keep times as text anyway. Paged like
        `read_all`.
        """
        position = after_position
        sql = self._sql_records
        while position < until_position:
            connection = self._engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute(sql, (position, until_position, PAGE_SIZE))
                rows: Sequence[_Row] = cursor.fetchall()
                cursor.close()
                connection.rollback()
            finally:
                connection.close()
            if self._sqlite:
                # Stored "YYYY-MM-DDTHH:MM:SS.ffffff+00:00" as `isoformat()` prints it,
                # without a zero fraction; inline, as a call per event cost a tenth of
                # the replay.
                yield from [
                    (r[0], r[1], r[2], r[3], r[4][:19] + r[4][26:])
                    if r[4][19:26] == ".000000"
                    else (r[0], r[1], r[2], r[3], r[4])
                    for r in rows
                ]
            else:
                yield from [
                    (r[0], r[1], r[2], r[3], r[4].astimezone(UTC).isoformat()) for r in rows
                ]
            if len(rows) < PAGE_SIZE:
                return
            position = rows[-1][0]

    def _page(self, after: int, size: int, types: tuple[str, ...] | None) -> Sequence[_Row]:
        if types is None:
            # The hot path (rebuilds, tailing): one statement on the pooled DBAPI
            # connection, plain tuples, no per-row Row objects. One SELECT is its own
            # snapshot on both databases.
            connection = self._engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute(self._sql_page, (after, size))
                rows: Sequence[_Row] = cursor.fetchall()
                cursor.close()
                connection.rollback()
            finally:
                connection.close()
            return rows
        with self._reader.connect() as conn:
            column = events_table.c
            query = (
                sa.select(*events_table.columns)
                .where(column.position > after, column.type.in_(types))
                .order_by(column.position)
                .limit(size)
            )
            return conn.execute(query).fetchall()

    def stream_version(self, stream_id: str) -> int:
        """Return the version of `stream_id`: its last event's version, 0 when empty."""
        with self._reader.connect() as conn:
            return self._version(conn, stream_id)

    def head(self) -> int:
        """Return the last position in the log, 0 when empty."""
        with self._reader.connect() as conn:
            value = conn.exec_driver_sql("SELECT COALESCE(MAX(position), 0) FROM events").scalar()
        return int(value or 0)

    def contains(self, event_id: str) -> bool:
        """Return whether an event with `event_id` is stored."""
        return bool(self.existing([event_id]))

    def existing(self, event_ids: Collection[str]) -> set[str]:
        """Return those of `event_ids` that are stored."""
        return set(self._locate(list(event_ids)))

    def _version(self, conn: Connection, stream_id: str) -> int:
        return int(conn.exec_driver_sql(self._sql_version, (stream_id,)).scalar() or 0)


def _check_items(items: list[tuple[str, list[NewEvent], int | None]]) -> None:
    seen: set[str] = set()
    for stream_id, events, expected in items:
        if not stream_id:
            raise ValueError("stream_id must not be empty")
        if expected is not None and expected < 0:
            raise ValueError(f"expected_version must be >= 0 or ANY, not {expected}")
        for e in events:
            if e.event_id in seen:
                raise DuplicateEventError(
                    f"event id {e.event_id!r} appears twice in one append", [e.event_id]
                )
            seen.add(e.event_id)


def _repeat(
    stream_id: str,
    events: list[NewEvent],
    expected: int | None,
    found: list[tuple[str, int, int]],
) -> AppendResult:
    """Return the result of an append found stored already, or raise if it is not exactly it."""
    streams = {s for s, _, _ in found}
    versions = [v for _, v, _ in found]
    start = versions[0] if expected is None else expected + 1
    if streams == {stream_id} and versions == list(range(start, start + len(events))):
        return AppendResult(stream_id, versions[-1], found[0][2], found[-1][2], False)
    where = ", ".join(f"{s}@{v}" for s, v, _ in found)
    raise DuplicateEventError(
        f"stream {stream_id!r}: the event ids are already stored elsewhere ({where}); "
        "nothing written",
        [e.event_id for e in events],
    )


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _ID_CHUNK):
        yield values[start : start + _ID_CHUNK]


def _driver_sql(engine: Engine) -> Callable[[str], str]:
    """Return a function adapting a qmark statement to the engine's driver."""
    if is_sqlite(engine):
        return str
    return lambda statement: statement.replace("?", "%s")


def _iso_utc(moment: datetime) -> str:
    if moment.tzinfo is not UTC:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"timestamps must be aware, got {moment!r}")
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def _aware_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timestamps must be aware, got {moment!r}")
    return moment.astimezone(UTC)


_std_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_std_decode = json.JSONDecoder().decode


# Payloads go through orjson: encoding and decoding them was the largest share of an
# append of many events and of a read (several times faster than the standard
# library's, and the same compact text). What orjson refuses (integers past 64 bits,
# lone surrogates) is written and read by the standard library as before.
def _encode_json(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError as error:  # orjson.JSONEncodeError
        if _has_big_int(value):
            # Refused rather than written: orjson would read it back as a float.
            raise ValueError("event payload integers must fit in 64 bits") from error
        return _std_encode(value)


def _has_big_int(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return not -(2**63) <= value < 2**64
    if isinstance(value, dict):
        return any(_has_big_int(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_big_int(v) for v in value)
    return False


def loads_payload(text: str | bytes) -> Any:
    """Decode a stored payload (or sealed personal fields, as bytes)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return _std_decode(text if isinstance(text, str) else text.decode())


_from_iso = datetime.fromisoformat


_new_tuple = tuple.__new__


def _sqlite_events(rows: Sequence[_Row]) -> list[StoredEvent]:
    # Built in one comprehension through tuple.__new__: two Python calls per event
    # (a helper and the named tuple's __new__) were a quarter of reading the log.
    loads, iso, cls = loads_payload, _from_iso, StoredEvent
    return [
        _new_tuple(
            cls,
            (r[0], r[1], r[2], r[3], r[4], r[5], loads(r[6]), iso(r[7]), iso(r[8]), r[9], r[10]),
        )
        for r in rows
    ]


def _postgres_events(rows: Sequence[_Row]) -> list[StoredEvent]:
    loads, cls = loads_payload, StoredEvent
    return [
        _new_tuple(
            cls,
            (
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                loads(r[6]),
                r[7].astimezone(UTC),
                r[8].astimezone(UTC),
                r[9],
                r[10],
            ),
        )
        for r in rows
    ]

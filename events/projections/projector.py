"""Keeps projections current: catch-up from the log and rebuild from scratch.

Each projection's checkpoint (the last log position it applied) is written in the
same transaction as its rows and only moves forward through a conditional update,
so two processes catching up at once apply every event exactly once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Generic, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from events.codec import Codec
from events.database import is_sqlite, reading_engine
from events.errors import UserError
from events.projections.accounts import Accounts
from events.projections.base import Fact, Projection, Rows
from events.projections.drafts import Drafts
from events.projections.meetings import Meetings
from events.projections.pipeline import Pipeline
from events.projections.referrals import Referrals
from events.projections.rows import R, Row
from events.projections.tables import checkpoints, insert_rows, metadata, table_for
from events.store import EventStore, loads_payload
from events.types import EventType

log = logging.getLogger(__name__)


#: A catch-up of more events than this loads every row at once rather than row by row.
LOAD_ALL_AFTER = 2_000


class UnknownProjection(UserError, KeyError):
    """A view named on the command line that does not exist."""


class CheckpointMoved(RuntimeError):
    """Another process advanced a checkpoint while this one was applying the same events."""


class Dater(Protocol):
    """Sets the rows' next due moments (`due_at`) from the views as they now stand.

    `changed` names each view's rows that changed (None: all, as after a rebuild); the
    dater re-dates them and the rows depending on them, and `touch`es each row whose
    `due_at` it changed so it is written with the rest. The policies that say when work
    comes due live in the worker, so the worker injects this (docs/performance.md).
    """

    def __call__(
        self, views: Mapping[str, Rows[Any]], changed: Mapping[str, set[str]] | None
    ) -> None: ...


def default_projections() -> tuple[Projection[Any], ...]:
    return (Pipeline(), Meetings(), Drafts(), Referrals(), Accounts())


#: Event types no view reads: failures and outcomes are read from the log itself (by the
#: history, status and the notes' next message). Every other type must be in some view's
#: table; tests/events/test_dispatch.py checks that the two together cover the log.
UNVIEWED: frozenset[EventType] = frozenset({"action.failed", "outcome.recorded"})


class Projector:
    """Runs projections over the log.

    Parameters:
      engine: the database holding the projection tables (the log's own database).
      store: the event log.
      codec: opens personal fields (forgotten contacts' fields stay closed).
      projections: which views to maintain; all four by default.
    """

    def __init__(
        self,
        engine: Engine,
        store: EventStore,
        codec: Codec,
        projections: Sequence[Projection[Any]] | None = None,
        dater: Dater | None = None,
    ) -> None:
        self.engine = engine
        self._reader = reading_engine(engine)
        # One catch-up at a time in this process applies the events (others would apply
        # the same ones, then find the checkpoints moved and apply again).
        self._applying = threading.Lock()
        self.dater = dater
        self.store = store
        self.codec = codec
        self.projections = tuple(projections or default_projections())
        self._by_name = {p.name: p for p in self.projections}
        for p in self.projections:
            table_for(p.row_type)

    def create_schema(self) -> None:
        """Create the views' tables; rebuild any whose stored columns are out of date.

        Views are derived data, so a table written by an older release (a column added
        or gone) is dropped and rebuilt from the log, instead of being migrated.
        """
        stale = self._stale_views()
        if stale:
            with self.engine.begin() as conn:
                for p in stale:
                    log.info("view %s changed shape since it was built: rebuilding it", p.name)
                    table_for(p.row_type).drop(conn, checkfirst=True)
        metadata.create_all(self.engine)
        inspector = sa.inspect(self.engine)
        for p in self.projections:
            table = table_for(p.row_type)
            have = {i["name"] for i in inspector.get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in have:  # added since the table was made
                    index.create(self.engine, checkfirst=True)
        if stale:
            self.rebuild([p.name for p in stale])

    def _stale_views(self) -> list[Projection[Any]]:
        inspector = sa.inspect(self.engine)
        stale = []
        for p in self.projections:
            table = table_for(p.row_type)
            if not inspector.has_table(table.name):
                continue
            stored = {c["name"] for c in inspector.get_columns(table.name)}
            if stored != {c.name for c in table.columns}:
                stale.append(p)
        return stale

    def projection(self, name: str) -> Projection[Any]:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name)
            raise UnknownProjection(f"unknown projection {name!r} (known: {known})") from None

    # --- reading --------------------------------------------------------------------
    #
    # Reads go through the reading engine: on SQLite a connection of the main engine
    # begins IMMEDIATE, taking the file's write lock for as long as the read lasts (a
    # tick's reads held it 1.6 s during a first sync, and the heartbeat failed waiting).

    def reading(self) -> Connection:
        """A connection for reads only, holding no write lock (use as a context manager)."""
        return self._reader.connect()

    def rows(self, row_type: type[R], conn: Connection | None = None) -> list[R]:
        """All rows of one view, as typed rows."""
        table = table_for(row_type)
        if conn is None:
            with self._reader.connect() as own:
                return self.rows(row_type, own)
        return typed(row_type, conn.execute(sa.select(table)))

    def find(self, row_type: type[R], conn: Connection | None = None, **equal: Any) -> list[R]:
        """The rows of one view whose columns equal the given values (an indexed read
        when the columns are indexed; a list value means any of them)."""
        table = table_for(row_type)
        return self.query(row_type, *_equal(table, equal), conn=conn)

    def get(self, row_type: type[R], key: str, conn: Connection | None = None) -> R | None:
        """One row by its key (None: no such row)."""
        found = self.find(row_type, conn, **{row_type.KEY: key})
        return found[0] if found else None

    def query(
        self,
        row_type: type[R],
        *where: sa.ColumnElement[bool],
        order_by: Sequence[sa.ColumnElement[Any]] = (),
        limit: int | None = None,
        offset: int | None = None,
        conn: Connection | None = None,
    ) -> list[R]:
        """The rows matching `where` (expressions over `columns(row_type)`), in SQL order."""
        query = sa.select(table_for(row_type)).where(*where).order_by(*order_by)
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        if conn is None:
            with self._reader.connect() as own:
                return typed(row_type, own.execute(query))
        return typed(row_type, conn.execute(query))

    def select(
        self, statement: sa.Executable, conn: Connection | None = None
    ) -> list[tuple[Any, ...]]:
        """A statement over the views' tables (some columns, counts, sums), as plain rows:
        a page reads only the columns it shows."""
        if conn is None:
            with self._reader.connect() as own:
                return [tuple(r) for r in own.execute(statement)]
        return [tuple(r) for r in conn.execute(statement)]

    @staticmethod
    def columns(row_type: type[Row]) -> Any:
        """The table columns of a view, for `query` and `select` (`columns(ContactRow).stage`)."""
        return table_for(row_type).c

    def due_by(self, row_type: type[R], moment: str, conn: Connection) -> list[R]:
        """The rows whose next due moment (`due_at`, indexed) is at or before `moment`."""
        table = table_for(row_type)
        query = sa.select(table).where(table.c.due_at <= moment)
        return typed(row_type, conn.execute(query))

    def since(
        self, row_type: type[R], column: str, moment: str, conn: Connection, **equal: Any
    ) -> list[R]:
        """The rows whose `column` (indexed) is at or after `moment`, with equal values."""
        table = table_for(row_type)
        query = sa.select(table).where(table.c[column] >= moment)
        for name, value in equal.items():
            query = query.where(table.c[name] == value)
        return typed(row_type, conn.execute(query))

    def checkpoint(self, name: str) -> int:
        with self._reader.connect() as conn:
            return self._checkpoints(conn, [name])[name]

    # --- catching up ----------------------------------------------------------------

    def catch_up(self, *, retries: int = 3) -> int:
        """Apply every event appended since the checkpoints; return how many facts applied.

        On SQLite the events are applied optimistically, outside the write lock; a
        catch-up that keeps losing the race to another process's (a command's slower
        catch-up against a worker's frequent ones during a first sync) makes its last
        attempt under the lock, so it always ends. By then the other process has applied
        most of the events, so the lock is held for the few appended since.
        """
        for attempt in range(retries + 1):
            try:
                return self._catch_up_once(under_lock=attempt == retries)
            except CheckpointMoved:
                if attempt == retries:
                    raise
                log.debug("checkpoint moved under us; catching up again")
        return 0

    def _catch_up_once(self, *, under_lock: bool = False) -> int:
        head = self.store.head()
        names = list(self._by_name)
        if not is_sqlite(self.engine) or under_lock:
            # Row locks on the checkpoints: a second catch-up waits for the first, and
            # nothing else (appends, readers) waits for either.
            with self.engine.begin() as conn:
                cps = self._checkpoints(conn, names, lock=True)
                if head <= min(cps.values()):
                    return 0
                states, applied = self._apply(conn, cps, head)
                self._write(conn, states, cps, head)
                return applied
        # SQLite has one write lock for the whole file: the events are applied in a read
        # transaction (a snapshot, no lock), and only their rows are written under the
        # lock, if no other catch-up moved the checkpoints meanwhile. Applying thousands
        # of events at 50,000 people took 14 s, and every writer waited that long (or
        # failed on the busy timeout).
        with self._applying:
            with self._reader.begin() as conn:
                cps = self._checkpoints(conn, names, create=False)
                if head <= min(cps.values()):
                    return 0
                states, applied = self._apply(conn, cps, head)
            with self.engine.begin() as conn:
                now_at = self._checkpoints(conn, names)
                if now_at != cps:
                    if head <= min(now_at.values()):
                        return 0  # another catch-up applied all of these meanwhile
                    raise CheckpointMoved(", ".join(names))
                self._write(conn, states, cps, head)
            return applied

    def _apply(
        self, conn: Connection, cps: dict[str, int], head: int
    ) -> tuple[dict[str, Rows[Any]], int]:
        """The views' rows changed by the events after `cps` up to `head` (read through
        `conn`), dated; and how many facts applied."""
        start = min(cps.values())
        if head - start > LOAD_ALL_AFTER:
            states = {p.name: Rows(self._load(conn, p.row_type)) for p in self.projections}
        else:
            # A few events touch a few rows: load those (and what the dater reads).
            states = {p.name: Rows(source=_TableSource(conn, p.row_type)) for p in self.projections}
        applied = self._replay(states, cps, start, head)
        if self.dater is not None:
            self.dater(states, {name: set(rows.dirty) for name, rows in states.items()})
        return states, applied

    def _write(
        self, conn: Connection, states: dict[str, Rows[Any]], cps: dict[str, int], head: int
    ) -> None:
        """Write the changed rows and move each checkpoint from `cps` to `head`."""
        for p in self.projections:
            self._write_dirty(conn, p.row_type, states[p.name])
            moved = conn.execute(
                checkpoints.update()
                .where(checkpoints.c.name == p.name, checkpoints.c.position == cps[p.name])
                .values(position=head)
            ).rowcount
            if moved != 1:
                raise CheckpointMoved(p.name)

    def rebuild(self, names: Iterable[str] | None = None) -> int:
        """Rebuild views from the whole log in one transaction; return events applied.

        Truncating, resetting the checkpoint and replaying happen atomically, so a
        reader never sees a half-built view and a crash leaves the old one in place.
        """
        chosen = [self.projection(n) for n in names] if names else list(self.projections)
        head = self.store.head()
        self.codec.keyring.forget_cache()
        self.codec.keyring.load_all()
        states: dict[str, Rows[Any]] = {p.name: Rows() for p in chosen}
        applied = self._replay(states, {p.name: 0 for p in chosen}, 0, head, chosen)
        with self.engine.begin() as conn:
            self._checkpoints(conn, [p.name for p in chosen], lock=True)
            if self.dater is not None:
                # The due moments read every view: those not rebuilt are read as stored.
                views = {
                    p.name: states.get(p.name) or Rows(self._load(conn, p.row_type))
                    for p in self.projections
                }
                self.dater(views, None)
            for p in chosen:
                table = table_for(p.row_type)
                conn.execute(table.delete())
                insert_rows(conn, p.row_type, states[p.name].rows.values())
                conn.execute(
                    checkpoints.update().where(checkpoints.c.name == p.name).values(position=head)
                )
        return applied

    def _replay(
        self,
        states: dict[str, Rows[Any]],
        cps: dict[str, int],
        start: int,
        head: int,
        chosen: Sequence[Projection[Any]] | None = None,
    ) -> int:
        chosen = chosen or self.projections
        # Per event type as stored: the type as the views' tables know it, the
        # projections reading it, and whether any needs its personal fields opened.
        by_type: dict[str, tuple[EventType, list[Projection[Any]], bool]] = {}
        for p in chosen:
            for t in p.handles:
                _, readers, opens = by_type.get(t, (t, [], False))
                by_type[t] = (t, [*readers, p], opens or p.opens(t))
        open_payload = self.codec.open
        loads = loads_payload
        applied = 0
        # A rebuild starts every view at 0: no per-view checkpoint to compare with.
        check = any(cps[p.name] > start for p in chosen)
        for position, type_, schema_version, text, occurred_at in self.store.read_records(
            start, head
        ):
            found = by_type.get(type_)
            if found is None:
                continue
            known, readers, opens = found
            fact: Fact | None = None
            for p in readers:
                if check and position <= cps[p.name]:
                    continue
                if fact is None:
                    payload = open_payload(type_, schema_version, loads(text), personal=opens)
                    fact = Fact(position, known, occurred_at, payload)
                p.apply(states[p.name], fact)
                applied += 1
        return applied

    # --- storage --------------------------------------------------------------------

    @staticmethod
    def _checkpoints(
        conn: Connection, names: list[str], *, lock: bool = False, create: bool = True
    ) -> dict[str, int]:
        """Read the checkpoints, creating missing ones at 0 (without `create`, reading them
        as 0); with `lock`, hold their rows.

        Locking (PostgreSQL; SQLite's write lock already serialises) makes a second
        catch-up wait for the first and then read where it left off, instead of applying
        the same events again and colliding on the rows the first one wrote.
        """
        query = sa.select(checkpoints.c.name, checkpoints.c.position).where(
            checkpoints.c.name.in_(names)
        )
        found = dict(conn.execute(query).all())
        if not create:
            return {name: found.get(name, 0) for name in names}
        for name in sorted(set(names) - found.keys()):
            try:
                with conn.begin_nested():
                    conn.execute(checkpoints.insert().values(name=name, position=0))
            except sa.exc.IntegrityError:
                pass  # another process created it meanwhile
        if lock:
            query = query.order_by(checkpoints.c.name).with_for_update()
        if lock or found.keys() != set(names):
            found = dict(conn.execute(query).all())
        return found

    @staticmethod
    def _load(conn: Connection, row_type: type[R]) -> dict[str, R]:
        table = table_for(row_type)
        key = row_type.KEY
        out: dict[str, R] = {}
        for r in conn.execute(sa.select(table)):
            data = dict(r._mapping)
            out[data[key]] = row_type(**data)
        return out

    @staticmethod
    def _write_dirty(conn: Connection, row_type: type[Row], rows: Rows[Any]) -> None:
        if not rows.dirty:
            return
        table = table_for(row_type)
        keys = sorted(rows.dirty)
        key_col = table.c[row_type.KEY]
        for i in range(0, len(keys), 500):
            conn.execute(table.delete().where(key_col.in_(keys[i : i + 500])))
        insert_rows(conn, row_type, (rows.rows[k] for k in keys if k in rows.rows))
        rows.dirty.clear()


def _equal(table: sa.Table, equal: Mapping[str, Any]) -> list[sa.ColumnElement[bool]]:
    return [
        table.c[name].in_(value) if isinstance(value, list) else table.c[name] == value
        for name, value in equal.items()
    ]


class _TableSource(Generic[R]):
    """A view's stored rows, read as a lazy catch-up asks for them (500 keys a query)."""

    def __init__(self, conn: Connection, row_type: type[R]) -> None:
        self.conn = conn
        self.row_type = row_type
        self.table = table_for(row_type)
        self.key = row_type.KEY

    def fetch(self, column: str, values: Collection[str]) -> list[R]:
        ordered = sorted(values)
        found: list[R] = []
        for i in range(0, len(ordered), 500):
            query = sa.select(self.table).where(self.table.c[column].in_(ordered[i : i + 500]))
            found += typed(self.row_type, self.conn.execute(query))
        return found

    def fetch_all(self) -> list[R]:
        return typed(self.row_type, self.conn.execute(sa.select(self.table)))


def typed(row_type: type[R], result: sa.CursorResult[Any]) -> list[R]:
    """The result's rows as typed rows (by column names zipped with plain tuples: reading
    each through its mapping cost more than the query on a page of a thousand rows)."""
    names = list(result.keys())
    return [row_type(**dict(zip(names, r, strict=True))) for r in result]

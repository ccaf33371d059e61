"""Benchmark: our event store against the eventsourcing library's SQLite application recorder.

    python bench/event_store.py [--events 100000] [--json]

Both sides run in one process, one after the other, on SQLite files in a temporary
directory with the same durability: WAL and ``synchronous=NORMAL``. Ours gets them from
`events.database.SQLITE_PRAGMAS`; eventsourcing's `SQLiteConnectionPool` switches its
connections to WAL itself but leaves ``synchronous`` at SQLite's default (FULL), so
`_PeerPool` sets NORMAL on each of its connections too, and the run checks both sides
report the same journal mode and synchronous level before measuring.

Each side does the work an application needs to get dicts in and out: ours through
`EventStore` (JSON encoding, expected-version check, idempotence guard by unique ids,
UTC timestamps), theirs by JSON-encoding the payload into `StoredEvent.state` and
calling `SQLiteApplicationRecorder.insert_events` (its primary key checks the version),
and on reading `select_notifications` page by page plus `json.loads`. Their mapper and
transcoder (which would add cost to their side) are left out; the standard library's
`json` is what their transcoder uses, while our store encodes payloads with orjson (a
dependency of ours, part of what is measured).

Rows:
  append 1 event/tx    every append is its own transaction (events/5 events, min 2,000)
  append 100 events/tx one stream per transaction
  read whole log       everything the previous row wrote, in position order
  rebuild pipeline projection
                       a log of whole contact lifecycles (personal fields sealed), read,
                       opened (personal fields only where the reducer reads them) and
                       folded into the same reducer on both sides
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.persistence import StoredEvent as PeerEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteDatastore,
)
from sqlalchemy.engine import Engine

from events.clock import SystemClock
from events.codec import Codec
from events.database import open_engine
from events.envelope import NewEvent
from events.ids import new_id
from events.keyring import Keyring
from events.projections.base import Fact, Rows
from events.projections.pipeline import ContactRow, Pipeline
from events.projections.projector import Projector
from events.projections.tables import row_to_dict, table_for
from events.store import PAGE_SIZE, EventStore
from events.types import (
    ContactAdded,
    ContactThanked,
    Event,
    KeptInTouch,
    MeetingConfirmed,
    MeetingMet,
    MeetingScheduled,
    OutreachSent,
    ReachOutRequested,
    ReplyReceived,
)

STREAMS = 1000
TOPIC = "outreach.events:MessageSent"


@dataclass(frozen=True)
class Row:
    """One line of the table: events per second on each side."""

    name: str
    events: int
    ours: float
    theirs: float

    @property
    def ratio(self) -> float:
        return self.ours / self.theirs if self.theirs else float("inf")


# -- the peer, with our durability settings ------------------------------------------------


class _PeerPool(SQLiteConnectionPool):
    """eventsourcing's pool, with ``synchronous=NORMAL`` like ours (it sets WAL itself)."""

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        connection._sqlite_conn.execute("PRAGMA synchronous=NORMAL").close()
        return connection


class _PeerDatastore(SQLiteDatastore):
    def __init__(self, db_name: str) -> None:
        # Stream ids are text on our side too; "uuid" would cost them a UUID() per row.
        super().__init__(db_name, originator_id_type="text")
        self.pool = _PeerPool(db_name=db_name)


def open_peer(path: Path) -> SQLiteApplicationRecorder:
    """Return eventsourcing's application recorder on a new SQLite file at `path`."""
    recorder = SQLiteApplicationRecorder(_PeerDatastore(str(path)))
    recorder.create_table()
    return recorder


def open_ours(path: Path) -> tuple[EventStore, Engine]:
    """Return our store on a new SQLite file at `path`, and its engine."""
    engine = open_engine(f"sqlite:///{path}")
    store = EventStore(engine, SystemClock())
    store.create_schema()
    return store, engine


def durability(ours: Engine, theirs: SQLiteApplicationRecorder) -> dict[str, tuple[str, int]]:
    """Return each side's (journal_mode, synchronous) as its own connections see them."""
    with ours.connect() as conn:
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        mine = (raw.execute("PRAGMA journal_mode").fetchone()[0], _synchronous(raw))
    connection = theirs.datastore.pool.get_connection()
    try:
        peer = connection._sqlite_conn
        peers = (peer.execute("PRAGMA journal_mode").fetchone()[0], _synchronous(peer))
    finally:
        theirs.datastore.pool.put_connection(connection)
    return {"ours": mine, "theirs": peers}


def _synchronous(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA synchronous").fetchone()[0])


# -- workload -------------------------------------------------------------------------------

_T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_T0_ISO = _T0.isoformat()


def payload(rng: random.Random, i: int) -> dict[str, Any]:
    """A realistic event payload, about 300 bytes of JSON."""
    return {
        "contact_id": f"contact-{rng.randrange(10_000):05d}",
        "message_id": f"<{rng.getrandbits(64):016x}.{i}@mail.example.org>",
        "thread_id": f"{rng.getrandbits(48):012x}",
        "provider": rng.choice(["gmail", "outlook"]),
        "template": "first-contact",
        "subject": "Would you have 20 minutes for a short conversation?",
        "to": "gAAAAABmZ" + f"{rng.getrandbits(160):040x}",  # ciphertext, as stored
        "attempt": rng.randint(1, 3),
        "due_at": "2026-03-04T09:00:00+00:00",
    }


def workload(events: int, per_tx: int, seed: int) -> list[tuple[str, list[NewEvent]]]:
    """Return appends of `per_tx` events each to random streams, `events` in all."""
    rng = random.Random(seed)
    appends = []
    for start in range(0, events, per_tx):
        stream = f"contact-{rng.randrange(STREAMS):04d}"
        batch = [
            NewEvent(
                new_id(),
                "outreach.sent",
                1,
                payload(rng, n),
                _T0 + timedelta(seconds=n),
                correlation_id=stream,
            )
            for n in range(start, min(start + per_tx, events))
        ]
        appends.append((stream, batch))
    return appends


# -- the measured work ----------------------------------------------------------------------


def append_ours(store: EventStore, appends: Sequence[tuple[str, list[NewEvent]]]) -> float:
    """Append with the expected version an aggregate would know; return seconds taken."""
    versions: dict[str, int] = {}
    started = time.perf_counter()
    for stream, batch in appends:
        result = store.append(stream, batch, versions.get(stream, 0))
        versions[stream] = result.version
    return time.perf_counter() - started


def append_theirs(
    recorder: SQLiteApplicationRecorder, appends: Sequence[tuple[str, list[NewEvent]]]
) -> float:
    """Append the same events through the peer's recorder; return seconds taken."""
    versions: dict[str, int] = {}
    dumps = json.dumps
    started = time.perf_counter()
    for stream, batch in appends:
        version = versions.get(stream, 0)
        recorder.insert_events(
            [
                PeerEvent(
                    originator_id=stream,
                    originator_version=version + n,
                    topic=TOPIC,
                    state=dumps(e.payload, separators=(",", ":")).encode(),
                )
                for n, e in enumerate(batch, start=1)
            ]
        )
        versions[stream] = version + len(batch)
    return time.perf_counter() - started


def read_ours(store: EventStore) -> tuple[float, int]:
    """Read the whole log; return seconds taken and events read."""
    started = time.perf_counter()
    count = sum(1 for _ in store.read_all())
    return time.perf_counter() - started, count


def read_theirs(recorder: SQLiteApplicationRecorder) -> tuple[float, int]:
    """Read the whole log in pages of our page size, decoding each state; see `read_ours`."""
    loads = json.loads
    count = 0
    start = 1
    started = time.perf_counter()
    while True:
        page = recorder.select_notifications(start, PAGE_SIZE)
        for notification in page:
            loads(notification.state)
        count += len(page)
        if len(page) < PAGE_SIZE:
            break
        start = page[-1].id + 1
    return time.perf_counter() - started, count


def lifecycle(contacts: int, seed: int) -> list[tuple[str, list[Event]]]:
    """Each contact's life, nine events long, as the pipeline view sees it."""
    rng = random.Random(seed)
    at = _T0
    streams: list[tuple[str, list[Event]]] = []
    for n in range(contacts):
        cid = f"{rng.getrandbits(64):016x}-{n}"
        mid = f"m-{cid}"
        message = f"<{cid}@mail.example.org>"
        streams.append(
            (
                cid,
                [
                    ContactAdded(
                        contact_id=cid,
                        name=f"Person {n}",
                        emails=[f"p{n}@example.org"],
                        company="Example",
                        role="Engineer",
                        how_we_know="alumni network",
                    ),
                    ReachOutRequested(contact_id=cid),
                    OutreachSent(
                        contact_id=cid, message_id=message, account_id="a", sent_at=at, subject="Hi"
                    ),
                    ReplyReceived(
                        contact_id=cid,
                        message_id=message + "r",
                        account_id="a",
                        received_at=at,
                        excerpt="Happy to talk",
                    ),
                    MeetingScheduled(
                        contact_id=cid,
                        meeting_id=mid,
                        account_id="a",
                        provider_event_id=mid,
                        start=at,
                        end=at + timedelta(minutes=30),
                        time_zone="Europe/London",
                        place="Video call",
                    ),
                    MeetingConfirmed(
                        contact_id=cid, meeting_id=mid, message_id=message, for_start=at, sent_at=at
                    ),
                    MeetingMet(contact_id=cid, meeting_id=mid),
                    ContactThanked(
                        contact_id=cid, message_id=message + "t", account_id="a", sent_at=at
                    ),
                    KeptInTouch(
                        contact_id=cid, message_id=message + "k", account_id="a", sent_at=at
                    ),
                ],
            )
        )
    return streams


def bench_rebuild(directory: Path, events: int) -> tuple[float, float]:
    """Return (ours, theirs) events/s rebuilding the pipeline view from `events` events.

    Both logs hold the same lifecycle events, encoded once by our codec (personal fields
    sealed per contact). Both sides read their whole log, open the sealed fields, fold
    every event into the same `Pipeline` reducer and write the rows into a table in one
    transaction. Ours is `Projector.rebuild`, checkpoint included; theirs reads through
    `select_notifications`.
    """
    engine = open_engine(f"sqlite:///{directory / 'rebuild-ours.db'}")
    store = EventStore(engine, SystemClock())
    store.create_schema()
    keyring = Keyring(engine, b"k" * 32)
    keyring.create_schema()
    codec = Codec(keyring)
    projector = Projector(engine, store, codec, [Pipeline()])
    projector.create_schema()
    theirs = open_peer(directory / "rebuild-theirs.db")
    total = 0
    for stream, items in lifecycle(events // 9 + 1, seed=7):
        encoded = [codec.encode(e, event_id=new_id(), occurred_at=_T0) for e in items]
        store.append(f"contact-{stream}", encoded, 0)
        theirs.insert_events(
            [
                PeerEvent(
                    originator_id=f"contact-{stream}",
                    originator_version=v,
                    topic=e.type,
                    state=json.dumps(e.payload, separators=(",", ":")).encode(),
                )
                for v, e in enumerate(encoded, start=1)
            ]
        )
        total += len(encoded)

    started = time.perf_counter()
    applied = projector.rebuild()
    ours = time.perf_counter() - started
    if applied != total:
        raise RuntimeError(f"ours applied {applied} of {total} events")

    # The peer side: same reducer, same codec, same rows, its own reading path.
    keyring.forget_cache()
    peer_db = sqlite3.connect(directory / "rebuild-theirs-view.db")
    peer_db.execute("PRAGMA journal_mode=WAL")
    peer_db.execute("PRAGMA synchronous=NORMAL")
    columns = [c.name for c in table_for(ContactRow).columns]
    peer_db.execute(f"CREATE TABLE pipeline ({', '.join(columns)})")
    started = time.perf_counter()
    keyring.load_all()
    reducer = Pipeline()
    rows: Rows[ContactRow] = Rows()
    handled = reducer.handles
    loads = json.loads
    count = 0
    start = 1
    while True:
        page = theirs.select_notifications(start, PAGE_SIZE)
        for note in page:
            topic = note.topic
            if topic not in handled:
                continue
            # Opened as ours are: personal fields only where the reducer reads them.
            payload = codec.open(topic, 1, loads(note.state), personal=reducer.opens(topic))
            reducer.apply(rows, Fact(note.id, topic, _T0_ISO, payload))
            count += 1
        if len(page) < PAGE_SIZE:
            break
        start = page[-1].id + 1
    marks = ", ".join("?" for _ in columns)
    with peer_db:
        peer_db.executemany(
            f"INSERT INTO pipeline VALUES ({marks})",
            [
                tuple(
                    json.dumps(v) if isinstance(v, list | dict) else v
                    for v in row_to_dict(r).values()
                )
                for r in rows.values()
            ],
        )
    peer = time.perf_counter() - started
    peer_db.close()
    if count != total:
        raise RuntimeError(f"theirs applied {count} of {total} events")
    theirs.datastore.close()
    engine.dispose()
    return total / ours, total / peer


# -- the run --------------------------------------------------------------------------------


def run(events: int, directory: Path, rounds: int, log: Callable[[str], None]) -> list[Row]:
    """Run every row on `events` events in `directory`, best of `rounds`; return the rows.

    The machine may be shared, so each side's best round counts, and the sides take
    turns (theirs first in one round, ours first in the next) so neither always runs
    on a warmer or quieter machine.
    """
    single = max(2_000, events // 5)
    ours_1, theirs_1, ours_100, theirs_100, ours_read, theirs_read = ([] for _ in range(6))
    rebuilds: list[tuple[float, float]] = []
    for round_no in range(rounds):
        here = directory / f"round-{round_no}"
        here.mkdir()
        (ours, engine), theirs = open_ours(here / "ours-1.db"), open_peer(here / "theirs-1.db")
        settings = durability(engine, theirs)
        if settings["ours"] != settings["theirs"]:
            raise RuntimeError(f"durability differs: {settings}")
        if round_no == 0:
            log(f"durability (journal_mode, synchronous), both sides: {settings['ours']}")
        appends = workload(single, 1, seed=round_no)
        for side in _turns(round_no):
            if side == "ours":
                ours_1.append(append_ours(ours, appends))
            else:
                theirs_1.append(append_theirs(theirs, appends))
        _close(engine, theirs)

        (ours, engine), theirs = open_ours(here / "ours.db"), open_peer(here / "theirs.db")
        appends = workload(events, 100, seed=100 + round_no)
        for side in _turns(round_no):
            if side == "ours":
                ours_100.append(append_ours(ours, appends))
                seconds, count = read_ours(ours)
                ours_read.append(seconds)
            else:
                theirs_100.append(append_theirs(theirs, appends))
                seconds, count = read_theirs(theirs)
                theirs_read.append(seconds)
            if count != events:
                raise RuntimeError(f"{side} read {count} events, wrote {events}")
        log(
            f"round {round_no + 1}/{rounds}: seconds ours/theirs "
            f"1/tx {ours_1[-1]:.2f}/{theirs_1[-1]:.2f}, "
            f"100/tx {ours_100[-1]:.2f}/{theirs_100[-1]:.2f}, "
            f"read {ours_read[-1]:.2f}/{theirs_read[-1]:.2f}"
        )
        _close(engine, theirs)
        rebuilds.append(bench_rebuild(here, events))

    rows = [
        Row("append 1 event/tx", single, single / min(ours_1), single / min(theirs_1)),
        Row("append 100 events/tx", events, events / min(ours_100), events / min(theirs_100)),
        Row("read whole log", events, events / min(ours_read), events / min(theirs_read)),
    ]
    rows.append(
        Row(
            "rebuild pipeline projection",
            events,
            max(r[0] for r in rebuilds),
            max(r[1] for r in rebuilds),
        )
    )
    return rows


def _turns(round_no: int) -> tuple[str, str]:
    return ("theirs", "ours") if round_no % 2 == 0 else ("ours", "theirs")


def _close(ours: Engine, theirs: SQLiteApplicationRecorder) -> None:
    ours.dispose()
    theirs.datastore.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=100_000, help="events per row")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; each side's best counts")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-event-store-") as directory:
        quiet = args.json
        log = (lambda _: None) if quiet else print
        rows = run(args.events, Path(directory), args.rounds, log)

    if args.json:
        print(
            json.dumps(
                {
                    "events": args.events,
                    "rounds": args.rounds,
                    "sqlite": sqlite3.sqlite_version,
                    "durability": {"journal_mode": "wal", "synchronous": "NORMAL"},
                    "rows": [{**asdict(row), "ratio": round(row.ratio, 3)} for row in rows],
                }
            )
        )
        return
    print(f"{'row':<30}{'events':>9}{'ours ev/s':>13}{'theirs ev/s':>13}{'ours/theirs':>13}")
    for row in rows:
        print(
            f"{row.name:<30}{row.events:>9}{row.ours:>13,.0f}{row.theirs:>13,.0f}{row.ratio:>13.2f}"
        )


if __name__ == "__main__":
    main()

"""The worker's own writers never wait out the database's lock timeout (issue 17, step 4).

A first sync records pages of hundreds of events and catches the views up with them
while the tick, the effects and the heartbeat write too, and a command reads the views.
On SQLite, one lock serialises every writer of the file: a catch-up holding it while it
applies thousands of events (14 s at 50,000 people) made the others fail with "database
is locked". Here the lock timeout is cut to two seconds (from ten), so a write held longer than
that by any path fails the test. On PostgreSQL two workers (two engines, as two
processes) do the same at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from events.clock import ManualClock
from events.entry import Entry
from events.ids import new_id
from events.projections.pipeline import ContactRow
from events.types import AccountConnected, ReplyReceived
from tests.harness.clock_server import ClockServer
from tests.harness.histories import generate, quiet_moment
from tests.harness.lockstep import lockstep_env
from worker.runner.clocks import CLOCK_URL_ENV
from worker.services import heartbeat
from worker.services.app import App, open_app
from worker.services.settings import load_settings
from worker.services.tick import due_now

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
#: Longer than any write of the worker's may hold the lock here (SQLite's busy timeout).
WAIT_MS = 2000
#: The first sync's pages: enough events together to make a catch-up load every row.
PAGES, PAGE = 6, 900


def _opened(tmp_path: Path, url: str, clock: ManualClock) -> App:
    app = open_app(load_settings(lockstep_env(tmp_path, url)), clock)
    if app.engine.dialect.name == "sqlite":
        # Set after the project's own pragmas, on every connection from now on.
        def short_wait(connection: Any, _record: Any) -> None:
            connection.execute(f"PRAGMA busy_timeout = {WAIT_MS}")

        sa.event.listen(app.engine, "connect", short_wait)
        app.engine.dispose()
    return app


def _run_together(jobs: dict[str, Callable[[], None]], until: threading.Event) -> list[str]:
    """Run each job in a loop on its own thread until `until` is set; the errors seen."""
    errors: list[str] = []

    def loop(name: str, job: Callable[[], None]) -> None:
        while not until.is_set():
            try:
                job()
            except Exception as exc:  # reported by the test with the job's name
                errors.append(f"{name}: {exc!r}"[:300])
                until.set()
                return
            time.sleep(0.1)

    threads = [threading.Thread(target=loop, args=item) for item in jobs.items()]
    for t in threads:
        t.start()
    return errors if _joined(threads, until) else [*errors, "a job did not stop"]


def _joined(threads: list[threading.Thread], until: threading.Event) -> bool:
    until.wait(300)
    for t in threads:
        t.join(timeout=120)
    return not any(t.is_alive() for t in threads)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_writers_under_a_first_sync_never_wait_out_the_lock(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}" if backend == "sqlite" else None
    url = url or str(request.getfixturevalue("postgres_schema_url"))
    clock = ManualClock(START)
    builder = open_app(load_settings(lockstep_env(tmp_path, url)), clock)
    builder.journal.record(
        AccountConnected(account_id="acc", provider="sandbox", email="me@x.org", time_zone="UTC")
    )
    generate(builder, clock, 1500, account="acc", days=40)
    builder.projector.catch_up()
    heartbeat.create_schema(builder.engine)
    builder.close()
    clock.set(quiet_moment(START, days=40))

    # SQLite: one worker process (its threads share an engine, as `outreach run`'s do)
    # and a command (another process); PostgreSQL: two workers and a command.
    workers = [_opened(tmp_path, url, clock) for _ in range(1 if backend == "sqlite" else 2)]
    command = _opened(tmp_path, url, clock)
    try:
        contact = workers[0].projector.columns(ContactRow)
        people = [r[0] for r in workers[0].projector.select(sa.select(contact.contact_id))]
        done = threading.Event()

        def first_sync() -> None:
            # Pages of replies, each recorded in one transaction, as a sync records them.
            for page in range(PAGES):
                entries = [
                    Entry(
                        ReplyReceived(
                            contact_id=people[(page * PAGE + n) % len(people)],
                            message_id=f"<sync-{page}-{n}@them>",
                            account_id="acc",
                            received_at=clock.now(),
                            excerpt="Thanks, happy to talk",
                        ),
                        new_id(),
                    )
                    for n in range(PAGE)
                ]
                workers[0].journal.record_all(entries)
            # Caught up once all pages are in: thousands of events in one catch-up.
            workers[0].projector.catch_up()
            done.set()

        jobs: dict[str, Callable[[], None]] = {"first sync": first_sync}
        for n, worker in enumerate(workers):
            jobs |= _worker_jobs(worker, f"w{n}", clock)

        def show_status() -> None:
            # Another process, as a user's command is: in this one its reading and
            # applying would take the worker's threads' turns at the interpreter and
            # stretch their holds of the lock, which no real command does.
            shown = subprocess.run(
                [sys.executable, "-m", "outreach", "status", "--json"],
                env=os.environ | lockstep_env(tmp_path, url) | {CLOCK_URL_ENV: served.url},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            if shown.returncode != 0:
                raise RuntimeError(f"status exited {shown.returncode}: {shown.stderr[-300:]}")
            statuses.append(shown.stdout)

        statuses: list[str] = []

        jobs["status"] = show_status
        served = ClockServer(clock).start()
        try:
            errors = _run_together(jobs, done)
        finally:
            served.stop()
        assert errors == [], errors
        assert statuses, "no status ran during the first sync: the test proves nothing"
        sync = [
            e
            for e in command.store.read_all(types={"reply.received"})
            if e.payload["message_id"].startswith("<sync-")
        ]
        assert len(sync) == PAGES * PAGE
        for worker in workers:
            worker.projector.catch_up()
        head = command.store.head()
        checkpoints = {command.projector.checkpoint(p.name) for p in command.projector.projections}
        assert checkpoints == {head}
        caught_up = {
            p.name: sorted(command.projector.rows(p.row_type), key=repr)
            for p in command.projector.projections
        }
        command.projector.rebuild()
        for p in command.projector.projections:
            assert sorted(command.projector.rows(p.row_type), key=repr) == caught_up[p.name]
    finally:
        for app in (*workers, command):
            app.close()


def _worker_jobs(app: App, who: str, clock: ManualClock) -> dict[str, Callable[[], None]]:
    """A worker's own writers besides the sync: ticks, effects, its heartbeat."""

    def tick() -> None:
        due_now(app)

    def effect() -> None:
        _effect(app, who)

    def beat() -> None:
        heartbeat.beat(app.engine, f"run-{who}", clock.now(), 30, 1, "busy")

    return {f"tick {who}": tick, f"effect {who}": effect, f"heartbeat {who}": beat}


def _effect(app: App, who: str) -> None:
    """What an effect writes: one event about the account, then the views caught up."""
    app.journal.record(
        AccountConnected(
            account_id=f"other-{who}", provider="sandbox", email=f"{who}@x.org", time_zone="UTC"
        ),
        event_id=new_id(),
    )
    app.projector.catch_up()

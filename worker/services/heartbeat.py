"""The `worker_state` table: when each running loop last stepped (operational, not the log).

`outreach run` and `outreach scheduler` write a row per loop after every step; `outreach
status` reads it to say whether anything is running (a silent scheduler is how
reminders never fire). Losing this table loses nothing the log knows.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from events.database import reading_engine

#: The detail a loop leaves when it stops cleanly.
STOPPED = "stopped"

metadata = sa.MetaData()

worker_state = sa.Table(
    "worker_state",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),  # "run", "scheduler"
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("stepped_at", sa.String(40), nullable=False),  # the worker's clock, ISO 8601
    sa.Column("interval_s", sa.Float, nullable=False),
    sa.Column("steps", sa.Integer, nullable=False),
    sa.Column("detail", sa.String(500), nullable=False, default=""),
)


@dataclass(frozen=True)
class Heartbeat:
    """One loop's last step.

    Parameters:
      name: which loop ("run" or "scheduler").
      stepped_at: the loop's clock when its last step finished.
      interval_s: how often it steps; stale after three intervals.
      steps: steps since the process started.
      detail: a short free-form note (e.g. what the last tick enqueued).
    """

    name: str
    host: str
    pid: int
    stepped_at: datetime
    interval_s: float
    steps: int
    detail: str

    def stale(self, now: datetime) -> bool:
        """Not running: stopped cleanly, or silent for more than three intervals."""
        if self.detail == STOPPED:
            return True
        return (now - self.stepped_at).total_seconds() > 3 * self.interval_s


def create_schema(engine: Engine) -> None:
    metadata.create_all(engine, checkfirst=True)


def beat(
    engine: Engine, name: str, at: datetime, interval_s: float, steps: int, detail: str = ""
) -> None:
    """Record that loop `name` finished a step at `at`."""
    values = {
        "host": socket.gethostname()[:255],
        "pid": os.getpid(),
        "stepped_at": at.isoformat(),
        "interval_s": float(interval_s),
        "steps": steps,
        "detail": detail[:500],
    }
    with engine.begin() as conn:
        updated = conn.execute(
            worker_state.update().where(worker_state.c.name == name).values(**values)
        )
        if updated.rowcount == 0:
            conn.execute(worker_state.insert().values(name=name, **values))


def stopped(engine: Engine, name: str) -> None:
    """Record that loop `name` stopped cleanly (status then says so at once)."""
    with engine.begin() as conn:
        conn.execute(
            worker_state.update()
            .where(worker_state.c.name == name, worker_state.c.pid == os.getpid())
            .values(detail=STOPPED)
        )


def read(engine: Engine) -> list[Heartbeat]:
    """Every loop's last heartbeat, by name."""
    if not sa.inspect(engine).has_table("worker_state"):
        return []
    # Read without the write lock (on SQLite the main engine's transactions take it).
    with reading_engine(engine).connect() as conn:
        rows = conn.execute(worker_state.select().order_by(worker_state.c.name)).all()
    return [
        Heartbeat(
            name=r.name,
            host=r.host,
            pid=r.pid,
            stepped_at=datetime.fromisoformat(r.stepped_at),
            interval_s=r.interval_s,
            steps=r.steps,
            detail=r.detail,
        )
        for r in rows
    ]

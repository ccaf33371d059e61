"""How the search is going: the funnel, weekly activity, reply rate and time to a reply."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from events.database import is_sqlite
from events.projections.pipeline import ContactRow
from worker.services.app import App

WEEKS = 12


@dataclass(frozen=True)
class Step:
    label: str
    count: int


@dataclass(frozen=True)
class Week:
    #: The Monday the week starts on (user's calendar as UTC dates; a chart, not a ledger).
    starts: str
    written: int
    replies: int
    meetings: int


@dataclass(frozen=True)
class Progress:
    funnel: list[Step]
    weeks: list[Week]
    #: Replies per person written to, 0..1; None before anyone was written to.
    reply_rate: float | None
    #: Median days from the first message to the reply; None before any reply.
    median_days_to_reply: float | None


def _week_start(at: datetime) -> datetime:
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def progress(app: App, weeks: int = WEEKS) -> Progress:
    """Computed from the pipeline view (one row per person), not the whole log, and
    counted in SQL: the page stays quick with ten thousand people and their histories."""
    app.projector.catch_up()
    now = app.clock.now()
    c = app.projector.columns(ContactRow)
    listed = (c.forgotten.is_(False), c.merged_into.is_(None))
    written_at = c.outreach_sent_at.is_not(None)
    [(added, written, replied, met, thanked, referred)] = app.projector.select(
        sa.select(
            sa.func.count(),
            sa.func.count(c.outreach_sent_at),
            sa.func.count(c.replied_at).filter(written_at),
            sa.func.count(c.met_at),
            sa.func.count(c.thanked_at),
            sa.func.count(c.referred_by),
        ).where(*listed)
    )
    funnel = [
        Step("Added", added),
        Step("Written to", written),
        Step("Replied", replied),
        Step("Met", met),
        Step("Thanked", thanked),
        Step("Referrals gained", referred),
    ]
    first = _week_start(now) - timedelta(weeks=weeks - 1)
    counts = [[0, 0, 0] for _ in range(weeks)]
    for i, column in enumerate((c.outreach_sent_at, c.replied_at, c.met_at)):
        for index, count in _weekly(app, column, first, listed):
            if 0 <= int(index) < weeks:
                counts[int(index)][i] = count
    delay = _days(app, c.replied_at) - _days(app, c.outreach_sent_at)
    return Progress(
        funnel=funnel,
        weeks=[
            Week((first + timedelta(weeks=i)).date().isoformat(), *counts[i]) for i in range(weeks)
        ],
        reply_rate=replied / written if written else None,
        median_days_to_reply=_median(app, delay, (*listed, written_at, c.replied_at.is_not(None))),
    )


def _days(app: App, column: Any) -> sa.ColumnElement[Any]:
    """A stored ISO time as days (any offset read as the instant it names), in SQL."""
    if is_sqlite(app.engine):
        return sa.func.julianday(column)
    return sa.extract("epoch", sa.cast(column, sa.DateTime(timezone=True))) / 86400.0


def _weekly(
    app: App, column: Any, first: datetime, listed: tuple[sa.ColumnElement[bool], ...]
) -> list[tuple[Any, ...]]:
    """(week from `first`, how many) of the moments in `column`, counted in SQL."""
    since = _days(app, sa.literal(first.isoformat()))
    elapsed = (_days(app, column) - since) / 7
    # Whole weeks of a time not before `first`: SQLite's cast truncates, PostgreSQL's rounds.
    week = sa.cast(elapsed, sa.Integer) if is_sqlite(app.engine) else sa.func.floor(elapsed)
    # Stored times may carry any offset: the index narrows by a day's margin, SQL decides.
    margin = (first - timedelta(days=1)).isoformat()
    return app.projector.select(
        sa.select(week, sa.func.count())
        .where(*listed, column >= margin, _days(app, column) >= since)
        .group_by(week)
    )


def _median(
    app: App, value: sa.ColumnElement[Any], where: tuple[sa.ColumnElement[bool], ...]
) -> float | None:
    """The median of `value` over the rows `where` selects, found in SQL (None: no row)."""
    [(count,)] = app.projector.select(sa.select(sa.func.count()).where(*where))
    if not count:
        return None
    middle = app.projector.select(
        sa.select(value).where(*where).order_by(value).limit(2 - count % 2).offset((count - 1) // 2)
    )
    return round(statistics.mean(float(v) for (v,) in middle), 1)

"""How the search is going: the funnel, weekly activity, reply rate and time to a reply."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

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
    # Stored times may carry any offset: a day's margin, the weeks are counted exactly.
    since = (first - timedelta(days=1)).isoformat()
    counts = [[0, 0, 0] for _ in range(weeks)]
    recent = sa.or_(c.outreach_sent_at >= since, c.replied_at >= since, c.met_at >= since)
    moments = sa.select(c.outreach_sent_at, c.replied_at, c.met_at).where(*listed, recent)
    for row in app.projector.select(moments):
        for i, at in enumerate(row):
            if not at:
                continue
            index = (datetime.fromisoformat(at) - first).days // 7
            if 0 <= index < weeks:
                counts[index][i] += 1
    pairs = sa.select(c.outreach_sent_at, c.replied_at).where(
        *listed, written_at, c.replied_at.is_not(None)
    )
    delays = [
        (datetime.fromisoformat(answered) - datetime.fromisoformat(sent)) / timedelta(days=1)
        for sent, answered in app.projector.select(pairs)
    ]
    return Progress(
        funnel=funnel,
        weeks=[
            Week((first + timedelta(weeks=i)).date().isoformat(), *counts[i]) for i in range(weeks)
        ],
        reply_rate=replied / written if written else None,
        median_days_to_reply=round(statistics.median(delays), 1) if delays else None,
    )

"""How the search is going: the funnel, weekly activity, reply rate and time to a reply."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    """Computed from the pipeline view (one row per person), not the whole log: the page
    stays quick with ten thousand people and their histories."""
    app.projector.catch_up()
    now = app.clock.now()
    rows = [r for r in app.projector.rows(ContactRow) if not r.forgotten and not r.merged_into]
    written = [r for r in rows if r.outreach_sent_at]
    replied = [r for r in written if r.replied_at]
    funnel = [
        Step("Added", len(rows)),
        Step("Written to", len(written)),
        Step("Replied", len(replied)),
        Step("Met", sum(1 for r in rows if r.met_at)),
        Step("Thanked", sum(1 for r in rows if r.thanked_at)),
        Step("Referrals gained", sum(1 for r in rows if r.referred_by)),
    ]
    first = _week_start(now) - timedelta(weeks=weeks - 1)
    counts = [[0, 0, 0] for _ in range(weeks)]
    for r in rows:
        for i, at in enumerate((r.outreach_sent_at, r.replied_at, r.met_at)):
            if not at:
                continue
            index = (datetime.fromisoformat(at) - first).days // 7
            if 0 <= index < weeks:
                counts[index][i] += 1
    delays = [
        (datetime.fromisoformat(r.replied_at) - datetime.fromisoformat(r.outreach_sent_at))
        / timedelta(days=1)
        for r in replied
        if r.replied_at and r.outreach_sent_at
    ]
    return Progress(
        funnel=funnel,
        weeks=[
            Week((first + timedelta(weeks=i)).date().isoformat(), *counts[i]) for i in range(weeks)
        ],
        reply_rate=len(replied) / len(written) if written else None,
        median_days_to_reply=round(statistics.median(delays), 1) if delays else None,
    )

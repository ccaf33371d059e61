"""The scheduler tick: read the views and the clock, derive what is due, hand it over.

A tick reads only the contacts and meetings due by now (the views keep each one's next
due moment, `due_at`, indexed; see worker/services/dating.py) and the rows those
reference, and asks the same pure policies as ever. `full_scan_actions` reads every row
and is kept as the oracle the tests compare the tick with.

Losing every queued message loses nothing: the next tick derives the same actions
from the log again, and effects are idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.projections.referrals import ReferralRow
from events.projections.rows import R
from worker.domain.offers import OfferRow, ReplySeen, TimesView
from worker.domain.policies.actions import Action
from worker.domain.policies.due import due_actions, due_for_rows, in_order
from worker.domain.policies.snapshot import Snapshot
from worker.domain.policies.summary import AHEAD as SUMMARY_AHEAD
from worker.domain.policies.summary import NOTES_WITHIN, due_summary
from worker.domain.settings import Policy
from worker.services.app import App
from worker.services.dating import iso


def load_snapshot(app: App) -> Snapshot:
    """Every row of the views as they stand after catching up with the log (the oracle's
    and the daily summary's state; the tick reads `load_due_snapshot`)."""
    # Here only: the times view reads the log through the contact book and its importers,
    # which the tick and status never need.
    from worker.services.offers import load_times_view

    app.projector.catch_up()
    with app.projector.reading() as conn:
        contacts = {r.contact_id: r for r in app.projector.rows(ContactRow, conn)}
        meetings = {r.meeting_id: r for r in app.projector.rows(MeetingRow, conn)}
        drafts = {r.draft_id: r for r in app.projector.rows(DraftRow, conn)}
        referrals = {r.contact_id: r for r in app.projector.rows(ReferralRow, conn)}
        accounts = {r.account_id: r for r in app.projector.rows(AccountRow, conn)}
    skipped = frozenset(
        str(e.payload.get("key", "")) for e in app.store.read_all(types={"action.skipped"})
    )
    return Snapshot(
        contacts=contacts,
        meetings=meetings,
        drafts=drafts,
        referrals=referrals,
        skipped=skipped,
        times=load_times_view(app),
        accounts=accounts,
        summaries=frozenset(
            str(e.payload.get("day", "")) for e in app.store.read_all(types={"summary.sent"})
        ),
    )


def load_due_snapshot(app: App, until: datetime, today: datetime | None = None) -> Snapshot:
    """The contacts and meetings due by `until`, and what the policies read about them:
    their meetings and drafts, whoever introduced them (and those people's meetings and
    drafts), the outreach drafts of `today`'s local day on (the daily cap; `until`'s day
    by default) and the accounts. Indexed reads."""
    return load_first_due(app, until, today)[0]


def load_first_due(
    app: App, until: datetime, today: datetime | None = None, first: int | None = None
) -> tuple[Snapshot, datetime | None]:
    """`load_due_snapshot`, of only the `first` contacts and `first` meetings in due order
    (None: all), and the moment before which it holds every row due: work found due
    before it is all the work due before it (a row's due moment is the earliest of its
    work). None when it holds every row due by `until`."""
    app.projector.catch_up()
    moment = iso(until) or ""
    with app.projector.reading() as conn:
        contacts_due = _first_due(app, conn, ContactRow, moment, first)
        meetings_due = _first_due(app, conn, MeetingRow, moment, first)
        full = [rows[-1].due_at for rows in (contacts_due, meetings_due) if len(rows) == first]
        bound = datetime.fromisoformat(min(d for d in full if d)) if full else None
        contacts, meetings = _by_key(contacts_due), _by_key(meetings_due)
        wanted = {m.contact_id for m in meetings.values()} - contacts.keys()
        contacts.update(_by_key(_rows_where(app, conn, ContactRow, "contact_id", wanted)))
        referrers = {c.referred_by for c in contacts.values() if c.referred_by}
        contacts.update(
            _by_key(_rows_where(app, conn, ContactRow, "contact_id", referrers - contacts.keys()))
        )
        meetings.update(_by_key(_rows_where(app, conn, MeetingRow, "contact_id", set(contacts))))
        drafts = _by_key(_rows_where(app, conn, DraftRow, "contact_id", set(contacts)))
        drafts.update(_by_key(outreach_drafted_since(conn, app, today or until)))
        accounts = _by_key(app.projector.rows(AccountRow, conn))
    snapshot = Snapshot(
        contacts=contacts,
        meetings=meetings,
        drafts=drafts,
        skipped=frozenset(k for c in contacts.values() for k in c.skipped),
        times=_times_of(contacts.values()),
        accounts=accounts,
        summaries=frozenset(a.summary_day for a in accounts.values() if a.summary_day),
    )
    return snapshot, bound


def _first_due(
    app: App, conn: Connection, row_type: type[R], moment: str, first: int | None
) -> list[R]:
    """The rows due by `moment`; with `first`, that many of them in due order."""
    if first is None:
        return app.projector.due_by(row_type, moment, conn)
    due_at = app.projector.columns(row_type).due_at
    return app.projector.query(
        row_type, due_at <= moment, order_by=[due_at], limit=first, conn=conn
    )


def due_now(app: App) -> list[Action]:
    """Everything due at the clock's reading, reading only what is due."""
    now = app.clock.now()
    policy = app.settings.policy
    snapshot = load_due_snapshot(app, now)
    actions = due_for_rows(snapshot, now, policy)
    if summary_may_be_due(snapshot, now, policy):
        # Once a day, until it goes: what waits, read by indexed queries.
        actions += due_summary(load_summary_snapshot(app, now), now, policy)
    return in_order(actions)


#: Margin around text bounds on stored times, which may carry any UTC offset.
_OFFSETS = timedelta(days=1)


def load_summary_snapshot(app: App, now: datetime, until: datetime | None = None) -> Snapshot:
    """What the daily summary reads, for summaries composed from `now` to `until`: pending
    drafts, meetings within 48 hours of then or held in the two weeks before, open
    referrals, the people these name, and the accounts. Indexed reads, a few rows."""
    until = until or now
    p = app.projector
    meeting = p.columns(MeetingRow)
    referral, contact = p.columns(ReferralRow), p.columns(ContactRow)
    with app.projector.reading() as conn:
        drafts = _by_key(p.find(DraftRow, conn, status="pending"))
        coming = sa.and_(
            meeting.status == "scheduled",
            meeting.start >= iso(now - _OFFSETS),
            meeting.start <= iso(until + SUMMARY_AHEAD + _OFFSETS),
        )
        held = sa.and_(meeting.status == "met", meeting.end >= iso(now - NOTES_WITHIN - _OFFSETS))
        meetings = _by_key(p.query(MeetingRow, sa.or_(coming, held), conn=conn))
        no_address = sa.select(contact.contact_id).where(
            sa.cast(contact.emails, sa.Text) == "[]", contact.merged_into.is_(None)
        )
        referrals = _by_key(p.query(ReferralRow, referral.contact_id.in_(no_address), conn=conn))
        named = {d.contact_id for d in drafts.values()} | {m.contact_id for m in meetings.values()}
        named |= {r.contact_id for r in referrals.values()}
        named |= {r.referrer_id for r in referrals.values()}
        contacts = _by_key(_rows_where(app, conn, ContactRow, "contact_id", named))
        # Answers about offered times the user has to act on (stage is indexed).
        answered = sa.and_(contact.stage == "replied", contact.times_answer.is_not(None))
        contacts |= _by_key(p.query(ContactRow, answered, conn=conn))
        accounts = _by_key(p.rows(AccountRow, conn))
    return Snapshot(
        contacts=contacts,
        meetings=meetings,
        drafts=drafts,
        referrals=referrals,
        accounts=accounts,
        summaries=frozenset(a.summary_day for a in accounts.values() if a.summary_day),
    )


def full_scan_actions(app: App) -> list[Action]:
    """The tick as it was: every row of every view, every skipped action (the oracle)."""
    return due_actions(load_snapshot(app), app.clock.now(), app.settings.policy)


def summary_may_be_due(snapshot: Snapshot, now: datetime, policy: Policy) -> bool:
    """Whether today's summary is still to send (its hour has come, an account can send)."""
    if not policy.summary or not any(a.status == "connected" for a in snapshot.accounts.values()):
        return False
    local = now.astimezone(ZoneInfo(policy.time_zone))
    return local.hour >= policy.summary_hour and local.date().isoformat() not in snapshot.summaries


def tick(app: App, enqueue: Callable[[Action], None]) -> list[Action]:
    """Enqueue every action due now; return them."""
    actions = due_now(app)
    for action in actions:
        enqueue(action)
    return actions


def _by_key(rows: Iterable[R]) -> dict[str, R]:
    return {getattr(r, type(r).KEY): r for r in rows}


def _rows_where(
    app: App, conn: Connection, row_type: type[R], column: str, keys: set[str]
) -> list[R]:
    """The rows whose `column` is one of `keys`, 500 keys a query."""
    ordered = sorted(keys)
    found: list[R] = []
    for i in range(0, len(ordered), 500):
        found += app.projector.find(row_type, conn, **{column: ordered[i : i + 500]})
    return found


def outreach_drafted_since(conn: Connection, app: App, now: datetime) -> list[DraftRow]:
    """Today's outreach drafts (user's zone): the daily cap counts them."""
    zone = ZoneInfo(app.settings.policy.time_zone)
    start = datetime.combine(now.astimezone(zone).date(), time(0), zone)
    return app.projector.since(DraftRow, "created_at", iso(start) or "", conn, kind="outreach")


def _times_of(contacts: Iterable[ContactRow]) -> TimesView:
    """The times policy's state for these contacts, from the columns the pipeline keeps."""
    offers: dict[str, list[OfferRow]] = {}
    last: dict[str, ReplySeen] = {}
    answered: set[str] = set()
    for c in contacts:
        if c.times_offered_at:
            at = datetime.fromisoformat(c.times_offered_at)
            offers[c.contact_id] = [OfferRow("", c.contact_id, (), 0, at, at)]
        if c.last_reply_id and c.last_reply_at:
            last[c.contact_id] = ReplySeen(c.last_reply_id, datetime.fromisoformat(c.last_reply_at))
        answered.update(c.times_answered)
    return TimesView(offers=offers, last_reply=last, answered=frozenset(answered))

"""What `outreach status` reports: accounts, the worker's heartbeat, queued and coming work.

Built to answer "is it working?" honestly: an account that stopped syncing, a scheduler
that stopped stepping (reminders that silently never fire) and recent failures are
shown, not summarised away.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.projections.referrals import ReferralRow
from events.projections.rows import Row
from worker.domain.backoff import backing_off
from worker.domain.policies.actions import Action
from worker.domain.policies.confirmations import (
    due_confirmations,
    link_to_come,
    needs_acceptance,
    needs_place,
)
from worker.domain.policies.due import due_for_rows, in_order
from worker.domain.policies.outreach import due_outreach
from worker.domain.policies.snapshot import Snapshot
from worker.domain.policies.summary import due_summary
from worker.domain.settings import Policy
from worker.services import heartbeat
from worker.services.app import App
from worker.services.profile import RUN_INIT, profile_unset
from worker.services.tick import load_first_due, load_summary_snapshot, summary_may_be_due

#: How far ahead "coming up" looks, and how far back "recent failures" looks.
AHEAD = timedelta(hours=48)
BEHIND = timedelta(days=7)


def _age_s(now: datetime, at: str | None) -> float | None:
    if not at:
        return None
    return round((now - datetime.fromisoformat(at)).total_seconds(), 1)


def accounts(app: App, now: datetime) -> list[dict[str, Any]]:
    rows = app.projector.rows(AccountRow)
    return [
        {
            "state": _state(a, now),
            "account_id": a.account_id,
            "provider": a.provider,
            "email": a.email,
            "status": a.status,
            "connected": a.status == "connected",
            "last_sync_at": a.last_sync_at,
            "cursor_age_s": _age_s(now, a.last_sync_at),
            "needs_reconnect": a.status == "needs_reconnect",
            "reason": a.reason if a.status == "needs_reconnect" else None,
            "command": a.command if a.status == "needs_reconnect" else None,
            "last_error": a.last_error,
            "last_error_at": a.last_error_at,
            # Set while the worker leaves the provider alone after a failure (its
            # Retry-After, or a pause growing while the failures go on).
            "backing_off_until": a.retry_at if backing_off(a, now) else None,
        }
        for a in rows
    ]


def _state(a: AccountRow, now: datetime) -> str:
    """One word a user can act on: ok, failing, backing_off, needs_reconnect, removed."""
    if a.status != "connected":
        return a.status
    if backing_off(a, now):
        return "backing_off"
    return "failing" if a.last_error else "ok"


def workers(app: App, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "name": h.name,
            "host": h.host,
            "pid": h.pid,
            "stepped_at": h.stepped_at.isoformat(),
            "age_s": round((now - h.stepped_at).total_seconds(), 1),
            "interval_s": h.interval_s,
            "running": not h.stale(now),
            "detail": h.detail,
        }
        for h in heartbeat.read(app.engine)
    ]


def coming_up(
    app: App,
    now: datetime,
    step: timedelta = timedelta(hours=1),
    shown: int | None = None,
    page: int = 100,
) -> list[dict[str, Any]]:
    """What the policies will find due within AHEAD, if nothing new happens: the first
    `shown` pieces of work (None: all).

    The policies are pure, so asking them at later times answers exactly this. They are
    asked about the rows due within AHEAD only (the due index), and all of them only
    twice: now and at the end. Work once due stays due while nothing happens, except for
    two time-bound policies, asked hourly: a confirmation stops once the meeting starts
    and the daily outreach cap starts afresh each day. The daily summary is asked at the
    first hour it may go each day, about what it reads (indexed reads).

    With `shown`, the rows are read in due order a page at a time: a page's work before
    the next unread row's due moment is exactly the work due before then, so a page is
    read again four times as large only while it holds fewer than `shown` of those. The
    first page holds `page` contacts and `page` meetings.
    """
    first = None if shown is None else max(page, shown)
    while True:
        snapshot, bound = load_first_due(app, now + AHEAD, today=now, first=first)
        found = _coming(app, snapshot, now, step)
        if bound is not None:
            found = [f for f in found if f[0] < bound]
        if first is None or shown is None or bound is None or len(found) >= shown:
            break
        first *= 4
    listed = [
        {"kind": kind, "contact": contact, "due_at": at.isoformat()} for at, kind, contact in found
    ]
    return sorted(listed, key=lambda a: (a["due_at"], a["kind"], a["contact"]))[:shown]


def _coming(
    app: App, snapshot: Snapshot, now: datetime, step: timedelta
) -> list[tuple[datetime, str, str | None]]:
    """(due, kind, contact) of the work `snapshot`'s rows come to within AHEAD."""
    policy = app.settings.policy
    names = {c.contact_id: c.name for c in snapshot.contacts.values()}
    first: dict[str, tuple[datetime, str, str | None]] = {}

    def note(actions: list[Action]) -> None:
        for action in in_order(actions):
            if action.key not in first and action.kind != "skip":
                contact = names.get(action.contact_id, action.contact_id[:8])
                first[action.key] = (max(action.due_at, now), action.kind, contact)

    steps = []
    at = now
    while at <= now + AHEAD:
        steps.append(at)
        at += step
    note(due_for_rows(snapshot, now, policy))
    for at in steps:
        note(due_confirmations(snapshot, at, policy) + due_outreach(snapshot, at, policy))
    note(due_for_rows(snapshot, steps[-1], policy))
    summary_steps = _summary_moments(snapshot, steps, policy)
    if summary_steps:
        # One pending draft is enough to make the summary go (it lists them); only
        # without one is everything else it might tell read.
        probe = _summary_probe(app, snapshot)
        if not any(due_summary(probe, at, policy) for at in summary_steps):
            probe = load_summary_snapshot(app, now, now + AHEAD)
        for at in summary_steps:
            note(due_summary(probe, at, policy))
    return list(first.values())


def _summary_probe(app: App, snapshot: Snapshot) -> Snapshot:
    """The accounts and summaries of `snapshot` and one pending draft."""
    draft = app.projector.columns(DraftRow)
    pending = app.projector.query(DraftRow, draft.status == "pending", limit=1)
    return Snapshot(
        drafts={d.draft_id: d for d in pending},
        accounts=snapshot.accounts,
        summaries=snapshot.summaries,
    )


def _summary_moments(snapshot: Snapshot, steps: list[datetime], policy: Policy) -> list[datetime]:
    """The first step of each local day at which the daily summary may go."""
    found: dict[str, datetime] = {}
    for at in steps:
        if summary_may_be_due(snapshot, at, policy):
            day = at.astimezone(ZoneInfo(policy.time_zone)).date().isoformat()
            found.setdefault(day, at)
    return list(found.values())


#: How long after a meeting status reminds the user to write notes on it.
NOTES_WITHIN = timedelta(days=14)


def drafts_waiting(app: App, limit: int | None = None) -> list[dict[str, Any]]:
    """The drafts waiting for review, the oldest first (`limit`: that many)."""
    draft = app.projector.columns(DraftRow)
    pending = app.projector.query(
        DraftRow,
        draft.status == "pending",
        order_by=[draft.created_at, draft.draft_id],
        limit=limit,
    )
    return [
        {"kind": d.kind, "to": d.to, "subject": d.subject, "created_at": d.created_at}
        for d in pending
    ]


def _contacts(app: App, ids: set[str]) -> dict[str, ContactRow]:
    """The contacts named by `ids` (one indexed read)."""
    return {c.contact_id: c for c in app.projector.find(ContactRow, contact_id=sorted(ids))}


def _meetings(app: App, status: str, since: datetime) -> list[MeetingRow]:
    """Meetings in `status` starting from `since` on (a day's margin: stored starts may
    carry any offset; the callers compare exact times)."""
    meeting = app.projector.columns(MeetingRow)
    return app.projector.query(
        MeetingRow,
        meeting.status == status,
        meeting.start >= (since - timedelta(days=1)).isoformat(),
    )


def notes_to_write(app: App, now: datetime) -> list[dict[str, Any]]:
    """Meetings held in the last two weeks without notes yet: the thank-you waits for them
    until the evening (and is prepared again from notes written later, while nobody has
    touched it)."""
    meetings = [m for m in _meetings(app, "met", now - NOTES_WITHIN) if not m.notes_at]
    contacts = _contacts(app, {m.contact_id for m in meetings})
    found = []
    for m in meetings:
        c = contacts.get(m.contact_id)
        if c is None or c.forgotten or c.merged_into:
            continue
        if datetime.fromisoformat(m.start) < now - NOTES_WITHIN:
            continue
        found.append(
            {
                "contact": c.name,
                "met": m.start,
                "sentence": f"notes to write on {c.name}: "
                f"`outreach notes {c.contact_id[:8]}` (your thank-you quotes them)",
            }
        )
    return sorted(found, key=lambda f: f["met"])


def meetings_to_settle(app: App, now: datetime) -> list[dict[str, Any]]:
    """Coming meetings nothing will confirm yet: an invitation the user has not accepted
    ("accept it in your calendar"), one without a place or link (a draft asks where), or
    one whose video call link the calendar is still making."""
    meetings = _meetings(app, "scheduled", now)
    contacts = _contacts(app, {m.contact_id for m in meetings})
    found = []
    for m in meetings:
        c = contacts.get(m.contact_id)
        if c is None or datetime.fromisoformat(m.start) <= now:
            continue
        if needs_acceptance(m):
            why = f"{c.name} invited you: accept it in your calendar, then it is confirmed"
        elif needs_place(m):
            why = (
                f"the meeting with {c.name} has no place or call link: a draft asks where "
                "(or add the place to the calendar event)"
            )
        elif link_to_come(m):
            why = (
                f"the meeting with {c.name} waits for its video call link from your "
                "calendar: it is confirmed once the link comes"
            )
        else:
            continue
        found.append({"contact": c.name, "start": m.start, "sentence": why})
    return sorted(found, key=lambda f: f["start"])


def _open_referrals(app: App) -> sa.ColumnElement[bool]:
    """Referrals of people still without an address, open to an introduction: not closed,
    forgotten or merged into someone else."""
    referral, contact = app.projector.columns(ReferralRow), app.projector.columns(ContactRow)
    # The referred people without an address (stored as the JSON text "[]").
    open_ = sa.select(contact.contact_id).where(
        sa.cast(contact.emails, sa.Text) == "[]",
        contact.forgotten.is_(False),
        contact.merged_into.is_(None),
        contact.closed.is_(None),
    )
    is_open: sa.ColumnElement[bool] = referral.contact_id.in_(open_)
    return is_open


def open_referrals(app: App, limit: int | None = None) -> list[dict[str, Any]]:
    """People named in notes without an address, the longest waiting first (`limit`: that
    many): the user asks the referrer for an introduction, then completes them with
    `contacts edit --email`."""
    app.projector.catch_up()
    referral, contact = app.projector.columns(ReferralRow), app.projector.columns(ContactRow)
    name = sa.select(contact.name).where(contact.contact_id == referral.contact_id)
    rows = app.projector.query(
        ReferralRow,
        _open_referrals(app),
        order_by=[referral.referred_at, sa.func.coalesce(name.scalar_subquery(), "")],
        limit=limit,
    )
    contacts = _contacts(app, {r.contact_id for r in rows} | {r.referrer_id for r in rows})
    found = []
    for r in rows:
        c, by = contacts.get(r.contact_id), contacts.get(r.referrer_id)
        if c is None:
            continue
        referrer = by.name if by is not None and not by.forgotten else "whoever named them"
        found.append(
            {
                "contact_id": c.contact_id,
                "name": c.name,
                "referrer": referrer,
                "since": r.referred_at,
                "sentence": f"ask {referrer} to introduce you to {c.name}; then "
                f"`outreach contacts edit {c.contact_id[:8]} --email ADDRESS`",
            }
        )
    return sorted(found, key=lambda f: (f["since"], f["name"] or ""))


def _count(app: App, row_type: type[Row], *where: sa.ColumnElement[bool]) -> int:
    table = app.projector.columns(row_type)
    key = table[row_type.KEY]
    [(n,)] = app.projector.select(sa.select(sa.func.count(key)).where(*where))
    return int(n)


def recent_failures(app: App, now: datetime, limit: int = 50) -> list[dict[str, Any]]:
    """The last `limit` failures of the past week (the log's index by event type)."""
    found = []
    for e in app.store.recent_failures(now - BEHIND, limit):
        p = e.payload
        found.append(
            {
                "type": e.type,
                "at": e.occurred_at.isoformat(),
                "what": p.get("action") or p.get("skipped_action") or p.get("resource"),
                "why": str(p.get("error") or p.get("reason") or "")[:200],
            }
        )
    return found


#: How many pieces of work, drafts and referrals status lists (with how many there are).
SHOWN = 20


def status(app: App, queued: int | None, shown: int | None = SHOWN) -> dict[str, Any]:
    """Everything `outreach status` shows; `queued` is the Redis queue length, if any.

    Lists stop at `shown` items (None: every one), each beside how many there are, so
    the report costs what it shows, not the size of the pipeline.
    """
    now = app.clock.now()
    app.projector.catch_up()
    contact, meeting = app.projector.columns(ContactRow), app.projector.columns(MeetingRow)
    until = (now + AHEAD).astimezone(UTC).isoformat()
    return {
        "now": now.isoformat(),
        "accounts": accounts(app, now),
        "workers": workers(app, now),
        "queued": queued,
        "coming_up": coming_up(app, now, shown=shown),
        # The people and meetings that have something due within AHEAD at the earliest
        # (some may find the moment has not come yet): how much "coming_up" is of.
        "due_within_48h": {
            "people": _count(app, ContactRow, contact.due_at <= until),
            "meetings": _count(app, MeetingRow, meeting.due_at <= until),
        },
        "drafts_waiting": drafts_waiting(app, shown),
        "drafts_waiting_count": _count(
            app, DraftRow, app.projector.columns(DraftRow).status == "pending"
        ),
        "notes_to_write": notes_to_write(app, now),
        "open_referrals": open_referrals(app, shown),
        "open_referrals_count": _count(app, ReferralRow, _open_referrals(app)),
        "recent_failures": recent_failures(app, now),
        # Until `outreach init`, no first message is prepared: say so first.
        "profile": RUN_INIT if profile_unset(app.settings.profile) else None,
        "meetings_to_settle": meetings_to_settle(app, now),
    }

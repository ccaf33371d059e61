"""Each person's and meeting's next due moment: the earliest time at which one of the
`due_*` policies may find work for them, from the same state the policies read.

The views keep it (`due_at`), so a tick asks the policies only about the rows due by now
(docs/performance.md). Early is harmless (the tick asks and the policy says "not yet");
late would lose work: each function mirrors its policy's conditions, and a property test
compares the tick that reads only due rows with the one that reads every row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from worker.domain.policies.after_meeting import keep_in_touch_due_at, thanks_ready_at
from worker.domain.policies.confirmations import (
    asked_where,
    confirmation_key,
    confirmation_time,
    link_to_come,
    needs_acceptance,
    needs_place,
    reader_zone,
    removable_ask,
    where_settled,
)
from worker.domain.policies.declined import wants_decline_thanks
from worker.domain.policies.outreach import (
    MAX_NUDGES,
    nudge_due_at,
    referral_waits_until,
    wants_outreach,
)
from worker.domain.policies.snapshot import Snapshot
from worker.domain.settings import Policy

#: Due at once, whatever the time: earlier than any moment a tick runs at.
AT_ONCE = datetime(2000, 1, 1, tzinfo=UTC)


def _earliest(*moments: datetime | None) -> datetime | None:
    found = [m for m in moments if m is not None]
    return min(found) if found else None


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def contact_due_at(c: ContactRow, snapshot: Snapshot, policy: Policy) -> datetime | None:
    """When stale nudge drafts, outreach, nudges, keep-in-touch, times or the thanks
    for a "no" may be due."""
    return _earliest(
        _stale_nudge(c, snapshot),
        _outreach(c, snapshot, policy),
        _nudge(c, snapshot, policy),
        _keep_in_touch(c, snapshot, policy),
        _times(c),
        AT_ONCE if wants_decline_thanks(c, snapshot) else None,  # mirrors due_decline_thanks
    )


def _stale_nudge(c: ContactRow, snapshot: Snapshot) -> datetime | None:
    # Mirrors stale_nudge_drafts.
    if not (c.replied_at or c.closed or c.stage in ("declined", "scheduled", "confirmed", "met")):
        return None
    pending = any(d.status == "pending" for d in snapshot.drafts_of(c.contact_id, "nudge"))
    return AT_ONCE if pending else None


def _outreach(c: ContactRow, snapshot: Snapshot, policy: Policy) -> datetime | None:
    # Mirrors due_outreach; the daily cap only decides how many of the due are drafted.
    if not wants_outreach(c):
        return None
    return referral_waits_until(c, snapshot, policy) or AT_ONCE


def _nudge(c: ContactRow, snapshot: Snapshot, policy: Policy) -> datetime | None:
    # Mirrors due_nudges.
    if c.forgotten or c.closed or c.replied_at or c.bounced or c.stage not in ("sent", "nudged"):
        return None
    if any(d.status == "pending" for d in snapshot.drafts_of(c.contact_id, "nudge")):
        return None
    number = c.nudges_sent + 1
    if number > MAX_NUDGES:
        last = _ts(c.last_nudge_sent_at or c.outreach_sent_at or c.stage_at)
        return last + timedelta(days=policy.second_nudge_days - policy.first_nudge_days)
    if c.nudges_drafted >= number:
        return None
    return nudge_due_at(c, number, policy)


def _keep_in_touch(c: ContactRow, snapshot: Snapshot, policy: Policy) -> datetime | None:
    # Mirrors due_keep_in_touch.
    due = keep_in_touch_due_at(c, policy)
    if due is None:
        return None
    last = _ts(c.last_exchange_at or "")
    if any(_ts(d.created_at) >= last for d in snapshot.drafts_of(c.contact_id, "keep_in_touch")):
        return None
    return due


def _times(c: ContactRow) -> datetime | None:
    # Mirrors due_times, from the columns the pipeline keeps for it.
    if c.forgotten or c.bounced or c.closed or c.stage != "replied" or c.last_reply_at is None:
        return None
    answered = c.last_reply_id in c.times_answered
    if c.times_offered_at is None:
        return None if answered else AT_ONCE
    if _ts(c.last_reply_at) > _ts(c.times_offered_at) and not answered:
        return AT_ONCE
    return None


def meeting_due_at(m: MeetingRow, snapshot: Snapshot, policy: Policy) -> datetime | None:
    """When confirming, marking met or thanking (the contact and their referrer) may be due."""
    stale = _stale_where(m, snapshot)
    if m.status == "scheduled":
        met = _ts(m.end) + timedelta(minutes=policy.met_grace_minutes)
        return _earliest(_confirmation(m, snapshot, policy), met, stale)
    if m.status == "met":
        return _earliest(_thanks(m, snapshot, policy), stale)
    return stale


def _stale_where(m: MeetingRow, snapshot: Snapshot) -> datetime | None:
    # Mirrors stale_where_drafts.
    if not where_settled(m):
        return None
    waiting = any(
        d.meeting_id == m.meeting_id and removable_ask(d)
        for d in snapshot.drafts_of(m.contact_id, "confirmation_ask")
    )
    return AT_ONCE if waiting else None


def _confirmation(m: MeetingRow, snapshot: Snapshot, policy: Policy) -> datetime | None:
    # Mirrors due_confirmations (which stops asking once the meeting has started).
    start = _ts(m.start)
    if m.confirmed_for_start and _ts(m.confirmed_for_start) == start:
        return None
    if needs_acceptance(m):
        return None
    if needs_place(m):
        return None if asked_where(snapshot, m) else AT_ONCE
    at = confirmation_time(m, policy, reader_zone(snapshot, m))
    if link_to_come(m):
        # The link's arrival changes the meeting (and dates it again); until then, the
        # only work is asking where, should the confirmation come due without it.
        return None if at is None or asked_where(snapshot, m) else at
    latest_ok = start - timedelta(hours=policy.confirm_not_within_hours)
    skipped = confirmation_key(m.meeting_id, start) in snapshot.skipped
    if at is None:
        return None if skipped else AT_ONCE
    return at if skipped else min(at, latest_ok)


def _thanks(m: MeetingRow, snapshot: Snapshot, policy: Policy) -> datetime | None:
    # Mirrors due_thanks: due from the moment the thanks are ready while a draft is
    # missing, or a waiting untouched draft predates the notes.
    c = snapshot.contacts.get(m.contact_id)
    if c is None or c.forgotten:
        return None
    ready = thanks_ready_at(m, policy)
    drafted = [
        d for d in snapshot.drafts_of(c.contact_id, "thank_you") if d.meeting_id == m.meeting_id
    ]
    if not drafted or any(_stale(d.status, d.edited, d.rendered_at, m) for d in drafted):
        return ready
    referrer = snapshot.contacts.get(c.referred_by or "")
    if referrer is None or referrer.forgotten or not referrer.emails:
        return None
    updates = [
        d
        for d in snapshot.drafts_of(referrer.contact_id, "referrer_thanks")
        if d.about_contact_id == c.contact_id
    ]
    if not updates or any(_stale(d.status, d.edited, d.rendered_at, m) for d in updates):
        return ready
    return None


def _stale(status: str, edited: bool, rendered_at: str, m: MeetingRow) -> bool:
    """Mirrors after_meeting._rerender: a waiting untouched draft older than the notes."""
    if status != "pending" or edited or not m.notes_at or not rendered_at:
        return False
    return _ts(m.notes_at) > _ts(rendered_at)

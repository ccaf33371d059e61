"""First contact and the polite persistence after it: outreach drafts, nudges, giving up."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from events.projections.pipeline import ContactRow
from worker.domain.policies.actions import Action, delete_draft
from worker.domain.policies.snapshot import Snapshot
from worker.domain.settings import Policy

MAX_NUDGES = 2


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _local_day_start(now: datetime, zone: str) -> datetime:
    local = now.astimezone(ZoneInfo(zone))
    return datetime.combine(local.date(), time(0), ZoneInfo(zone)).astimezone(UTC)


def wants_outreach(c: ContactRow) -> bool:
    """Chosen by the user, or introduced by a referral; never just imported."""
    if c.forgotten or c.closed or not c.emails or c.outreach_drafted_at or c.outreach_sent_at:
        return False
    return c.stage == "to_write" or (c.stage == "identified" and c.source == "referral")


def referral_waits_until(c: ContactRow, snapshot: Snapshot, policy: Policy) -> datetime | None:
    """A referral's first contact says "X suggested I write": it waits until X, met,
    has been thanked (nobody hears their name used before their thanks), or until the
    next morning (user's zone) when the thank-you is slow to go. None: no wait."""
    referrer = snapshot.contacts.get(c.referred_by or "")
    if referrer is None or referrer.thanked_at:
        return None
    met = any(m.status == "met" for m in snapshot.meetings_of(referrer.contact_id))
    if not met:
        return None  # introduced by someone the user has not met: nobody to thank first
    zone = ZoneInfo(policy.time_zone)
    added = _ts(c.added_at).astimezone(zone).date()
    next_morning = datetime.combine(added + timedelta(days=1), time(policy.send_window_start), zone)
    return next_morning.astimezone(UTC)


def _waiting_for_referrer(c: ContactRow, snapshot: Snapshot, now: datetime, policy: Policy) -> bool:
    until = referral_waits_until(c, snapshot, policy)
    return until is not None and now < until


def due_outreach(snapshot: Snapshot, now: datetime, policy: Policy) -> list[Action]:
    """Outreach drafts for chosen contacts, at most `daily_outreach_cap` per local day."""
    day_start = _local_day_start(now, policy.time_zone)
    drafted_today = sum(
        1
        for d in snapshot.drafts.values()
        if d.kind == "outreach" and _ts(d.created_at) >= day_start
    )
    room = max(0, policy.daily_outreach_cap - drafted_today)
    waiting = sorted(
        (
            c
            for c in snapshot.contacts.values()
            if wants_outreach(c) and not _waiting_for_referrer(c, snapshot, now, policy)
        ),
        key=lambda c: (c.reach_out_at or c.added_at, c.contact_id),
    )
    return [
        Action(
            kind="draft_outreach",
            key=f"outreach:{c.contact_id}",
            contact_id=c.contact_id,
            due_at=now,
            about_contact_id=c.referred_by,
        )
        for c in waiting[:room]
    ]


def nudge_due_at(c: ContactRow, number: int, policy: Policy) -> datetime | None:
    """When nudge `number` is due: 7 then 14 days after the outreach (a week after the
    first nudge at the earliest), moved past an out-of-office return date."""
    if not c.outreach_sent_at:
        return None
    sent = _ts(c.outreach_sent_at)
    if number == 1:
        due = sent + timedelta(days=policy.first_nudge_days)
    else:
        if not c.last_nudge_sent_at:
            return None
        gap = policy.second_nudge_days - policy.first_nudge_days
        due = max(
            sent + timedelta(days=policy.second_nudge_days),
            _ts(c.last_nudge_sent_at) + timedelta(days=gap),
        )
    if c.out_of_office_until:
        back = date.fromisoformat(c.out_of_office_until) + timedelta(days=1)
        zone = ZoneInfo(policy.time_zone)
        after_return = datetime.combine(back, time(policy.send_window_start), zone)
        due = max(due, after_return.astimezone(UTC))
    return due


def due_nudges(snapshot: Snapshot, now: datetime, policy: Policy) -> list[Action]:
    actions: list[Action] = []
    for c in snapshot.contacts.values():
        if c.forgotten or c.closed or c.replied_at or c.bounced:
            continue  # closed by the user: no nudge, no "no answer" either
        if c.stage not in ("sent", "nudged"):
            continue
        pending = [d for d in snapshot.drafts_of(c.contact_id, "nudge") if d.status == "pending"]
        if pending:
            continue  # the user has not sent the last one yet; one at a time
        number = c.nudges_sent + 1
        if number > MAX_NUDGES:
            last = _ts(c.last_nudge_sent_at or c.outreach_sent_at or c.stage_at)
            gap = policy.second_nudge_days - policy.first_nudge_days
            if now >= last + timedelta(days=gap):
                actions.append(
                    Action(
                        kind="record_no_response",
                        key=f"no_response:{c.contact_id}",
                        contact_id=c.contact_id,
                        due_at=last + timedelta(days=gap),
                    )
                )
            continue
        if c.nudges_drafted >= number:
            continue  # drafted and discarded or sent elsewhere: never redraft it
        due = nudge_due_at(c, number, policy)
        if due is not None and now >= due:
            actions.append(
                Action(
                    kind="draft_nudge",
                    key=f"nudge:{c.contact_id}:{number}",
                    contact_id=c.contact_id,
                    due_at=due,
                    nudge_number=number,
                )
            )
    return actions


def stale_nudge_drafts(snapshot: Snapshot, now: datetime) -> list[Action]:
    """A real reply (or a declined meeting) makes any waiting nudge draft wrong: delete it."""
    actions: list[Action] = []
    for d in snapshot.drafts.values():
        if d.kind != "nudge" or d.status != "pending":
            continue
        c = snapshot.contacts.get(d.contact_id)
        if c is None:
            continue
        if c.replied_at or c.closed or c.stage in ("declined", "scheduled", "confirmed", "met"):
            actions.append(delete_draft(d.draft_id, d.contact_id, now, "superseded_by_reply"))
    return actions

"""After the meeting: mark it met, thank from the notes (or by the evening without them),
re-render an untouched thank-you when notes come late, and keep in touch on a cadence."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from worker.domain.policies.actions import Action
from worker.domain.policies.snapshot import Snapshot
from worker.domain.settings import Policy


def due_met(snapshot: Snapshot, now: datetime, policy: Policy) -> list[Action]:
    """A meeting that ended (plus a grace period) and was not cancelled took place."""
    actions = []
    for m in snapshot.meetings.values():
        if m.status != "scheduled":
            continue
        ended = datetime.fromisoformat(m.end) + timedelta(minutes=policy.met_grace_minutes)
        if now >= ended:
            actions.append(
                Action(
                    kind="mark_met",
                    key=f"met:{m.meeting_id}",
                    contact_id=m.contact_id,
                    due_at=ended,
                    meeting_id=m.meeting_id,
                )
            )
    return actions


def notes_deadline(m: MeetingRow, policy: Policy) -> datetime:
    """How long the thanks wait for notes: the evening of the meeting day in the user's
    zone (`notes_by_hour`), or a while after a meeting that ended later than that."""
    end = datetime.fromisoformat(m.end)
    zone = ZoneInfo(policy.time_zone)
    evening = datetime.combine(end.astimezone(zone).date(), time(policy.notes_by_hour), zone)
    return max(evening.astimezone(UTC), end + timedelta(minutes=policy.thank_you_within_minutes))


def thanks_ready_at(m: MeetingRow, policy: Policy) -> datetime:
    """When the thanks for a met meeting are prepared: as soon as the notes are written,
    else by the evening (a complete thank-you without the takeaway)."""
    deadline = notes_deadline(m, policy)
    if m.notes_at:
        return min(datetime.fromisoformat(m.notes_at), deadline)
    return deadline


def _rerender(d: DraftRow, m: MeetingRow, now: datetime) -> Action | None:
    """Notes written after a waiting draft was prepared: prepare it again from them, but
    only while it waits untouched (sent or edited by the user: never rewritten)."""
    if d.status != "pending" or d.edited or not m.notes_at or not d.rendered_at:
        return None
    if datetime.fromisoformat(m.notes_at) <= datetime.fromisoformat(d.rendered_at):
        return None
    return Action(
        kind="rerender_draft",
        key=f"rerender:{d.draft_id}:{m.notes_at}",
        contact_id=d.contact_id,
        due_at=now,
        draft_id=d.draft_id,
        meeting_id=m.meeting_id,
    )


def due_thanks(snapshot: Snapshot, now: datetime, policy: Policy) -> list[Action]:
    """A thank-you draft to the interviewee, and the update to whoever introduced us."""
    actions: list[Action] = []
    for m in snapshot.meetings.values():
        if m.status != "met":
            continue
        c = snapshot.contacts.get(m.contact_id)
        if c is None or c.forgotten:
            continue
        due = thanks_ready_at(m, policy)
        if now < due:
            continue
        drafted = [
            d for d in snapshot.drafts_of(c.contact_id, "thank_you") if d.meeting_id == m.meeting_id
        ]
        if not drafted:
            actions.append(
                Action(
                    kind="draft_thank_you",
                    key=f"thank_you:{m.meeting_id}",
                    contact_id=c.contact_id,
                    due_at=due,
                    meeting_id=m.meeting_id,
                )
            )
        actions.extend(a for d in drafted if (a := _rerender(d, m, now)) is not None)
        referrer = snapshot.contacts.get(c.referred_by or "")
        if referrer is None or referrer.forgotten or not referrer.emails:
            continue
        updates = [
            d
            for d in snapshot.drafts_of(referrer.contact_id, "referrer_thanks")
            if d.about_contact_id == c.contact_id
        ]
        if not updates:
            actions.append(
                Action(
                    kind="draft_referrer_thanks",
                    key=f"referrer_thanks:{referrer.contact_id}:{c.contact_id}",
                    contact_id=referrer.contact_id,
                    due_at=due,
                    about_contact_id=c.contact_id,
                    meeting_id=m.meeting_id,
                )
            )
        actions.extend(a for d in updates if (a := _rerender(d, m, now)) is not None)
    return actions


def keep_in_touch_due_at(c: ContactRow, policy: Policy) -> datetime | None:
    """When the next keep-in-touch note is due: a cadence (the contact's own, else the
    policy's) counted from the last real exchange either way, for people the user met
    and thanked or who introduced someone; never for a contact closed, forgotten or who
    said no in the notes."""
    if c.forgotten or c.closed or c.merged_into or not c.emails or c.keep_in_touch is False:
        return None
    if not (c.thanked_at or c.referrer_thanked_at) or not c.last_exchange_at:
        return None
    weeks = c.keep_in_touch_weeks or policy.keep_in_touch_weeks
    if weeks <= 0:
        return None
    return datetime.fromisoformat(c.last_exchange_at) + timedelta(weeks=weeks)


def due_keep_in_touch(snapshot: Snapshot, now: datetime, policy: Policy) -> list[Action]:
    actions = []
    for c in snapshot.contacts.values():
        due = keep_in_touch_due_at(c, policy)
        if due is None or now < due:
            continue
        last = datetime.fromisoformat(c.last_exchange_at or "")
        # One note per quiet stretch: a draft made since the last exchange (waiting,
        # or discarded by the user) stands for this one.
        if any(
            datetime.fromisoformat(d.created_at) >= last
            for d in snapshot.drafts_of(c.contact_id, "keep_in_touch")
        ):
            continue
        actions.append(
            Action(
                kind="draft_keep_in_touch",
                key=f"keep_in_touch:{c.contact_id}:{c.last_exchange_at}",
                contact_id=c.contact_id,
                due_at=due,
            )
        )
    return actions

"""After the meeting: mark it met, draft the thank-yous, and keep in touch weeks later."""

from __future__ import annotations

from datetime import datetime, timedelta

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


def due_thanks(snapshot: Snapshot, now: datetime, policy: Policy) -> list[Action]:
    """A thank-you draft to the interviewee, and one to whoever introduced us."""
    actions: list[Action] = []
    for m in snapshot.meetings.values():
        if m.status != "met":
            continue
        c = snapshot.contacts.get(m.contact_id)
        if c is None or c.forgotten:
            continue
        due = datetime.fromisoformat(m.status_at)
        if not any(
            d.meeting_id == m.meeting_id for d in snapshot.drafts_of(c.contact_id, "thank_you")
        ):
            actions.append(
                Action(
                    kind="draft_thank_you",
                    key=f"thank_you:{m.meeting_id}",
                    contact_id=c.contact_id,
                    due_at=due,
                    meeting_id=m.meeting_id,
                )
            )
        referrer = snapshot.contacts.get(c.referred_by or "")
        if referrer is None or referrer.forgotten or not referrer.emails:
            continue
        already = any(
            d.about_contact_id == c.contact_id
            for d in snapshot.drafts_of(referrer.contact_id, "referrer_thanks")
        )
        if not already:
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
    return actions


def due_keep_in_touch(snapshot: Snapshot, now: datetime, policy: Policy) -> list[Action]:
    actions = []
    for c in snapshot.contacts.values():
        if c.stage != "thanked" or not c.thanked_at or c.forgotten:
            continue
        due = datetime.fromisoformat(c.thanked_at) + timedelta(days=policy.keep_in_touch_days)
        if now >= due and not snapshot.drafts_of(c.contact_id, "keep_in_touch"):
            actions.append(
                Action(
                    kind="draft_keep_in_touch",
                    key=f"keep_in_touch:{c.contact_id}",
                    contact_id=c.contact_id,
                    due_at=due,
                )
            )
    return actions

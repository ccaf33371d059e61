"""After a "no": one short reply that thanks them anyway, then nothing more, ever."""

from __future__ import annotations

from datetime import datetime

from events.projections.pipeline import ContactRow
from worker.domain.policies.actions import Action
from worker.domain.policies.snapshot import Snapshot


def decline_thanks_key(contact_id: str) -> str:
    # One per person, whatever reopening and closing follow: thanks for a "no" is said once.
    return f"decline_thanks:{contact_id}"


def wants_decline_thanks(c: ContactRow, snapshot: Snapshot) -> bool:
    """Closed as declined by the user after we wrote to them (a "no" answers something),
    with an address to reply to, and no such reply prepared before (sent, waiting or
    discarded by the user: each stands for it) nor skipped."""
    if c.closed != "declined" or c.forgotten or c.merged_into or not c.emails:
        return False
    if not c.outreach_sent_at or decline_thanks_key(c.contact_id) in c.skipped:
        return False
    return not snapshot.drafts_of(c.contact_id, "decline_thanks")


def due_decline_thanks(snapshot: Snapshot, now: datetime) -> list[Action]:
    """Due as soon as the contact is closed as declined: the user said so just now and
    reviews the reply while the "no" is fresh."""
    return [
        Action(
            kind="draft_decline_thanks",
            key=decline_thanks_key(c.contact_id),
            contact_id=c.contact_id,
            due_at=datetime.fromisoformat(c.closed_at) if c.closed_at else now,
        )
        for c in snapshot.contacts.values()
        if wants_decline_thanks(c, snapshot)
    ]

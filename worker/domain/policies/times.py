"""From "happy to talk" to a meeting: offer times after a person's reply, and read their
answer to the offer. Pure: decisions from the snapshot, the clock and the policy."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from worker.domain.offers import TimesView
from worker.domain.policies.actions import Action
from worker.domain.policies.snapshot import Snapshot
from worker.domain.settings import Policy
from worker.domain.slots import Interval


def due_times(snapshot: Snapshot, now: datetime, policy: Policy) -> list[Action]:
    """A contact who replied and has no meeting: times to offer (once), then, when they
    answer the offer, the answer to read (once per reply)."""
    view = snapshot.times
    actions: list[Action] = []
    for c in snapshot.contacts.values():
        if c.forgotten or c.bounced or c.closed or c.stage != "replied":
            # No meeting yet is exactly "replied": later stages have one. Closed (their
            # "no", or the user's "not now"): no times are offered to them.
            continue
        reply = view.last_reply.get(c.contact_id)
        if reply is None:
            continue
        offer = view.latest_offer(c.contact_id)
        if offer is None and reply.message_id in view.answered:
            continue  # their reply was read as a no: the user decides, nothing is offered
        if offer is None:
            actions.append(
                Action(
                    kind="draft_times",
                    key=f"times:{c.contact_id}",
                    contact_id=c.contact_id,
                    due_at=now,
                )
            )
        elif reply.received_at > offer.offered_at and reply.message_id not in view.answered:
            actions.append(
                Action(
                    kind="read_times_answer",
                    key=f"times-answer:{c.contact_id}:{reply.message_id}",
                    contact_id=c.contact_id,
                    due_at=now,
                )
            )
    return actions


def held_times(
    view: TimesView, stages: Mapping[str, str], now: datetime, *, besides: str
) -> list[Interval]:
    """Times offered to other contacts still waiting for a meeting and not expired: never
    offered to a second person. `stages`: each contact's stage."""
    held: list[Interval] = []
    for contact_id, offers in view.offers.items():
        if contact_id == besides or stages.get(contact_id) != "replied":
            continue
        for offer in offers:
            if offer.expires_at > now:
                held += offer.slots()
    return held

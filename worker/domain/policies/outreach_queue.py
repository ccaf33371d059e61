"""When a chosen contact's outreach draft will come: today, or a later day past the cap."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from worker.domain.policies.outreach import _local_day_start, _ts, wants_outreach
from worker.domain.policies.snapshot import Snapshot
from worker.domain.settings import Policy


def outreach_day(snapshot: Snapshot, contact_id: str, now: datetime, policy: Policy) -> date | None:
    """The local day `due_outreach` will draft this contact's outreach (None: never, a cap
    of 0, or the contact is not waiting). Mirrors its order: first chosen, first drafted."""
    day_start = _local_day_start(now, policy.time_zone)
    drafted_today = sum(
        1
        for d in snapshot.drafts.values()
        if d.kind == "outreach" and _ts(d.created_at) >= day_start
    )
    waiting = sorted(
        (c for c in snapshot.contacts.values() if wants_outreach(c)),
        key=lambda c: (c.reach_out_at or c.added_at, c.contact_id),
    )
    place = next((i for i, c in enumerate(waiting) if c.contact_id == contact_id), None)
    if place is None or policy.daily_outreach_cap <= 0:
        return None
    room = max(0, policy.daily_outreach_cap - drafted_today)
    today = now.astimezone(ZoneInfo(policy.time_zone)).date()
    if place < room:
        return today
    return today + timedelta(days=1 + (place - room) // policy.daily_outreach_cap)

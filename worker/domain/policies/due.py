"""Everything due now: the one function the scheduler tick calls."""

from __future__ import annotations

from datetime import datetime

from worker.domain.policies.actions import Action
from worker.domain.policies.after_meeting import due_keep_in_touch, due_met, due_thanks
from worker.domain.policies.confirmations import due_confirmations, stale_where_drafts
from worker.domain.policies.declined import due_decline_thanks
from worker.domain.policies.outreach import due_nudges, due_outreach, stale_nudge_drafts
from worker.domain.policies.snapshot import Snapshot
from worker.domain.policies.summary import due_summary
from worker.domain.policies.times import due_times
from worker.domain.settings import Policy


def due_actions(snapshot: Snapshot, now: datetime, policy: Policy) -> list[Action]:
    """Pure: the same snapshot, time and policy always give the same actions, in order."""
    return in_order([*due_for_rows(snapshot, now, policy), *due_summary(snapshot, now, policy)])


def in_order(actions: list[Action]) -> list[Action]:
    return sorted(actions, key=lambda a: (a.due_at, a.key))


def due_for_rows(snapshot: Snapshot, now: datetime, policy: Policy) -> list[Action]:
    """Everything due but the daily summary: the work of the contacts and meetings in the
    snapshot (the tick hands it only the rows due by now and what they reference)."""
    return [
        *stale_nudge_drafts(snapshot, now),
        *stale_where_drafts(snapshot, now),
        *due_confirmations(snapshot, now, policy),
        *due_met(snapshot, now, policy),
        *due_thanks(snapshot, now, policy),
        *due_outreach(snapshot, now, policy),
        *due_nudges(snapshot, now, policy),
        *due_keep_in_touch(snapshot, now, policy),
        *due_decline_thanks(snapshot, now),
        *due_times(snapshot, now, policy),
    ]

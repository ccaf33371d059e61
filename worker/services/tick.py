"""The scheduler tick: read the views and the clock, derive what is due, hand it over.

Losing every queued message loses nothing: the next tick derives the same actions
from the log again, and effects are idempotent.
"""

from __future__ import annotations

from collections.abc import Callable

from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.projections.referrals import ReferralRow
from worker.domain.policies.actions import Action
from worker.domain.policies.due import due_actions
from worker.domain.policies.snapshot import Snapshot
from worker.services.app import App
from worker.services.offers import load_times_view


def load_snapshot(app: App) -> Snapshot:
    """The views as they stand after catching up with the log."""
    app.projector.catch_up()
    with app.engine.connect() as conn:
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


def tick(app: App, enqueue: Callable[[Action], None]) -> list[Action]:
    """Enqueue every action due now; return them."""
    actions = due_actions(load_snapshot(app), app.clock.now(), app.settings.policy)
    for action in actions:
        enqueue(action)
    return actions

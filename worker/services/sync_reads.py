"""What a sync pass reads from the views: the addresses and waiting drafts it asks the
provider about, and, only when the provider saw something, the state its records are
interpreted against. An idle mailbox's pass reads two columns and one index, not every
row of every view (issue 17: an idle worker at 10,000 people)."""

from __future__ import annotations

import sqlalchemy as sa

from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.projections.pipeline import ContactRow
from integrations.protocol import SyncBatch
from worker.domain.policies.snapshot import Snapshot
from worker.services.app import App
from worker.services.tick import load_snapshot


def account(app: App, account_id: str) -> AccountRow | None:
    """The account as the views stand after catching up with the log."""
    app.projector.catch_up()
    return app.projector.get(AccountRow, account_id)


def addresses(app: App) -> set[str]:
    """Every address of the contacts not forgotten, lower-cased (two columns read)."""
    c = app.projector.columns(ContactRow)
    rows = app.projector.select(sa.select(c.emails, c.forgotten))
    return {e.lower() for emails, forgotten in rows if not forgotten for e in emails or ()}


def waiting_drafts(app: App, account_id: str) -> set[str]:
    """The provider ids of this account's drafts waiting for review (status is indexed)."""
    return {
        d.provider_draft_id
        for d in app.projector.find(DraftRow, status="pending")
        if d.account_id == account_id and d.provider_draft_id
    }


def interpreted_against(app: App, batch: SyncBatch) -> Snapshot:
    """The state `batch` is interpreted against: every view when it saw messages, drafts
    gone or calendar events; nothing when it only moves cursors, which read the account
    alone."""
    if batch.messages or batch.drafts_gone or batch.events:
        return load_snapshot(app)
    return Snapshot()

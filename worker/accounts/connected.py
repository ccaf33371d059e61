"""Removing a connected account: the event in the log and its stored token destroyed."""

from __future__ import annotations

from events.ids import derive_id
from events.projections.accounts import AccountRow
from events.types import AccountRemoved
from worker.accounts.token_store import TokenStore
from worker.services.app import App
from worker.services.connected_accounts import resolve_account


def remove_account(app: App, ref: str) -> tuple[AccountRow, bool]:
    """Record the removal and destroy the stored token; returns the account and whether
    it was connected before (removing twice records nothing new but still deletes a
    token file left behind)."""
    row = resolve_account(app, ref)
    was_active = row.status != "removed"
    if was_active:
        # The removal of this connection: a retried command records it once.
        app.journal.record(
            AccountRemoved(account_id=row.account_id),
            event_id=derive_id("account-removed", row.account_id, row.connected_at),
        )
    TokenStore(app.settings).delete(row.account_id)
    app.projector.catch_up()
    return resolve_account(app, row.account_id), was_active

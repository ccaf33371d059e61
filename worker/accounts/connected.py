"""Connected accounts as the user sees them: listing, finding by address or id, removing."""

from __future__ import annotations

from events.ids import derive_id
from events.projections.accounts import AccountRow
from events.types import AccountRemoved
from worker.app import App
from worker.token_store import TokenStore


class UnknownAccount(LookupError):
    pass


def accounts(app: App, *, include_removed: bool = True) -> list[AccountRow]:
    app.projector.catch_up()
    rows = app.projector.rows(AccountRow)
    rows = [r for r in rows if include_removed or r.status != "removed"]
    return sorted(rows, key=lambda r: (r.status == "removed", r.connected_at, r.email))


def resolve_account(app: App, ref: str) -> AccountRow:
    """One account by id, unique id prefix (4+ characters) or address."""
    ref = ref.strip()
    rows = accounts(app)
    low = ref.lower()
    for matcher in (
        lambda r: r.account_id == ref,
        lambda r: r.email.lower() == low,
        lambda r: len(ref) >= 4 and r.account_id.startswith(ref),
    ):
        found = [r for r in rows if matcher(r)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            # The same address on two providers: the id tells them apart.
            ids = ", ".join(f"{r.provider} {r.account_id[:8]}" for r in found)
            raise UnknownAccount(f"account {ref!r} is ambiguous: {ids}")
    raise UnknownAccount(f"no account matches {ref!r} (try `outreach accounts list`)")


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

"""Connected accounts as the log knows them: listing, and finding one by address or id."""

from __future__ import annotations

from collections.abc import Callable

from events.errors import UserError
from events.projections.accounts import AccountRow
from worker.services.app import App


class NoAccount(UserError, LookupError):
    """No connected account can act for this contact (none connected, or it needs reconnecting)."""


class UnknownAccount(UserError, LookupError):
    """No account (or more than one) matches what the user typed."""


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
    matchers: tuple[Callable[[AccountRow], bool], ...] = (
        lambda r: r.account_id == ref,
        lambda r: r.email.lower() == low,
        lambda r: len(ref) >= 4 and r.account_id.startswith(ref),
    )
    for matcher in matchers:
        found = [r for r in rows if matcher(r)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            # The same address on two providers: the id tells them apart.
            ids = ", ".join(f"{r.provider} {r.account_id[:8]}" for r in found)
            raise UnknownAccount(f"account {ref!r} is ambiguous: {ids}")
    raise UnknownAccount(f"no account matches {ref!r} (try `outreach accounts list`)")

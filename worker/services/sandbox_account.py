"""Connecting the sandbox's ready-made accounts (`outreach connect sandbox`): trying the
worker without a Google or Microsoft account, on the emulators `outreach sandbox` runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from events.errors import UserError
from events.ids import derive_id
from events.projections.accounts import AccountRow
from events.types import AccountConnected
from worker.services.app import App

SandboxKind = Literal["google", "microsoft"]


class NoSandboxAccount(UserError, LookupError):
    pass


@dataclass(frozen=True)
class SandboxConnection:
    account_id: str
    email: str
    kind: SandboxKind
    already: bool


def connect_sandbox(app: App, endpoints: Mapping[str, Any], kind: SandboxKind) -> SandboxConnection:
    """Record the sandbox's account of this kind as connected (once: again is a no-op)."""
    found = endpoints.get(kind) or {}
    email = str(found.get("email") or "")
    if not email:
        raise NoSandboxAccount(
            f"the running sandbox has no {kind} account (its endpoints name none)"
        )
    # Derived from the address: connecting again finds the same account.
    account_id = f"sandbox-{kind}-{derive_id('sandbox-account', email.lower())[:8]}"
    app.projector.catch_up()
    known = [
        a
        for a in app.projector.rows(AccountRow)
        if a.account_id == account_id and a.status == "connected"
    ]
    if not known:
        app.journal.record(
            AccountConnected(
                account_id=account_id,
                provider="sandbox",
                email=email,
                time_zone=app.settings.policy.time_zone,
            )
        )
    return SandboxConnection(account_id, email, kind, already=bool(known))

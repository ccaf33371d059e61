"""What connecting any provider's account shares: the one-line error, the result, keeping
token-bearing loggers quiet, and recording the connection once the grant is stored."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from events.errors import UserError
from events.ids import derive_id
from events.projections.accounts import AccountRow
from events.types import AccountConnected, Provider
from worker.accounts.token_store import TokenStore
from worker.services.app import App

log = logging.getLogger(__name__)

Say = Callable[[str], None]


class ConnectError(UserError, ValueError):
    """Connecting failed for a reason the user can fix; the message says which."""


@dataclass(frozen=True)
class Connected:
    account_id: str
    email: str
    time_zone: str
    scopes: list[str]
    reconnected: bool


def check_expected(email: str, expected: str | None, where: str) -> None:
    """Refuse a sign-in as someone else than the address the user named.

    where: how to choose the other account ("in the browser", "at the sign-in page").
    """
    if expected and expected.strip().lower() != email:
        raise ConnectError(
            f"signed in as {email}, not {expected.strip()}; run the command again and "
            f"choose that account {where}"
        )


def record_connection(
    app: App,
    *,
    provider: Provider,
    account_id: str,
    email: str,
    time_zone: str,
    scopes: list[str],
    secret: str,
) -> Connected:
    """Store the account's secret, then record AccountConnected; reconnecting keeps the
    cursors (the accounts projection carries them over).

    The secret is written first: a crash between the two leaves a token file without an
    account, which the next connect overwrites, never an account without its token.
    """
    TokenStore(app.settings).save(account_id, secret)
    app.projector.catch_up()
    before = {r.account_id: r for r in app.projector.rows(AccountRow)}.get(account_id)
    # The nth connection of this account: recording it twice (a retry) is one event,
    # while connecting again later (after a revoke) is a new one.
    connection = app.store.stream_version(f"account-{account_id}")
    app.journal.record(
        AccountConnected(
            account_id=account_id,
            provider=provider,
            email=email,
            time_zone=time_zone,
            scopes=list(scopes),
        ),
        event_id=derive_id("account-connected", account_id, connection),
    )
    app.projector.catch_up()
    log.info("connected %s account %s", provider, account_id)
    return Connected(account_id, email, time_zone, list(scopes), before is not None)


@contextmanager
def quiet(*names: str) -> Iterator[None]:
    """Hold the named loggers at INFO and above for a while: OAuth libraries log token
    responses, refresh tokens included, at DEBUG."""
    loggers = [logging.getLogger(n) for n in names]
    before = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(max(lg.getEffectiveLevel(), logging.INFO))
    try:
        yield
    finally:
        for lg, level in zip(loggers, before, strict=True):
            lg.setLevel(level)

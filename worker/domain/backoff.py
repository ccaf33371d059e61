"""Backoff rules: when a failing provider account is left alone, and for how long."""

from __future__ import annotations

from datetime import datetime, timedelta

from events.projections.accounts import AccountRow

FIRST_PAUSE = timedelta(minutes=1)
MAX_PAUSE = timedelta(minutes=30)


def backing_off(account: AccountRow, now: datetime) -> bool:
    """Whether a recorded provider failure still tells the worker to leave `account` alone."""
    return account.retry_at is not None and datetime.fromisoformat(account.retry_at) > now


def pause_after(account: AccountRow, now: datetime, retry_after: float | None) -> timedelta:
    """How long to leave the provider alone after a failure.

    FIRST_PAUSE, doubled (up to MAX_PAUSE) when this failure follows the end of the
    previous pause within that pause's length again: the same outage goes on. A failure
    after a long quiet spell starts over: the account was fine in between even when no
    cursor moved to clear the last error. Never shorter than the provider's Retry-After.
    An outage of hours then costs a handful of passes.
    """
    pause = FIRST_PAUSE
    if account.retry_at is not None and account.last_error_at is not None:
        ended = datetime.fromisoformat(account.retry_at)
        previous = ended - datetime.fromisoformat(account.last_error_at)
        if now - ended <= previous:
            pause = min(MAX_PAUSE, max(FIRST_PAUSE, 2 * previous))
    if retry_after is not None:
        pause = max(pause, timedelta(seconds=retry_after))
    return pause

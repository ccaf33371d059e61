"""Connected accounts: their state, sync cursors and last problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from events.projections.base import Fact, Projection, Rows, on_row
from events.projections.rows import Row
from events.types import Provider

#: connected: syncing; needs_reconnect: its grant failed; removed: the user removed it.
AccountStatus = Literal["connected", "needs_reconnect", "removed"]


@dataclass(slots=True, kw_only=True)
class AccountRow(Row):
    KEY = "account_id"
    TABLE = "accounts"
    account_id: str
    provider: Provider = "sandbox"
    email: str = ""
    time_zone: str = "UTC"
    status: AccountStatus = "connected"
    connected_at: str = ""
    reason: str | None = None
    command: str | None = None
    cursors: dict[str, str] = field(default_factory=dict)
    last_sync_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    #: Not before then does the worker call the provider for this account again.
    retry_at: str | None = None
    #: The latest local day whose daily summary went out from this account (the tick
    #: reads it instead of every `summary.sent` of the log).
    summary_day: str | None = None


def _connected(rows: Rows[AccountRow], fact: Fact) -> None:
    p = fact.payload
    aid = p["account_id"]
    # Reconnecting keeps the cursors: sync resumes where it stopped.
    old = rows.get(aid)
    rows.put(
        aid,
        AccountRow(
            account_id=aid,
            provider=p["provider"],
            email=p["email"],
            time_zone=p.get("time_zone", "UTC"),
            connected_at=fact.occurred_at,
            cursors=dict(old.cursors) if old else {},
            last_sync_at=old.last_sync_at if old else None,
            summary_day=old.summary_day if old else None,
        ),
    )


def _summary_sent(row: AccountRow, fact: Fact) -> None:
    day = str(fact.payload["day"])
    row.summary_day = max(day, row.summary_day or day)


def _removed(row: AccountRow, fact: Fact) -> None:
    row.status = "removed"


def _cursor_advanced(row: AccountRow, fact: Fact) -> None:
    p = fact.payload
    row.cursors = {**row.cursors, p["resource"]: p["cursor"]}
    row.last_sync_at = fact.occurred_at
    row.retry_at = None
    if row.status == "connected":
        row.last_error = None


def _needs_reconnect(row: AccountRow, fact: Fact) -> None:
    row.status = "needs_reconnect"
    row.reason = fact.payload.get("reason")
    row.command = fact.payload.get("command")


def _sync_recovered(row: AccountRow, fact: Fact) -> None:
    # The error goes; retry_at and last_error_at stay: the pause is over anyway
    # (sync calls the provider only after it), and runtime.pause_after reads them
    # to keep doubling while one kind of call (sending limits) still fails.
    row.last_error = None


def _sync_failed(row: AccountRow, fact: Fact) -> None:
    row.last_error = fact.payload.get("error")
    row.last_error_at = fact.occurred_at
    row.retry_at = fact.payload.get("retry_at")


class Accounts(Projection[AccountRow]):
    name = "accounts"
    row_type = AccountRow
    handlers = MappingProxyType(
        {
            "account.connected": _connected,
            "account.removed": on_row("account_id", _removed),
            "sync.cursor_advanced": on_row("account_id", _cursor_advanced),
            "account.needs_reconnect": on_row("account_id", _needs_reconnect),
            "account.sync_failed": on_row("account_id", _sync_failed),
            "account.sync_recovered": on_row("account_id", _sync_recovered),
            "summary.sent": on_row("account_id", _summary_sent),
        }
    )

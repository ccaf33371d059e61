"""`outreach accounts list` and `outreach accounts remove`: the connected mail accounts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.text import Text

from worker.accounts.connected import remove_account
from worker.cli import app
from worker.cli.common import console, opened_app, print_json, print_table, say, short
from worker.services.connected_accounts import accounts

accounts_app = typer.Typer(
    rich_markup_mode="markdown", help="List and remove connected accounts.", no_args_is_help=True
)
app.add_typer(accounts_app, name="accounts")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@accounts_app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """Connected accounts, their state and last sync."""
    with opened_app(as_json=as_json) as a:
        rows = accounts(a)
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    # Five short columns fit an 80-column terminal; what an account needs from the user
    # (a command to run, an error to read) goes on lines of its own, where nothing cuts it.
    print_table(
        "Accounts",
        ["email", "id", "provider", "status", "last sync (UTC)"],
        [
            [
                r.email,
                short(r.account_id),
                r.provider,
                r.status.replace("_", " "),
                (r.last_sync_at or "never")[:16].replace("T", " "),
            ]
            for r in rows
        ],
        empty="none yet (outreach connect google --client-secrets FILE)",
    )
    for r in rows:
        problem = r.command if r.status == "needs_reconnect" else r.last_error
        if problem:
            say(f"{r.email}: {problem}")


@accounts_app.command("remove")
def remove(
    account: Annotated[str, typer.Argument(help="Address or account id.")],
    as_json: JsonFlag = False,
) -> None:
    """Stop syncing an account and delete its stored token (the log keeps its history)."""
    with opened_app(as_json=as_json) as a:
        row, was_active = remove_account(a, account)
    if as_json:
        outcome = "removed" if was_active else "already removed"
        print_json({"account_id": row.account_id, "email": row.email, "outcome": outcome})
    elif was_active:
        console.print(Text(f"removed {row.email} ({short(row.account_id)}); token deleted"))
    else:
        console.print(Text(f"{row.email} ({short(row.account_id)}) was already removed"))

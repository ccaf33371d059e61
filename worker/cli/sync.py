"""`outreach sync`: sync accounts now, in the foreground, with progress; resumable."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from events.projections.accounts import AccountRow
from worker.cli import app
from worker.cli.common import console, fail, opened_app, print_json
from worker.domain.backoff import backing_off
from worker.runner import composition
from worker.runner.clocks import clock_from_env
from worker.runner.runtime import Runtime, SyncProgress
from worker.services.app import App

#: `outreach sync ACCOUNT` when that account is backing off: nothing was synced, try
#: later (sysexits' EX_TEMPFAIL). Without an account the exit code stays 0.
BACKING_OFF_EXIT = 75

#: One page per runtime call: cursors advance per page, so an interrupted first sync
#: keeps every page already recorded and the next run resumes after it.
MAX_PAGES = 100_000


def sync_account(
    runtime: Runtime, account_id: str, show: Callable[[SyncProgress], None]
) -> SyncProgress:
    """Sync one account to completion, page by page, reporting running totals."""
    total = SyncProgress(account_id=account_id)
    pages: list[SyncProgress] = []
    for _ in range(MAX_PAGES):
        pages.clear()
        runtime.sync(account_id, max_pages=1, on_page=pages.append)
        if not pages:
            break  # not connected any more, or another process is syncing it
        page = pages[-1]
        total.pages += page.pages
        total.messages += page.messages
        total.calendar_events += page.calendar_events
        total.recorded += page.recorded
        total.complete = page.complete
        show(total)
        if page.complete:
            break
    return total


def _describe(email: str, p: SyncProgress) -> str:
    return (
        f"{email}: {p.pages} pages, {p.messages} messages, "
        f"{p.calendar_events} calendar events, {p.recorded} new facts"
        + ("" if p.complete else " ...")
    )


@app.command()
def sync(
    account: Annotated[
        str | None, typer.Argument(help="Account e-mail or id (default: every connected one).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Sync mail and calendar now.

    A long first sync shows its progress and, if stopped, resumes where it left off
    the next time."""
    from worker.accounts.run_providers import ProviderFactory

    with opened_app(clock_from_env(os.environ)) as a:
        a.projector.catch_up()
        rows = [r for r in a.projector.rows(AccountRow) if r.status != "removed"]
        if account:
            wanted = account.lower()
            rows = [r for r in rows if wanted in (r.email.lower(), r.account_id.lower())]
            if not rows:
                fail(f"no account matches {account!r} (try `outreach accounts list`)")
        if not rows:
            fail("no account connected: run `outreach connect google --client-secrets FILE`")
        providers = ProviderFactory(a, os.environ)
        runtime = composition.runtime(a, providers)
        results: list[dict[str, Any]] = []
        waiting: list[str] = []
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        try:
            with Progress(*columns, console=console, disable=as_json) as bar:
                for row in rows:
                    if row.status != "connected":
                        console.print(f"{row.email}: needs reconnecting; run `{row.command}`")
                        continue
                    task = bar.add_task(f"{row.email}: starting")

                    def show(p: SyncProgress, task: TaskID = task, email: str = row.email) -> None:
                        bar.update(task, description=_describe(email, p))

                    progress = sync_account(runtime, row.account_id, show)
                    paused = _backing_off(a, row.account_id)
                    if paused is not None:
                        waiting.append(row.email)
                        bar.remove_task(task)
                        if not as_json:  # stdout is the JSON then; the entry says it
                            console.print(_waiting(row.email, paused), highlight=False)
                    results.append(
                        {
                            **asdict(progress),
                            "email": row.email,
                            "backing_off_until": paused.retry_at if paused else None,
                            "reason": paused.last_error if paused else None,
                        }
                    )
        except KeyboardInterrupt:
            fail("interrupted: what was fetched is recorded; `outreach sync` resumes there", 130)
        finally:
            providers.close()
    if as_json:
        print_json(results)
    if account and waiting:
        # Asked for this one account and it could not be synced: say so to scripts too.
        raise SystemExit(BACKING_OFF_EXIT)


def _backing_off(a: App, account_id: str) -> AccountRow | None:
    """The account's row when the provider asked to be left alone (before or during this
    run), so the user learns why nothing was synced rather than seeing a quiet stop."""
    row = next((r for r in a.projector.rows(AccountRow) if r.account_id == account_id), None)
    return row if row is not None and backing_off(row, a.clock.now()) else None


def _waiting(email: str, row: AccountRow) -> str:
    return (
        f"{email}: backing off until {row.retry_at} after {row.last_error or 'a failure'}; "
        "the worker tries again then"
    )

"""`outreach drafts ...`: review what the worker prepared, then edit, approve or discard it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.text import Text

from events.projections.accounts import AccountRow
from integrations.protocol import NeedsReconnect, Provider, ProviderError
from worker.accounts.providers import provider_for
from worker.cli import app
from worker.cli.common import console, fail, opened_app, print_json, print_table
from worker.cli.editor import edit_text
from worker.services.app import App
from worker.services.drafts import BODY_NOTE, DraftReview, Outcome
from worker.services.rendering import Renderer

drafts_app = typer.Typer(
    help="Review the drafts waiting in your mailbox: list, show, edit, approve, discard.",
    invoke_without_command=True,
)
app.add_typer(drafts_app, name="drafts")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DraftId = Annotated[str, typer.Argument(help="The draft's id (or its first 8 characters).")]


@contextmanager
def review() -> Iterator[DraftReview]:
    """The review service for one command; provider failures become one-line errors."""
    opened: list[Provider] = []

    with opened_app() as a:

        def providers(account: AccountRow) -> Provider:
            provider = provider_for(a, account)
            opened.append(provider)
            return provider

        try:
            yield DraftReview(a, providers, _renderer(a))
        except NeedsReconnect as exc:
            fail(f"{str(exc).splitlines()[0]}; run `{exc.command}`")
        except ProviderError as exc:
            fail(f"the mailbox refused: {str(exc).splitlines()[0] if str(exc) else exc!r}")
        finally:
            for each in opened:
                close = getattr(each, "close", None)
                if callable(close):
                    close()


def _renderer(a: App) -> Renderer:
    return Renderer(a.settings.config_dir / "templates")


def _say(outcome: Outcome) -> None:
    d = outcome.draft
    console.print(Text(f"{d.kind} draft {d.draft_id[:8]} to {d.to}: {outcome.what}"))


@drafts_app.callback()
def drafts(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Review drafts (without a command: list the ones waiting)."""
    if ctx.invoked_subcommand is None:
        list_(as_json)


@drafts_app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """The drafts waiting for your review."""
    with review() as r:
        rows = r.pending()
        names = {d.draft_id: (c.name if (c := r.contact(d)) else None) for d in rows}
    if as_json:
        print_json(
            [
                {
                    "draft_id": d.draft_id,
                    "kind": d.kind,
                    "contact": names[d.draft_id],
                    "to": d.to,
                    "subject": d.subject,
                    "created_at": d.created_at,
                }
                for d in rows
            ]
        )
        return
    print_table(
        "Drafts waiting for review",
        ["id", "kind", "to", "subject", "created (UTC)"],
        [
            [d.draft_id[:8], d.kind, d.to, d.subject, d.created_at[:16].replace("T", " ")]
            for d in rows
        ],
        empty="none",
    )


@drafts_app.command("show")
def show(draft: DraftId, as_json: JsonFlag = False) -> None:
    """One draft: what the log knows, and the text it was prepared with."""
    with review() as r:
        details = r.details(r.resolve(draft))
    if as_json:
        print_json(details)
        return
    for label, key in (
        ("draft", "draft_id"),
        ("kind", "kind"),
        ("status", "status"),
        ("to", "to"),
        ("contact", "contact"),
        ("subject", "subject"),
        ("created (UTC)", "created_at"),
        ("Message-ID", "message_id"),
    ):
        console.print(Text(f"{label + ':':15}{details[key] or '-'}"))
    if details["discard_reason"]:
        console.print(Text(f"{'discarded:':15}{details['discard_reason']}"))
    console.print(Text(f"\nNote: {BODY_NOTE}."))
    if details["prepared_text"]:
        console.print(Text("As prepared (unless you changed it in your mail client):\n"))
        console.print(Text(details["prepared_text"]))
    elif details["edited"]:
        console.print(Text("It was edited since it was prepared; read it in your mail client."))


@drafts_app.command("edit")
def edit(draft: DraftId) -> None:
    """Edit a draft's subject and body in $EDITOR, then update it in the mailbox."""
    with review() as r:
        row = r.resolve(draft)
        start = r.starting_text(row)
        text = edit_text(start, suffix=".eml")
        if text.replace("\r\n", "\n").strip() == start.strip():
            console.print(Text(f"draft {row.draft_id[:8]}: unchanged"))
            return
        outcome = r.edit(row, text)
    _say(outcome)


@drafts_app.command("approve")
def approve(draft: DraftId) -> None:
    """Send a draft as it stands in the mailbox (never twice)."""
    with review() as r:
        outcome = r.approve(r.resolve(draft))
    _say(outcome)


@drafts_app.command("discard")
def discard(draft: DraftId) -> None:
    """Delete a draft from the mailbox; nothing more will be prepared in its place."""
    with review() as r:
        outcome = r.discard(r.resolve(draft))
    _say(outcome)

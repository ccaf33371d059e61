"""`outreach drafts ...`: review what the worker prepared, then edit, approve or discard it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.text import Text

from integrations.protocol import NeedsReconnect, Provider, ProviderError
from worker.cli import app
from worker.cli.common import console, fail, json_errors, opened_app, print_json, print_table
from worker.cli.editor import edit_text
from worker.services import waiting_drafts
from worker.services.app import App

if TYPE_CHECKING:
    from events.projections.accounts import AccountRow
    from worker.services.drafts import DraftReview, Outcome
    from worker.services.rendering import Renderer

drafts_app = typer.Typer(
    rich_markup_mode="markdown",
    help="Review the drafts waiting in your mailbox: list, show, edit, approve, discard.",
    invoke_without_command=True,
)
app.add_typer(drafts_app, name="drafts")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DraftId = Annotated[str, typer.Argument(help="The draft's id (or its first 8 characters).")]


@contextmanager
def review(as_json: bool = False, kept: list[str] | None = None) -> Iterator[DraftReview]:
    """The review service for one command; provider failures become one-line errors
    (JSON on stderr with `as_json`). Given `kept`, a draft of the demo's account is read
    from the mailbox `outreach demo --keep` left (noted in `kept`) when no sandbox runs."""
    # Imported here: listing drafts needs neither the mailbox nor the templates.
    from worker.accounts.providers import provider_for
    from worker.runner.demo_mailbox import DEMO_ACCOUNT, NOTE, kept_mailbox
    from worker.services.drafts import DraftReview

    opened: list[Provider] = []

    with opened_app(as_json=as_json) as a:

        def providers(account: AccountRow) -> Provider:
            if kept is not None and account.account_id == DEMO_ACCOUNT:
                mailbox = kept_mailbox(a.settings.data_dir, os.environ)
                if mailbox is not None:
                    kept.append(NOTE)
                    return cast(Provider, mailbox)  # only read_draft is asked of it
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
    from worker.services.rendering import Renderer

    return Renderer(a.settings.config_dir / "templates")


def _say(outcome: Outcome, as_json: bool = False) -> None:
    d = outcome.draft
    if as_json:
        print_json(_outcome_json(d.draft_id, d.kind, d.to, outcome.what))
        return
    console.print(Text(f"{d.kind} draft {d.draft_id[:8]} to {d.to}: {outcome.what}"))


def _outcome_json(draft_id: str, kind: str, to: str | None, what: str) -> dict[str, str | None]:
    # `outcome` is the word the sentence ends with: "sent", "already sent", "discarded",
    # "updated", "unchanged"; a script tests it instead of parsing the sentence.
    return {"draft_id": draft_id, "kind": kind, "to": to, "outcome": what}


@drafts_app.callback()
def drafts(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Review drafts (without a command: list the ones waiting)."""
    if ctx.invoked_subcommand is None:
        list_(as_json)


@drafts_app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """The drafts waiting for your review."""
    with opened_app() as a:
        rows = waiting_drafts.pending(a)
        contacts = waiting_drafts.contacts_of(a, rows)
        names = {d.draft_id: (c.name if (c := contacts.get(d.contact_id)) else None) for d in rows}
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
                    "findings": d.findings or [],
                }
                for d in rows
            ]
        )
        return
    print_table(
        "Drafts waiting for review",
        ["id", "kind", "to", "subject", "created (UTC)", "check"],
        [
            [
                d.draft_id[:8],
                d.kind,
                d.to,
                d.subject,
                d.created_at[:16].replace("T", " "),
                _flag(d.findings),
            ]
            for d in rows
        ],
        empty="none",
    )
    if any(d.findings for d in rows):
        console.print(Text("A draft marked in 'check' needs a look: `outreach drafts show ID`."))


def _flag(findings: list[str] | None) -> str:
    """The list's check column: "ok", or how many things the etiquette check found."""
    if not findings:
        return "ok"
    return "1 finding" if len(findings) == 1 else f"{len(findings)} findings"


@drafts_app.command("show")
def show(draft: DraftId, as_json: JsonFlag = False) -> None:
    """One draft: what the log knows, and its text as it is in your mailbox now."""
    kept: list[str] = []
    with review(as_json, kept) as r:
        details = r.details(r.resolve(draft))
    if kept:
        details["mailbox"] = kept[0]
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
    if details["discarded_because"]:
        console.print(Text(f"{'dropped:':15}{details['discarded_because']}"))
    if details["edited"]:
        console.print(Text(f"{'edited:':15}yes, by you: nothing automatic will rewrite it"))
    for finding in details.get("findings") or []:
        console.print(Text(f"{'check:':15}{finding}"))
    if details["status"] != "pending":
        return
    if not details["in_mailbox"]:
        from worker.services.drafts import GONE_NOTE

        console.print(Text(f"\nNot shown: {GONE_NOTE}."))
        return
    console.print(
        Text(f"\nAs it is in {kept[0]}:\n" if kept else "\nAs it is in your mailbox now:\n")
    )
    console.print(Text(f"Subject: {details['current_subject']}\n\n{details['body'].strip()}"))


@drafts_app.command("edit")
def edit(
    draft: DraftId,
    text: Annotated[
        str | None, typer.Option("--text", help="A new body (no editor; the subject stays).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Read the new body from this file (no editor).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Edit a draft as it is in your mailbox, then update it there.

    The editor is $VISUAL, $EDITOR, sensible-editor, nano or vi; --text or --file
    replace the body without an editor."""
    json_errors(as_json)
    if text is not None and file is not None:
        fail("drafts edit: give --text or --file, not both")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"drafts edit: cannot read {file}: {exc.__class__.__name__}")
    with review(as_json) as r:
        row = r.resolve(draft)
        if text is not None:
            outcome = r.replace_body(row, text)
        else:
            start = r.starting_text(row)
            edited = edit_text(start, suffix=".eml")
            if edited.replace("\r\n", "\n").strip() == start.strip():
                if as_json:
                    print_json(_outcome_json(row.draft_id, row.kind, row.to, "unchanged"))
                else:
                    console.print(Text(f"draft {row.draft_id[:8]}: unchanged (nothing saved)"))
                return
            outcome = r.edit(row, edited)
    _say(outcome, as_json)


@drafts_app.command("approve")
def approve(
    draft: DraftId,
    anyway: Annotated[
        bool, typer.Option("--anyway", help="Send even though the etiquette check found something.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Send a draft as it stands in the mailbox (never twice; never with a template marker)."""
    with review(as_json) as r:
        outcome = r.approve(r.resolve(draft), anyway=anyway)
    _say(outcome, as_json)


@drafts_app.command("discard")
def discard(draft: DraftId, as_json: JsonFlag = False) -> None:
    """Delete a draft from the mailbox; nothing more will be prepared in its place."""
    with review(as_json) as r:
        outcome = r.discard(r.resolve(draft))
    _say(outcome, as_json)

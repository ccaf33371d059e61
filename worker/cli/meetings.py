"""`outreach met`, `outreach notes` and `outreach prep`: before and after a meeting."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from events.errors import UserError
from worker.cli import app
from worker.cli.common import console, opened_app, print_json
from worker.cli.editor import edit_text
from worker.services.contacts import ContactBook
from worker.services.meetings import briefing, record_outcome
from worker.services.notes import record_notes

ContactRef = Annotated[str, typer.Argument(help="Id, e-mail or name.")]
NOTES_TEMPLATE = (
    "\n\n# Notes on {name}. Name referrals as 'Name <email>' and each becomes a contact\n"
    "# introduced by {name}. Lines starting with # are left out.\n"
)


@app.command()
def met(
    contact: ContactRef,
    no_show: Annotated[
        bool, typer.Option("--no-show", help="They did not come (corrects a 'met').")
    ] = False,
) -> None:
    """Record that the latest meeting with a contact took place (or that they did not come)."""
    with opened_app() as a:
        outcome = record_outcome(ContactBook(a), contact, no_show=no_show)
    name = outcome.contact.name
    console.print(Text(f"{name}: meeting of {outcome.meeting.start[:16]} UTC {outcome.what}"))
    if no_show:
        for d in outcome.drafts_waiting:
            console.print(
                Text(
                    f"a {d.kind.replace('_', ' ')} draft is still waiting: "
                    f"outreach drafts discard {d.draft_id[:8]}"
                )
            )


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()


@app.command()
def notes(
    contact: ContactRef,
    text: Annotated[
        str | None, typer.Option("--text", help="The notes (default: open $EDITOR).")
    ] = None,
) -> None:
    """Record notes after a meeting; each 'Name <email>' in them becomes a referral."""
    with opened_app() as a:
        book = ContactBook(a)
        row = book.resolve(contact)
        if text is None:
            text = _strip_comments(edit_text(NOTES_TEMPLATE.format(name=row.name), suffix=".md"))
        if not text.strip():
            raise UserError("notes: empty; nothing recorded")
        added = record_notes(book, row.contact_id, text.strip())
    console.print(Text(f"notes on {row.name} recorded"))
    for name in added:
        console.print(Text(f"referral added: {name} (introduced by {row.name})"))


def _print_briefing(b: dict[str, Any]) -> None:
    def line(s: str = "") -> None:
        console.print(Text(s))

    role = ", ".join(x for x in (b["role"], b["company"]) if x)
    line(f"{b['name']}" + (f" — {role}" if role else ""))
    if b["emails"]:
        line(f"  {', '.join(b['emails'])}")
    if b["url"]:
        line(f"  {b['url']}")
    if b["referred_by"]:
        line(f"How you know them: introduced by {b['referred_by']}")
    if b["how_we_know"]:
        line(f"How you know them: {b['how_we_know']}")
    line()
    m = b["meeting"]
    if m is None:
        line("Meeting: none scheduled yet")
    else:
        line(f"Meeting ({m['status']}): {m['when']}, {m['minutes']} minutes")
        if m["their_time"]:
            line(f"  their time: {m['their_time']}")
        if m["place"]:
            line(f"  place: {m['place']}")
        line(f"  confirmation sent: {'yes' if m['confirmed'] else 'not yet'}")
    line()
    line("The thread so far:" if b["thread"] else "The thread so far: nothing exchanged yet")
    for msg in b["thread"]:
        line(f"  {msg['at'][:16].replace('T', ' ')} UTC  {msg['from']}: {msg['subject']}")
        if msg["excerpt"]:
            line(f"      {msg['excerpt']}")
    for n in b["notes"]:
        line(f"Earlier notes: {n}")
    line()
    line("Questions worth asking (not answered online):")
    for q in b["questions"]:
        line(f"  - {q}")
    line()
    for r in b["reminders"]:
        line(r)


@app.command()
def prep(contact: ContactRef, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A briefing before meeting someone: who, how you know them, the thread, what to ask."""
    with opened_app() as a:
        b = briefing(ContactBook(a), contact)
    if as_json:
        print_json(b)
    else:
        _print_briefing(b)

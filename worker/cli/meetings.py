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
from worker.services.notes import (
    FORM,
    Notes,
    parse_form,
    record_advice_outcome,
    record_notes,
    yes_no,
)
from worker.services.people import local_time
from worker.services.referral_report import referral_report

ContactRef = Annotated[str, typer.Argument(help="Id, e-mail or name.")]


@app.command()
def met(
    contact: ContactRef,
    no_show: Annotated[
        bool, typer.Option("--no-show", help="They did not come (corrects a 'met').")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Record that the latest meeting with a contact took place (or that they did not come)."""
    with opened_app(as_json=as_json) as a:
        outcome = record_outcome(ContactBook(a), contact, no_show=no_show)
        when = local_time(outcome.meeting.start, a.settings.policy.time_zone)
    name = outcome.contact.name
    if as_json:
        print_json(
            {
                "contact": name,
                "meeting_id": outcome.meeting.meeting_id,
                "start": outcome.meeting.start,
                "what": outcome.what,
                "drafts_waiting": [d.draft_id for d in outcome.drafts_waiting],
            }
        )
        return
    console.print(Text(f"{name}: meeting of {when} {outcome.what}"))
    if no_show:
        for d in outcome.drafts_waiting:
            console.print(
                Text(
                    f"a {d.kind.replace('_', ' ')} draft is still waiting: "
                    f"outreach drafts discard {d.draft_id[:8]}"
                )
            )


def _notes_from_editor(name: str) -> Notes:
    first = name.split(" ")[0] or name
    start = FORM.format(name=name, first=first)
    written = edit_text(start, suffix=".md")
    if written.replace("\r\n", "\n").strip() == start.strip():
        raise UserError("notes: nothing written (closed without saving); nothing recorded")
    return parse_form(written)


@app.command()
def notes(
    contact: ContactRef,
    takeaway: Annotated[
        str | None,
        typer.Option("--takeaway", help="What stayed with you, as you would say it to them."),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option("--text", help="Your own notes; 'Name <email>' in them is a referral."),
    ] = None,
    went: Annotated[
        str | None,
        typer.Option("--went", help="How it went, for whoever introduced you to them."),
    ] = None,
    keep_in_touch: Annotated[
        str | None, typer.Option("--keep-in-touch", help="yes or no: may you keep in touch?")
    ] = None,
    how: Annotated[
        str | None, typer.Option("--how", help="How they would like you to keep in touch.")
    ] = None,
    every: Annotated[
        int | None, typer.Option("--every", help="Keep in touch every this many weeks.")
    ] = None,
    outcome: Annotated[
        str | None,
        typer.Option("--outcome", help="Something you did thanks to their advice."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Write notes after a meeting: your thank-you quotes them.

    In your editor, or with the options. The thank-you quotes the takeaway and names
    the people suggested; --outcome records what their advice led to, for your next
    note to them."""
    given = (takeaway, text, went, keep_in_touch, how, every)
    written_text: str | None = None
    with opened_app(as_json=as_json) as a:
        book = ContactBook(a)
        row = book.resolve(contact)
        name = row.name or "them"
        added: list[str] = []
        if outcome is not None:
            record_advice_outcome(book, row.contact_id, outcome)
        if any(v is not None for v in given) or outcome is None:
            if any(v is not None for v in given):
                written = Notes(
                    text=text or "",
                    takeaway=takeaway or "",
                    went=went or "",
                    keep_in_touch=yes_no(keep_in_touch or "", "--keep-in-touch"),
                    how=how or "",
                    every_weeks=every,
                )
            else:
                written = _notes_from_editor(name)
            added = record_notes(book, row.contact_id, written)
            written_text = written.text
    report = referral_report(written_text or "", name, added)
    if as_json:
        print_json({"contact": name, "outcome_recorded": outcome is not None, **report})
        return
    if written_text is not None:
        console.print(Text(f"notes on {name} recorded"))
    if outcome is not None:
        console.print(Text(f"outcome recorded: your next note to {name} will mention it"))
    for line in report["lines"]:
        console.print(Text(line), soft_wrap=True)


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
    # A referral's "how we know" says "introduced by X" too: one line is enough.
    if b["how_we_know"] and b["how_we_know"] != f"introduced by {b['referred_by']}":
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

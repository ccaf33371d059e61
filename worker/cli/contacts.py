"""`outreach contacts ...`, `reach-out`, `close` and `reopen`: the people we write to."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from events.projections.pipeline import ContactRow, next_step, stage_words
from events.types import CloseOutcome
from worker.cli import app
from worker.cli.common import console, opened_app, print_json, print_table, say, short
from worker.services.contacts import ContactBook, ContactChanges, NewContact, UnknownContact
from worker.services.people import contact_details, outreach_eta
from worker.services.profile import how_we_know_warning

contacts_app = typer.Typer(
    rich_markup_mode="markdown",
    help="Add, import, show, correct, merge, list and forget contacts.",
    no_args_is_help=True,
)
app.add_typer(contacts_app, name="contacts")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
WideFlag = Annotated[bool, typer.Option("--wide", help="More columns, nothing cut short.")]
ContactRef = Annotated[str, typer.Argument(help="Id, e-mail, or the start of their name.")]


def _row_json(row: ContactRow) -> dict[str, Any]:
    return {**asdict(row), "stage_words": stage_words(row), "next_step": next_step(row)}


@contacts_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Full name.")],
    email: Annotated[
        list[str] | None, typer.Option("--email", "-e", help="Address (repeat).")
    ] = None,
    company: Annotated[str | None, typer.Option(help="Organisation.")] = None,
    role: Annotated[str | None, typer.Option(help="Their role.")] = None,
    how: Annotated[str | None, typer.Option("--how", help="How you know of them.")] = None,
    url: Annotated[str | None, typer.Option(help="Profile URL.")] = None,
    referred_by: Annotated[
        str | None, typer.Option("--referred-by", help="Contact who introduced you.")
    ] = None,
    zone: Annotated[
        str | None,
        typer.Option(
            "--zone", help="Their time zone (e.g. Europe/Paris): times offered are in it."
        ),
    ] = None,
    reach_out: Annotated[
        bool, typer.Option("--reach-out", help="Prepare a first message to them, for your review.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Add even if a contact of that name exists.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add one contact (refused when the name is known already, unless --force)."""
    with opened_app(as_json=as_json) as a:
        row = ContactBook(a).add(
            NewContact(
                name=name,
                emails=list(email or []),
                company=company,
                role=role,
                how_we_know=how,
                url=url,
                referred_by=referred_by,
                time_zone=zone,
            ),
            reach_out=reach_out,
            force=force,
        )
        eta = outreach_eta(a, row.contact_id) if reach_out else None
    warning = how_we_know_warning(row) if reach_out else None
    if as_json:
        extra = {"draft_expected": eta, "warning": warning} if reach_out else {}
        print_json({**_row_json(row), **extra})
    else:
        say(f"added {row.name} ({short(row.contact_id)}): {stage_words(row)}")
        if eta:
            say(f"{row.name}: {eta['sentence']}")
        if warning:
            say(warning)


@contacts_app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="An export: LinkedIn Connections.csv, Google or Outlook CSV, Excel CSV "
            "(with ; or ,), or a vCard .vcf file."
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Import contacts: new people are added, known ones get their empty fields filled.

    Running it again with the same or a newer export is safe."""
    with opened_app(as_json=as_json) as a:
        summary = ContactBook(a).import_file(file)
    if as_json:
        print_json(asdict(summary))
        return
    say(f"{file} ({summary.source}): {summary.sentence()}")
    for line in summary.skipped:
        say(f"  skipped {line}")
    if summary.without_email:
        say("those without an address cannot be written to until you add one (contacts edit)")


@contacts_app.command("list")
def list_(
    as_json: JsonFlag = False,
    stage: Annotated[str | None, typer.Option(help="Only contacts at this stage.")] = None,
    wide: WideFlag = False,
) -> None:
    """List contacts, name first."""
    with opened_app(as_json=as_json) as a:
        rows = ContactBook(a).all()
    if stage:
        rows = [r for r in rows if r.stage == stage]
    if as_json:
        print_json([_row_json(r) for r in rows])
        return
    columns = ["name", "email", "company", "stage"] + (["role", "id"] if wide else [])
    print_table(
        "Contacts",
        columns,
        [
            [r.name, ", ".join(r.emails) or "-", r.company, stage_words(r)]
            + ([r.role, short(r.contact_id)] if wide else [])
            for r in rows
        ],
        empty="none yet (outreach contacts add NAME --email ADDRESS)",
        wide=wide,
    )


@contacts_app.command("show")
def show(contact: ContactRef, as_json: JsonFlag = False) -> None:
    """Everything known about one contact: details, stage, meetings, drafts, referrals."""
    with opened_app(as_json=as_json) as a:
        d = contact_details(ContactBook(a), contact)
    if as_json:
        print_json(d)
        return
    say(d["name"] + (f" — {d['role_line']}" if d["role_line"] else ""))
    for label, value in (
        ("address", ", ".join(d["emails"]) or "none yet"),
        ("profile", d["url"]),
        ("how you know them", d["how_we_know"]),
        ("time zone", d["time_zone"]),
        ("introduced by", d["referred_by"]),
        ("stage", d["stage_words"]),
        ("next", d["next_step"]),
        ("id", d["contact_id"]),
    ):
        if value:
            say(f"  {label}: {value}")
    for m in d["meetings"]:
        say(f"  meeting: {m['when']} ({m['status']})")
    for dr in d["drafts_waiting"]:
        say(f"  draft waiting for your review: {dr['kind_words']}, since {dr['since']}")
    for r in d["referred"]:
        say(f"  introduced you to: {r}")


@contacts_app.command("edit")
def edit(
    contact: ContactRef,
    name: Annotated[str | None, typer.Option("--name", help="Their full name.")] = None,
    email: Annotated[
        list[str] | None,
        typer.Option("--email", "-e", help="Their address (repeat for several; replaces)."),
    ] = None,
    company: Annotated[str | None, typer.Option("--company", help="Organisation.")] = None,
    role: Annotated[str | None, typer.Option("--role", help="Their role.")] = None,
    how: Annotated[str | None, typer.Option("--how", help="How you know of them.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Profile URL.")] = None,
    zone: Annotated[
        str | None,
        typer.Option(
            "--zone",
            help="Their time zone (e.g. Europe/Paris): times offered to them and "
            'confirmations are written in it ("" forgets it).',
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Correct a contact's details (an event in the log; the history keeps the old ones)."""
    with opened_app(as_json=as_json) as a:
        row, changed = ContactBook(a).edit(
            contact,
            ContactChanges(
                name=name,
                emails=list(email) if email else None,
                company=company,
                role=role,
                how_we_know=how,
                url=url,
                time_zone=zone,
            ),
        )
    if as_json:
        print_json({**_row_json(row), "changed": changed})
    elif changed:
        say(f"{row.name}: changed {', '.join(c.replace('_', ' ') for c in changed)}")
        say(f"  next: {next_step(row)}")
    else:
        say(f"{row.name}: nothing changed (already so)")


@contacts_app.command("merge")
def merge(
    keep: Annotated[str, typer.Argument(help="The contact to keep.")],
    other: Annotated[str, typer.Argument(help="The same person, recorded twice.")],
    as_json: JsonFlag = False,
) -> None:
    """One person recorded twice: keep the first, with both addresses and both histories."""
    with opened_app(as_json=as_json) as a:
        row = ContactBook(a).merge(keep, other)
    if as_json:
        print_json(_row_json(row))
    else:
        say(f"merged into {row.name} ({short(row.contact_id)}): {', '.join(row.emails) or '-'}")


@contacts_app.command("forget")
def forget(
    contact: ContactRef,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Forget a contact: their personal data becomes unreadable everywhere, for good."""
    with opened_app(as_json=as_json) as a:
        book = ContactBook(a)
        try:
            row = book.resolve(contact)
        except UnknownContact:
            # Already forgotten and named by id: finish an interrupted run (or re-raise).
            row = book.forget(contact)
        else:
            if not yes and not typer.confirm(f"Forget {row.name} for good?"):
                raise typer.Exit(1)
            book.forget(row.contact_id)
    if as_json:
        print_json({"forgotten": row.contact_id})
    else:
        console.print(f"forgot contact {short(row.contact_id)}; views rebuilt")


@app.command("reach-out")
def reach_out(contact: ContactRef, as_json: JsonFlag = False) -> None:
    """Choose to write to a contact: a first message will be prepared for your review."""
    with opened_app(as_json=as_json) as a:
        book = ContactBook(a)
        already = book.resolve(contact).stage == "to_write"
        row = book.reach_out(contact)
        eta = outreach_eta(a, row.contact_id)
    # A first message must say how the user knows the person; without it the draft is
    # flagged at review, and the user hears it now, while it is still easy to add.
    warning = how_we_know_warning(row)
    if as_json:
        print_json(
            {**_row_json(row), "already": already, "draft_expected": eta, "warning": warning}
        )
        return
    say(f"{row.name}: {'already chosen; ' if already else ''}{eta['sentence']}")
    if warning:
        say(warning)


_OUTCOMES: dict[str, CloseOutcome] = {"declined": "declined", "not_now": "not_now", "done": "done"}


@app.command("close")
def close(
    contact: ContactRef,
    declined: Annotated[bool, typer.Option("--declined", help="They said no.")] = False,
    not_now: Annotated[bool, typer.Option("--not-now", help="Not now; maybe later.")] = False,
    done: Annotated[bool, typer.Option("--done", help="This path is complete.")] = False,
    note: Annotated[str, typer.Option("--note", help="Why, for your own record.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Close a contact: no more nudges or keep-in-touch drafts until `outreach reopen`."""
    from worker.cli.common import fail, json_errors

    json_errors(as_json)
    chosen = [k for k, on in (("declined", declined), ("not_now", not_now), ("done", done)) if on]
    if len(chosen) != 1:
        fail("close: give exactly one of --declined, --not-now, --done")
    with opened_app(as_json=as_json) as a:
        row = ContactBook(a).close(contact, _OUTCOMES[chosen[0]], note)
    if as_json:
        print_json(_row_json(row))
        return
    say(f"{row.name}: {stage_words(row)}; nothing more will be prepared")
    if row.closed == "declined" and row.outreach_sent_at:
        say(
            "  a short reply thanking them for their answer will wait for your review in "
            "`outreach drafts`; nothing else will be sent to them"
        )


@app.command("reopen")
def reopen(contact: ContactRef, as_json: JsonFlag = False) -> None:
    """Reopen a closed contact: the automation picks up where it stood."""
    with opened_app(as_json=as_json) as a:
        row = ContactBook(a).reopen(contact)
    if as_json:
        print_json(_row_json(row))
    else:
        say(f"{row.name}: reopened, {stage_words(row)}; next: {next_step(row)}")

"""`outreach contacts ...` and `outreach reach-out`: the people we write to."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from worker.cli import app
from worker.cli.common import console, opened_app, print_json, print_table, short
from worker.services.contacts import ContactBook, NewContact, UnknownContact

contacts_app = typer.Typer(help="Add, import, list and forget contacts.", no_args_is_help=True)
app.add_typer(contacts_app, name="contacts")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


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
    reach_out: Annotated[
        bool, typer.Option("--reach-out", help="Prepare an outreach draft for them.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add one contact."""
    with opened_app() as a:
        row = ContactBook(a).add(
            NewContact(
                name=name,
                emails=list(email or []),
                company=company,
                role=role,
                how_we_know=how,
                url=url,
                referred_by=referred_by,
            ),
            reach_out=reach_out,
        )
    if as_json:
        print_json(asdict(row))
    else:
        console.print(Text(f"added {row.name} ({short(row.contact_id)}), stage {row.stage}"))


@contacts_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A CSV file, or LinkedIn's Connections.csv.")],
    as_json: JsonFlag = False,
) -> None:
    """Import contacts from CSV: all rows or none."""
    with opened_app() as a:
        summary = ContactBook(a).import_csv(file)
    if as_json:
        print_json(asdict(summary))
        return
    console.print(
        Text(
            f"imported {summary.imported} contacts from {file} ({summary.source}); "
            f"{summary.without_email} have no e-mail address and cannot be written to yet"
        )
    )


@contacts_app.command("list")
def list_(
    as_json: JsonFlag = False,
    stage: Annotated[str | None, typer.Option(help="Only contacts at this stage.")] = None,
) -> None:
    """List contacts."""
    with opened_app() as a:
        rows = ContactBook(a).all()
    if stage:
        rows = [r for r in rows if r.stage == stage]
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    print_table(
        "Contacts",
        ["id", "name", "email", "company", "role", "stage"],
        [
            [short(r.contact_id), r.name, ", ".join(r.emails) or "-", r.company, r.role, r.stage]
            for r in rows
        ],
        empty="none yet (outreach contacts add NAME --email ADDRESS)",
    )


@contacts_app.command("forget")
def forget(
    contact: Annotated[str, typer.Argument(help="Id, e-mail or name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Forget a contact: their personal data becomes unreadable everywhere, for good."""
    with opened_app() as a:
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
    console.print(f"forgot contact {short(row.contact_id)}; views rebuilt")


@app.command("reach-out")
def reach_out(contact: Annotated[str, typer.Argument(help="Id, e-mail or name.")]) -> None:
    """Choose to write to a contact: an outreach draft will be prepared for review."""
    with opened_app() as a:
        row = ContactBook(a).reach_out(contact)
    console.print(Text(f"{row.name}: an outreach draft will be prepared for your review"))

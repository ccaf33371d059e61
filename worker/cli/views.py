"""`outreach pipeline`, `outreach history` and `outreach projections`: reading the log's views."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from events.codec import Decoded
from events.projections.pipeline import ContactRow, next_step
from worker.cli import app
from worker.cli.common import console, opened_app, print_json, print_table, short
from worker.services.contacts import ContactBook

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

projections_app = typer.Typer(help="Maintain the views built from the log.", no_args_is_help=True)
app.add_typer(projections_app, name="projections")


@app.command()
def pipeline(as_json: JsonFlag = False) -> None:
    """Each contact's stage and what happens next."""
    with opened_app() as a:
        rows = ContactBook(a).all()
    if as_json:
        print_json([{**asdict(r), "next_step": next_step(r)} for r in rows])
        return
    print_table(
        "Pipeline",
        ["id", "name", "company", "stage", "since", "next"],
        [
            [short(r.contact_id), r.name, r.company, r.stage, r.stage_at[:10], next_step(r)]
            for r in rows
        ],
        empty="no contacts yet",
    )


def _summary(d: Decoded) -> str:
    fields: dict[str, Any] = d.event.fields()
    skip = {"contact_id", "account_id", "draft_id", "provider_draft_id", "meeting_id"}
    parts = [f"{k}={v}" for k, v in fields.items() if k not in skip and v not in (None, "", [])]
    text = ", ".join(parts)
    if d.forgotten:
        text = (text + ", " if text else "") + "[personal data forgotten]"
    return text


@app.command()
def history(
    contact: Annotated[str, typer.Argument(help="Id, e-mail or name.")],
    as_json: JsonFlag = False,
) -> None:
    """A contact's timeline, straight from the log."""
    with opened_app() as a:
        row: ContactRow = ContactBook(a).resolve(contact)
        entries = a.journal.contact_history(row.contact_id)
    if as_json:
        print_json(
            [
                {
                    "position": d.stored.position,
                    "type": d.stored.type,
                    "occurred_at": d.stored.occurred_at.isoformat(),
                    "forgotten": d.forgotten,
                    "event": d.event.fields(),
                }
                for d in entries
            ]
        )
        return
    print_table(
        f"History of {row.name} ({short(row.contact_id)})",
        ["when (UTC)", "what", "details"],
        [
            [d.stored.occurred_at.strftime("%Y-%m-%d %H:%M"), d.stored.type, _summary(d)]
            for d in entries
        ],
    )


@projections_app.command("rebuild")
def rebuild(
    name: Annotated[
        list[str] | None, typer.Argument(help="Views to rebuild (default all).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Rebuild views from the whole log, atomically."""
    with opened_app() as a:
        applied = a.projector.rebuild(name or None)
        names = list(name or [p.name for p in a.projector.projections])
    if as_json:
        print_json({"rebuilt": names, "events_applied": applied})
    else:
        console.print(f"rebuilt {', '.join(names)} from {applied} events")

"""`outreach pipeline`, `outreach history` and `outreach projections`: reading the log's views."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from events.projections.pipeline import STAGES, ContactRow, next_step, stage_words
from worker.cli import app
from worker.cli.common import (
    console,
    fail,
    json_errors,
    opened_app,
    print_json,
    print_table,
    say,
    short,
)
from worker.services.contacts import ContactBook
from worker.services.history import sentences
from worker.services.people import local_time

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
WideFlag = Annotated[bool, typer.Option("--wide", help="More columns, nothing cut short.")]

projections_app = typer.Typer(
    rich_markup_mode="markdown", help="Maintain the views built from the log.", no_args_is_help=True
)
app.add_typer(projections_app, name="projections")


@app.command()
def pipeline(
    as_json: JsonFlag = False,
    active: Annotated[bool, typer.Option("--active", help="Only contacts not closed.")] = False,
    closed: Annotated[bool, typer.Option("--closed", help="Only closed contacts.")] = False,
    stage: Annotated[
        str | None, typer.Option("--stage", help=f"Only this stage ({', '.join(STAGES[:11])}...).")
    ] = None,
    wide: WideFlag = False,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most this many contacts.")
    ] = None,
    offset: Annotated[
        int, typer.Option("--offset", min=0, help="Skip this many contacts first.")
    ] = 0,
) -> None:
    """Each contact, where they stand and what happens next.

    --limit and --offset page through many."""
    json_errors(as_json)
    if active and closed:
        fail("pipeline: --active and --closed exclude each other")
    if stage is not None and stage not in STAGES:
        fail(f"pipeline: --stage: no stage {stage!r} (one of {', '.join(STAGES)})")
    with opened_app(as_json=as_json) as a:
        shut = True if closed else False if active else None
        rows = ContactBook(a).page(stage=stage, closed=shut, limit=limit, offset=offset)
        zone = a.settings.policy.time_zone
        from worker.services.status import SHOWN, open_referrals

        # The table's note on open referrals: the longest waiting (JSON has none).
        referrals = [] if as_json else open_referrals(a, SHOWN + 1)
    if as_json:
        print_json(
            [{**asdict(r), "stage_words": stage_words(r), "next_step": next_step(r)} for r in rows]
        )
        return
    columns = ["name", "stage", "next"] + (["company", "since", "id"] if wide else [])
    print_table(
        "Pipeline",
        columns,
        [
            [r.name, stage_words(r), next_step(r)]
            + ([r.company, local_time(r.stage_at, zone), short(r.contact_id)] if wide else [])
            for r in rows
        ],
        empty="no contacts yet",
        wide=wide,
    )
    for r in referrals[:SHOWN]:
        say(f"open referral: {r['sentence']}")
    if len(referrals) > SHOWN:
        say("more open referrals: `outreach status --json` counts them")


@app.command()
def history(
    contact: Annotated[str, typer.Argument(help="Id, e-mail, or the start of their name.")],
    as_json: JsonFlag = False,
) -> None:
    """A contact's story, straight from the log, in sentences."""
    with opened_app(as_json=as_json) as a:
        book = ContactBook(a)
        row: ContactRow = book.resolve(contact)
        entries = book.history(row)
        lines = sentences(book, entries)
    if as_json:
        print_json(
            [
                {
                    "position": d.stored.position,
                    "type": d.stored.type,
                    "occurred_at": d.stored.occurred_at.isoformat(),
                    "forgotten": d.forgotten,
                    "sentence": line["sentence"],
                    "event": d.event.fields(),
                }
                for d, line in zip(entries, lines, strict=True)
            ]
        )
        return
    say(f"{row.name}:")
    for line in lines:
        say(f"  {line['when']}  {line['sentence']}")


@projections_app.command("rebuild")
def rebuild(
    name: Annotated[
        list[str] | None, typer.Argument(help="Views to rebuild (default all).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Rebuild views from the whole log, atomically."""
    with opened_app(as_json=as_json) as a:
        applied = a.projector.rebuild(name or None)
        names = list(name or [p.name for p in a.projector.projections])
    if as_json:
        print_json({"rebuilt": names, "events_applied": applied})
    else:
        console.print(f"rebuilt {', '.join(names)} from {applied} events")

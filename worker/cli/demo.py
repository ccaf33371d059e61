"""`outreach demo`: the embedded worker against the sandbox, weeks in seconds."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from worker.cli import app
from worker.cli.common import console, print_json, print_table


@app.command()
def demo(
    data_dir: Annotated[
        Path | None, typer.Option(help="Keep the demo's database here (default: a temp dir).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Run three weeks of a realistic story against the local sandbox; no account needed."""
    from worker.runner.demo import run_demo

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="outreach-demo-") as tmp:
        where = data_dir or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        say = (lambda _line: None) if as_json else (lambda line: console.print(f"  {line}"))
        if not as_json:
            console.print("[bold]outreach demo[/]: three weeks with five contacts, simulated")
        outcome = run_demo(where, say)
    outcome["seconds"] = round(time.monotonic() - started, 1)
    if as_json:
        print_json(outcome)
        return
    print_table(
        "Pipeline",
        ["name", "stage", "next"],
        [[p["name"], p["stage"], p["next"]] for p in outcome["pipeline"]],
    )
    print_table(
        "Confirmations sent automatically",
        ["to", "for (UTC)", "meeting zone", "copies in the mailbox"],
        [[c["to"], c["for"], c["time_zone"], c["in_mailbox"]] for c in outcome["confirmations"]],
    )
    print_table(
        "Drafts waiting for your review",
        ["kind", "to", "subject"],
        [[d["kind"], d["to"], d["subject"]] for d in outcome["drafts_waiting"]],
    )
    for t in outcome.get("thanks_sent", []):
        console.print(f"\n[bold]Thank-you sent to {t['to']}[/] (from your notes):")
        console.print(t["text"].rstrip(), markup=False, highlight=False)
    for d in outcome["drafts_waiting"]:
        console.print(f"\n[bold]Waiting for your review[/]: {d['kind']} to {d['to']}")
        console.print(
            f"Subject: {d['subject']}\n\n{d['text'].rstrip()}", markup=False, highlight=False
        )
    console.print(f"{outcome['events']} events in the log; {outcome['seconds']} s")

"""`outreach demo`: the embedded worker against the sandbox, weeks in seconds."""

from __future__ import annotations

import json
import shlex
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from worker.cli import app
from worker.cli.common import console, print_json, print_table


@app.command()
def demo(
    data_dir: Annotated[
        Path | None, typer.Option(help="Keep the demo's database here (default: a temp dir).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    keep: Annotated[
        Path | None,
        typer.Option(
            "--keep",
            help="Keep the demo's log and settings here, to explore with the other commands.",
        ),
    ] = None,
) -> None:
    """Run three weeks of a realistic story against the local sandbox; no account needed."""
    from worker.runner.demo import run_demo

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="outreach-demo-") as tmp:
        where = (keep or data_dir or Path(tmp)).resolve()
        where.mkdir(parents=True, exist_ok=True)
        say = (lambda _line: None) if as_json else (lambda line: console.print(f"  {line}"))
        if not as_json:
            console.print("[bold]outreach demo[/]: three weeks with five contacts, simulated")
        outcome = run_demo(where, say)
        if keep is not None:
            outcome["explore"] = keep_settings(where)
    outcome["seconds"] = round(time.monotonic() - started, 1)
    if as_json:
        print_json(outcome)
        return
    print_table(
        "Pipeline",
        ["name", "where they are", "next"],
        [[p["name"], p["stage_words"], p["next"]] for p in outcome["pipeline"]],
        wide=True,  # read once, by someone new to it: nothing cut
    )
    print_table(
        "Confirmations sent automatically",
        ["to", "for the meeting on", "copies sent"],
        [[c["to"], c["when"], c["in_mailbox"]] for c in outcome["confirmations"]],
        wide=True,
    )
    print_table(
        "Drafts waiting for your review",
        ["what", "to", "subject"],
        [[d["kind_words"], d["to"], d["subject"]] for d in outcome["drafts_waiting"]],
        wide=True,
    )
    for b in outcome.get("booked_from_offer", []):
        said = {
            "offer": f"Reply offering times, as {b['to']} got it",
            "confirmation": f"Confirmation, as {b['to']} got it (sent without review)",
        }
        console.print(f"\n[bold]{said.get(b['what'], b['what'])}[/]:")
        console.print(b["text"].rstrip(), markup=False, highlight=False)
    for t in outcome.get("thanks_sent", []):
        console.print(f"\n[bold]Thank-you sent to {t['to']}[/] (from your notes):")
        console.print(t["text"].rstrip(), markup=False, highlight=False)
    for d in outcome["drafts_waiting"]:
        console.print(f"\n[bold]Waiting for your review[/]: {d['kind_words']} to {d['to']}")
        console.print(
            f"Subject: {d['subject']}\n\n{d['text'].rstrip()}", markup=False, highlight=False
        )
    console.print(f"{outcome['events']} events in the log; {outcome['seconds']} s")
    if keep is not None:
        console.print(Text(f"\nKept in {where}. To explore it (pipeline, drafts, history):"))
        console.print(Text(f"  {outcome['explore']}"), soft_wrap=True)


def keep_settings(where: Path) -> str:
    """Write the demo's settings beside its log, so that later commands see the demo's
    world (its database, its zone, the profile its drafts were written for); return the
    environment line that points the commands at it."""
    from worker.runner.demo import demo_settings

    settings = demo_settings(where)
    config = where / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    # JSON strings are valid TOML basic strings (same escapes).
    config.write_text(
        f"database_url = {json.dumps(settings.database_url)}\n\n"
        f"[profile]\nname = {json.dumps(settings.profile.name)}\n"
        f"headline = {json.dumps(settings.profile.headline)}\n\n"
        f"[policy]\ntime_zone = {json.dumps(settings.policy.time_zone)}\n",
        encoding="utf-8",
    )
    return (
        f"export OUTREACH_DATA_DIR={shlex.quote(str(where))} "
        f"OUTREACH_CONFIG_DIR={shlex.quote(str(config.parent))}"
    )

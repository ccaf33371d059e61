"""`outreach status`: accounts, whether the worker runs, queued and coming work, failures."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from rich.text import Text

from worker.cli import app
from worker.cli.common import USER_ERRORS, console, fail, print_json, print_table
from worker.runner.clocks import clock_from_env
from worker.services.app import App, open_app
from worker.services.local_time import local_time
from worker.services.settings import load_settings


def _queued(broker_url: str | None) -> int | None:
    if not broker_url:
        return None
    import redis

    from worker.runner.scaled import queue_depth, redis_client

    client = redis_client(broker_url)
    try:
        return queue_depth(client)
    except redis.exceptions.RedisError:
        return -1  # shown as "broker not answering"
    finally:
        client.close()


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="List at most this many of each (counts all).")
    ] = 20,
) -> None:
    """Is it working? Accounts, the worker's heartbeat, queued and coming work, failures."""
    from worker.services.status import status as gather

    opened: App | None = None
    try:
        settings = load_settings()
        opened = open_app(settings, clock_from_env(os.environ))
        report = gather(opened, _queued(settings.broker_url), limit)
    except USER_ERRORS as exc:
        fail(str(exc).splitlines()[0])
    finally:
        if opened is not None:
            opened.close()
    if as_json:
        print_json(report)
        return
    _print(report, settings.policy.time_zone)


#: What the worker will do, in the user's words.
ACTION_WORDS = {
    "draft_outreach": "prepare a first message",
    "draft_nudge": "prepare a nudge",
    "delete_draft": "drop a nudge no longer needed",
    "send_confirmation": "confirm the meeting",
    "mark_met": "mark the meeting as held",
    "draft_thank_you": "prepare a thank-you",
    "draft_referrer_thanks": "prepare thanks to a referrer",
    "draft_keep_in_touch": "prepare a keep-in-touch note",
    "rerender_draft": "update a waiting draft from your notes",
    "record_no_response": "record no answer",
    "draft_times": "prepare a reply offering times",
    "read_times_answer": "read which time they chose",
    "send_summary": "send you the daily summary",
    "draft_confirmation_ask": "prepare a note asking for the meeting's details",
    "draft_decline_thanks": "prepare a short thank-you for their answer",
}


def _print(report: dict[str, Any], zone: str = "UTC") -> None:
    # Four short columns fit an 80-column terminal; what an account needs from the user
    # (a command to run, an error to read) goes on lines of its own below the table, where
    # nothing cuts it short. `--json` has every field.
    if report.get("profile"):
        console.print(f"[bold red]profile:[/] {report['profile']}", highlight=False)
    print_table(
        "Accounts",
        ["email", "provider", "state", "synced"],
        [
            [a["email"], a["provider"], a["state"].replace("_", " "), _ago(a["cursor_age_s"])]
            for a in report["accounts"]
        ],
        empty="none connected; run `outreach connect google` or `outreach connect microsoft`",
    )
    for a in report["accounts"]:
        for line in _account_notes(a):
            console.print(Text(line), soft_wrap=False)
    workers = report["workers"]
    if not any(w["running"] for w in workers):
        console.print(
            "[bold red]worker: not running[/] — nothing is synced and no reminder fires; "
            "start `outreach run` (or `outreach service install`)",
            highlight=False,
        )
    print_table(
        "Worker heartbeat",
        ["loop", "host", "pid", "last step", "ago", "state", "last step did"],
        [
            [
                w["name"],
                w["host"],
                w["pid"],
                w["stepped_at"],
                _age(w["age_s"]),
                "running" if w["running"] else "NOT RUNNING (stale)",
                w["detail"],
            ]
            for w in workers
        ],
        empty="never ran",
    )
    queued = report["queued"]
    if queued is not None:
        console.print(
            "queued work: broker not answering" if queued < 0 else f"queued work: {queued}",
            highlight=False,
        )
    print_table(
        "Coming up (48 h)",
        ["due", "what", "contact"],
        [
            [local_time(c["due_at"], zone), ACTION_WORDS.get(c["kind"], c["kind"]), c["contact"]]
            for c in report["coming_up"]
        ],
        empty="nothing due",
    )
    due = report["due_within_48h"]
    if len(report["coming_up"]) < due["people"] + due["meetings"]:
        console.print(
            f"the first {len(report['coming_up'])} shown; {due['people']} people and "
            f"{due['meetings']} meetings may have work due within 48 h",
            highlight=False,
        )
    print_table(
        "Drafts waiting for your review",
        ["kind", "to", "subject", "since"],
        [
            [d["kind"].replace("_", " "), d["to"], d["subject"], local_time(d["created_at"], zone)]
            for d in report["drafts_waiting"]
        ],
        empty="none",
    )
    _more(
        len(report["drafts_waiting"]), report["drafts_waiting_count"], "drafts: `outreach drafts`"
    )
    for n in report.get("notes_to_write", []):
        console.print(Text(n["sentence"]), soft_wrap=True)
    for m in report.get("meetings_to_settle", []):
        console.print(Text(f"meeting: {m['sentence']}"), soft_wrap=True)
    for r in report.get("open_referrals", []):
        console.print(Text(f"open referral: {r['sentence']}"), soft_wrap=True)
    _more(len(report["open_referrals"]), report["open_referrals_count"], "open referrals")
    print_table(
        "Failures (7 days)",
        ["at", "type", "what", "why"],
        [[f["at"], f["type"], f["what"], f["why"]] for f in report["recent_failures"]],
        empty="none",
    )


def _more(shown: int, count: int, what: str) -> None:
    if count > shown:
        console.print(f"... and {count - shown} more {what}", highlight=False)


def _account_notes(a: dict[str, Any]) -> list[str]:
    """What the user should know or do about one account, the command on its own line."""
    if a["needs_reconnect"]:
        reason = f" ({a['reason']})" if a["reason"] else ""
        return [f"{a['email']}: needs reconnect{reason}; run:", f"    {a['command']}"]
    if a["backing_off_until"]:
        return [f"{a['email']}: backing off until {a['backing_off_until']}: {a['last_error']}"]
    if a["last_error"]:
        return [f"{a['email']}: last error: {a['last_error']}"]
    return []


def _ago(seconds: float | None) -> str:
    return f"{_age(seconds)} ago" if seconds is not None else "never"


def _age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"

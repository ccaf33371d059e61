"""The demo's story end to end on the embedded default: what the user would see in the mailbox."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from worker.runner.demo import run_demo


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], dict[str, Any]]:
    """One run of the demo (it takes seconds), what it told and what it ended with."""
    said: list[str] = []
    outcome = run_demo(tmp_path_factory.mktemp("demo"), said.append)
    return said, outcome


def test_demo_story_ends_with_the_right_mailbox(played: tuple[list[str], dict[str, Any]]) -> None:
    _, outcome = played

    stages = {p["name"]: p["stage"] for p in outcome["pipeline"]}
    assert stages == {
        "Ada Lovelace": "thanked",
        "Barbara Liskov": "declined",
        "Grace Hopper": "thanked",
        "Katherine Johnson": "nudged",  # out of office: nudged after her return
        "Linus Torvalds": "no_response",  # two nudges, then we stop
        "Alan Turing": "nudged",  # the referral from Ada's notes
    }
    # One confirmation per meeting and per start time (Grace's meeting moved once),
    # each exactly once in the sandbox's sent mail.
    confirmed = Counter((c["to"], c["for"]) for c in outcome["confirmations"])
    assert sorted(confirmed) == [
        ("Ada Lovelace", "2026-03-05T14:00:00+00:00"),  # the second time offered
        ("Barbara Liskov", "2026-03-06T10:00:00+00:00"),
        ("Grace Hopper", "2026-03-10T16:00:00+00:00"),
        ("Grace Hopper", "2026-03-11T11:00:00+00:00"),
    ]
    assert set(confirmed.values()) == {1}
    assert [c["in_mailbox"] for c in outcome["confirmations"]] == [1, 1, 1, 1]
    # The summary says when in the user's words and zone, never as a timestamp.
    assert "Thursday 5 March at 14:00 GMT" in {c["when"] for c in outcome["confirmations"]}
    words = {p["name"]: p["stage_words"] for p in outcome["pipeline"]}
    assert words["Linus Torvalds"] == "no answer"
    # The thank-you to the referrer is waiting for review, nothing else: complete, in
    # the user's words from their notes on Grace, nothing left to fill in.
    [waiting] = outcome["drafts_waiting"]
    assert (waiting["kind"], waiting["to"]) == ("referrer_thanks", "Ada Lovelace")
    assert waiting["kind_words"] == "Thanks for an introduction"
    assert "Grace Hopper" in waiting["text"]
    assert "I came away with a reading list." in waiting["text"]
    assert "[" not in waiting["text"]
    # Notes first: Ada's thank-you quoted them and named the person she suggested.
    thanks = {t["to"]: t["text"] for t in outcome["thanks_sent"]}
    assert "made my own switch feel possible." in thanks["Ada Lovelace"]
    assert "I will write to Alan and mention you" in thanks["Ada Lovelace"]
    assert "write code people can read" in thanks["Grace Hopper"]


def test_demo_shows_a_happy_to_talk_become_a_meeting(
    played: tuple[list[str], dict[str, Any]],
) -> None:
    """Ada (in Paris) replies; a reply offering three free times, in her zone with the
    user's beside it, is reviewed and sent; she picks the second; the invitation is
    prepared, approved, on the calendar with her invited; the confirmation goes a day
    ahead. Told in that order, in words, and the texts as she got them."""
    said, outcome = played
    text = "\n".join(said)
    story = [
        'Ada replies: "Happy to talk! When would suit you?"',
        "a reply offering Ada three free times, for your review:",
        "- Wednesday 4 March at 11:00 your time (10:00 GMT for me)",
        "- Thursday 5 March at 15:00 your time (14:00 GMT for me)",
        "you send Ada the reply with the times",
        'Ada answers: "The second one works for me."',
        "Ada chose the second time; the invitation is ready:",
        '"Ada Lovelace / Sam Rivera"',
        "Thursday 5 March at 14:00 GMT, 30 minutes, video call",
        "inviting ada@analytical.example",
        "you approve it: outreach schedule ada --offered 2",
        "on your calendar: Thursday 5 March at 14:00 GMT",
        "with ada@analytical.example, invitation sent",
        "the call: https://meet.google.com/",
        "Wed 04 Mar 14:00  the confirmation goes to Ada by itself, a day ahead",
        "Thu 05 Mar 16:00  you write notes after meeting Ada",
    ]
    at = [text.find(line) for line in story]
    assert -1 not in at, [line for line, where in zip(story, at, strict=True) if where < 0]
    assert at == sorted(at)
    # Barbara asks for another time: read as none of those offered, nothing guessed.
    assert "Barbara's answer: not one of the times; nothing guessed" in text
    # Every line fits a terminal of 80 columns (the command indents each by two).
    assert max(len(line) for line in said) <= 78

    [offer, confirmation] = outcome["booked_from_offer"]
    assert (offer["to"], offer["what"]) == ("Ada Lovelace", "offer")
    assert "- Thursday 5 March at 15:00 your time (14:00 GMT for me)" in offer["text"]
    assert "or suggest another time that suits you" in offer["text"].lower()
    assert (confirmation["to"], confirmation["what"]) == ("Ada Lovelace", "confirmation")
    assert "Thursday 5 March at 15:00 your time (14:00 GMT for me)" in confirmation["text"]
    assert "https://meet.google.com/" in confirmation["text"]


def test_demo_is_deterministic(tmp_path: Path) -> None:
    first = run_demo(tmp_path / "a", lambda _line: None)
    second = run_demo(tmp_path / "b", lambda _line: None)
    assert first["pipeline"] == second["pipeline"]
    assert first["events"] == second["events"]
    strip = [{k: v for k, v in c.items() if k != "message_id"} for c in first["confirmations"]]
    assert strip == [
        {k: v for k, v in c.items() if k != "message_id"} for c in second["confirmations"]
    ]


def test_a_kept_demo_shows_its_drafts_text(tmp_path: Path) -> None:
    """After `demo --keep DIR`, the printed environment line is all `drafts show` needs
    to print a waiting draft's text, noted as the demo's mailbox (no sandbox running)."""
    import json
    import shlex

    from typer.testing import CliRunner

    from worker.cli import _register
    from worker.cli import app as cli

    _register()
    runner = CliRunner()
    kept = tmp_path / "kept"
    ran = runner.invoke(cli, ["demo", "--keep", str(kept), "--json"], env={"COLUMNS": "200"})
    assert ran.exit_code == 0, ran.output
    explore = json.loads(ran.stdout)["explore"]
    env = dict(w.split("=", 1) for w in shlex.split(explore.removeprefix("export ")))
    env["OUTREACH_SANDBOX_ENDPOINTS"] = ""
    [waiting] = json.loads(runner.invoke(cli, ["drafts", "--json"], env=env).stdout)
    shown = runner.invoke(cli, ["drafts", "show", waiting["draft_id"][:8]], env=env)
    assert shown.exit_code == 0, shown.output
    assert "As it is in the demo's mailbox, as the demo left it" in shown.stdout
    assert "Grace Hopper" in shown.stdout
    assert "I came away with a reading list." in shown.stdout
    as_json = json.loads(
        runner.invoke(cli, ["drafts", "show", waiting["draft_id"], "--json"], env=env).stdout
    )
    assert as_json["in_mailbox"] is True
    assert as_json["body"].startswith("Dear Ada,")

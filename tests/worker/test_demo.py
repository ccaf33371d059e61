"""The demo's story end to end on the embedded default: what the user would see in the mailbox."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from worker.runner.demo import run_demo


def test_demo_story_ends_with_the_right_mailbox(tmp_path: Path) -> None:
    said: list[str] = []
    outcome = run_demo(tmp_path, said.append)

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
        ("Ada Lovelace", "2026-03-05T15:00:00+00:00"),
        ("Barbara Liskov", "2026-03-06T10:00:00+00:00"),
        ("Grace Hopper", "2026-03-10T16:00:00+00:00"),
        ("Grace Hopper", "2026-03-11T11:00:00+00:00"),
    ]
    assert set(confirmed.values()) == {1}
    assert [c["in_mailbox"] for c in outcome["confirmations"]] == [1, 1, 1, 1]
    # The thank-you to the referrer is waiting for review, nothing else: complete, in
    # the user's words from their notes on Grace, nothing left to fill in.
    [waiting] = outcome["drafts_waiting"]
    assert (waiting["kind"], waiting["to"]) == ("referrer_thanks", "Ada Lovelace")
    assert "Grace Hopper" in waiting["text"]
    assert "I came away with a reading list." in waiting["text"]
    assert "[" not in waiting["text"]
    # Notes first: Ada's thank-you quoted them and named the person she suggested.
    thanks = {t["to"]: t["text"] for t in outcome["thanks_sent"]}
    assert "made my own switch feel possible." in thanks["Ada Lovelace"]
    assert "I will write to Alan and mention you" in thanks["Ada Lovelace"]
    assert "write code people can read" in thanks["Grace Hopper"]
    assert len(said) == 12


def test_demo_is_deterministic(tmp_path: Path) -> None:
    first = run_demo(tmp_path / "a", lambda _line: None)
    second = run_demo(tmp_path / "b", lambda _line: None)
    assert first["pipeline"] == second["pipeline"]
    assert first["events"] == second["events"]
    strip = [{k: v for k, v in c.items() if k != "message_id"} for c in first["confirmations"]]
    assert strip == [
        {k: v for k, v in c.items() if k != "message_id"} for c in second["confirmations"]
    ]

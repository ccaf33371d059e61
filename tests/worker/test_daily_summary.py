"""The daily summary: what waits reaches the user's own mailbox once a day at the chosen
hour (their zone), whatever restarts; nothing is sent when nothing waits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.worker.world import World
from worker.domain.policies.summary import daily_summary
from worker.runner.runtime import Runtime
from worker.services.app import open_app
from worker.services.contacts import NewContact
from worker.services.rendering import Renderer
from worker.services.settings import load_settings
from worker.services.tick import load_snapshot

ADA = "ada@analytical.example"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path, summary=True)
    try:
        yield w
    finally:
        w.close()


def _to_me(world: World) -> list[dict[str, Any]]:
    return [m for m in world.mail()["sent"] if m["headers"].get("To") == world.email]


def _restarted(world: World, tmp_path: Path) -> Runtime:
    """A worker started afresh on the same log: a new app, a new runtime."""
    app = open_app(load_settings(world.env), world.clock)
    world._opened.append(app)
    return Runtime(app=app, provider_for=world.provider_for, renderer=Renderer(tmp_path / "x"))


def test_nothing_waits_nothing_is_sent(world: World) -> None:
    world.book.add(NewContact(name="Ada Lovelace", emails=[ADA]))  # known, not chosen
    for _ in range(3):
        assert world.due("send_summary") == []
        world.later(days=1)
    assert _to_me(world) == []


def test_sent_once_a_day_at_the_hour_whatever_restarts(world: World, tmp_path: Path) -> None:
    world.at(world.clock.now().replace(hour=6))  # 06:00 in London: before the hour
    world.add("Ada Lovelace", ADA)
    world.perform("draft_outreach")
    assert world.due("send_summary") == []

    world.at(world.clock.now().replace(hour=8, minute=5))
    [action] = world.due("send_summary")
    assert action.key == "summary:2026-03-02"
    assert world.runtime.perform(action.to_message()) == "done"
    [mail] = _to_me(world)
    assert mail["headers"]["Subject"] == "Outreach, Mon 2 Mar: 1 draft waits for review"
    assert "- first message to Ada Lovelace, waiting 2 hours" in mail["text"]
    assert "`summary = false` under [policy]" in mail["text"]

    # Later the same day, and after a restart: nothing more.
    world.later(hours=3)
    assert world.due("send_summary") == []
    again = _restarted(world, tmp_path)
    assert again.perform(action.to_message()) == "already done"
    assert len(_to_me(world)) == 1
    assert [e["day"].isoformat() for e in world.events("summary.sent")] == ["2026-03-02"]

    # The next morning the draft still waits: a new day, a new summary.
    world.at(world.clock.now().replace(hour=9) + timedelta(days=1))
    [tomorrow] = world.due("send_summary")
    assert tomorrow.key == "summary:2026-03-03"
    assert again.perform(tomorrow.to_message()) == "done"
    assert "waiting 27 hours" in _to_me(world)[0]["text"]
    assert len(_to_me(world)) == 2


def test_summary_lists_meetings_notes_referrals_and_accounts(world: World) -> None:
    world.outreach_sent("Ada Lovelace", ADA)
    world.reply(ADA)
    world.invite(ADA, world.clock.now() + timedelta(days=1, hours=5))  # Tue 14:00
    world.outreach_sent("Grace Hopper", "grace@navy.example")
    world.reply("grace@navy.example")
    world.invite("grace@navy.example", world.clock.now() + timedelta(hours=2))
    world.later(hours=3)
    world.perform("mark_met")
    from worker.services.notes import record_notes

    record_notes(world.book, ADA, "Ada says to talk to Raj at Tailspin, no email yet.")
    summary = daily_summary(load_snapshot(world.app), world.clock.now(), world.app.settings.policy)
    assert summary is not None
    assert "Meetings in the next 48 hours:\n- Ada Lovelace: Tue 3 Mar 14:00 GMT; " in summary.body
    assert "`outreach prep Ada`" in summary.body
    assert "Notes to write:\n- your meeting with Grace Hopper on Mon 2 Mar 11:00 GMT" in (
        summary.body
    )
    assert "Open referrals:\n- ask Ada Lovelace to introduce you to Raj" in summary.body


def test_summary_false_stops_it(world: World, tmp_path: Path) -> None:
    config = Path(world.env["OUTREACH_CONFIG_DIR"]) / "config.toml"
    config.write_text(config.read_text().replace("summary = true", "summary = false"))
    stopped = open_app(load_settings(world.env), world.clock)
    try:
        world.add("Ada Lovelace", ADA)
        world.perform("draft_outreach")
        found: list[str] = []
        from worker.services.tick import tick

        tick(stopped, lambda a: found.append(a.kind))
        assert "send_summary" not in found
        assert world.due("send_summary") != []  # the same log with the default settings
    finally:
        stopped.close()


def test_a_throttled_summary_waits_without_pausing_the_mailbox(world: World) -> None:
    world.add("Ada Lovelace", ADA)
    world.perform("draft_outreach")
    # Throttled for as long as the adapter's own retries last.
    rule = world.sandbox.faults.add(
        "google", "gmail.users.messages.send", "rate_limit", probability=1.0, retry_after=1
    )
    [action] = world.due("send_summary")
    assert world.runtime.perform(action.to_message()).startswith("waiting: ")
    # The account is not backing off: the next action (a confirmation, a draft) goes on.
    assert world.events("account.sync_failed") == []
    assert _to_me(world) == []
    world.sandbox.faults.remove(rule)
    [again] = world.due("send_summary")
    assert world.runtime.perform(again.to_message()) == "done"
    assert len(_to_me(world)) == 1

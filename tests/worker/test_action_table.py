"""Every action kind the policies can emit has exactly one handler, and each one runs
through the real effects on the sandbox (a late booking's "skip" crashed once)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import get_args

import pytest

from tests.worker.world import World
from worker.domain.policies.actions import ActionKind
from worker.services.effects import Effects
from worker.services.notes import Notes, record_notes


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path, summary=True)
    try:
        yield w
    finally:
        w.close()


def test_every_kind_has_a_handler_that_takes_an_action_and_an_event_id(world: World) -> None:
    effects = Effects(world.app, world.provider_for, world.runtime.renderer)
    for kind in get_args(ActionKind):
        handler = effects.handler_for(kind)
        # A handler, never a helper that happens to share its name.
        assert list(inspect.signature(handler).parameters) == ["action", "eid"], kind


def test_a_meeting_booked_too_late_to_confirm_is_recorded_as_skipped_once(world: World) -> None:
    world.outreach_sent("Ada Lovelace", "ada@example.org")
    world.reply("ada@example.org")
    world.invite("ada@example.org", world.clock.now() + timedelta(hours=1))
    [skip] = world.due("skip")
    assert world.runtime.perform(skip.to_message()).startswith("skipped: ")
    [recorded] = world.events("action.skipped")
    assert recorded["action"] == "send_confirmation"
    assert "no time to confirm" in recorded["reason"]
    assert world.due("skip") == []
    assert world.due("send_confirmation") == []


def test_every_kind_the_policies_emit_is_performed_through_the_real_effects(
    world: World,
) -> None:
    """Six weeks of three people's stories, ticking every hour and doing what is due."""
    performed: dict[str, list[str]] = {}

    def settle() -> None:
        for action in world.due():
            result = world.runtime.perform(action.to_message())
            performed.setdefault(action.kind, []).append(result)

    def step(hours: int) -> None:
        for _ in range(hours):
            world.later(hours=1)
            settle()

    ada = world.outreach_sent("Ada Lovelace", "ada@example.org")
    world.outreach_sent("Grace Hopper", "grace@example.org", referred_by=ada.contact_id)
    world.outreach_sent("Cleo Marsh", "cleo@example.org")
    world.outreach_sent("Eve Adeyemi", "eve@example.org")
    world.outreach_sent("Fay Nakamura", "fay@example.org")
    world.reply("eve@example.org", "Happy to talk! When suits you?")
    settle()  # the reply offering three times is drafted
    [offer] = [d for d in world.drafts() if d.to == "eve@example.org"]
    world.user_sends(offer)
    world.later(hours=2)
    world.reply("eve@example.org", "The second one works for me.")
    settle()  # her answer is read
    world.add("Dan Okafor", "dan@example.org")  # his outreach is drafted by the tick
    step(24 * 8)  # first nudges drafted for all three
    for draft in world.drafts():
        if draft.to == "cleo@example.org":
            world.user_sends(draft)
    world.reply("ada@example.org")  # Ada's waiting nudge is now wrong: deleted
    world.invite("ada@example.org", world.clock.now() + timedelta(hours=1))  # too late: skip
    settle()
    world.reply("grace@example.org")
    world.invite("grace@example.org", world.clock.now() + timedelta(days=3))
    world.reply("fay@example.org")
    # Neither a place nor a link: not confirmed blind, a draft asks where.
    world.invite("fay@example.org", world.clock.now() + timedelta(days=4), place="")
    world.outreach_sent("Hal Abelson", "hal@example.org")
    world.reply("hal@example.org", "Thank you, but I must decline: no time this year.")
    world.book.close("hal@example.org", "declined")  # a short thanks is drafted, then nothing
    step(24 * 8)  # confirmation, met, thank-yous by the evening; Cleo's second nudge
    # Notes written late: the waiting, untouched thank-you is prepared again from them.
    record_notes(world.book, "grace@example.org", Notes(takeaway="Start with the users."))
    settle()
    for draft in world.drafts():
        if draft.to == "cleo@example.org" or draft.kind in ("thank_you", "referrer_thanks"):
            world.user_sends(draft)
    step(24 * 60)  # Cleo gives no answer; keep in touch with Grace eight weeks on
    assert set(performed) == set(get_args(ActionKind))
    for kind, results in performed.items():
        # A policy's "skip" is done by recording the skip; every other kind did its work.
        expected = "skipped: " if kind == "skip" else "done"
        assert any(r.startswith(expected) for r in results), (kind, results)

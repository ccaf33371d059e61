"""Faults met by actions (a draft to create, the confirmation to send) rather than sync,
and a worker that dies between sending and recording the send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.faults.worlds import (
    ADA,
    MEETING_AT,
    FaultWorld,
    Killed,
    Outcome,
    finish_the_story,
    outcome,
    set_the_scene,
    things_happen,
)

#: Gmail's sending limits answer 429 for hours; an hour here.
SENDING_LIMIT_S = 3600.0


@pytest.mark.parametrize("world", ["google", "outlook"], indirect=True)
def test_a_send_throttled_for_an_hour_waits_the_hour_then_confirms_once(
    world: FaultWorld, expected: Outcome
) -> None:
    set_the_scene(world)
    things_happen(world)
    world.steps(minutes=5)
    world.sandbox.faults.add(
        world.provider_key,
        world.send_method,
        "rate_limit",
        probability=1.0,
        retry_after=SENDING_LIMIT_S,
    )
    # The confirmation comes due 24 h before the meeting.
    world.at(MEETING_AT - timedelta(days=1) - timedelta(minutes=5))
    world.steps(minutes=10)
    sends = world.sandbox.accounting.total(world.provider_key, method=world.send_method)
    account = world.account_status()
    assert account["state"] == "backing_off"
    assert "429" in account["last_error"]
    assert account["backing_off_until"] >= (world.clock.now() + timedelta(minutes=50)).isoformat()
    assert "backing off until" in world.status_cli()
    # Within the hour: not one more send attempt, however many ticks pass.
    world.steps(minutes=45, every=5)
    assert world.sandbox.accounting.total(world.provider_key, method=world.send_method) == sends
    assert sends == 1
    assert outcome(world).confirmations == 0
    world.heal()
    world.steps(minutes=30, every=5)
    assert outcome(world) == expected


BURST = 11  # more than one call's five attempts, even when httplib2 reopens each drop once


@pytest.mark.parametrize("world", ["google", "outlook"], indirect=True)
@pytest.mark.parametrize("kind", ["drop", "unavailable"])
def test_a_failing_send_or_draft_burst_leaves_each_message_once(
    world: FaultWorld, expected: Outcome, kind: str
) -> None:
    set_the_scene(world)
    drafts, sends = world.requests(world.draft_method), world.requests(world.send_method)
    world.sandbox.faults.add(world.provider_key, world.draft_method, kind, times=BURST)
    world.sandbox.faults.add(world.provider_key, world.send_method, kind, times=BURST)
    things_happen(world)
    world.step()
    account = world.account_status()
    assert account["state"] == "backing_off"  # Grace's draft could not be made yet
    assert len(world.events("outreach.drafted")) == 1  # Ada's only
    assert finish_the_story(world) == expected
    # Every request past the burst succeeded: Grace's draft once, and the confirmation
    # once (on Outlook a send creates its message first, so one more create there).
    assert world.requests(world.draft_method) - drafts <= BURST + 2
    assert world.requests(world.send_method) - sends <= BURST + 1


@pytest.mark.parametrize("world", ["google", "outlook"], indirect=True)
@pytest.mark.parametrize("rewrite", [False, True], ids=["message-id-kept", "message-id-rewritten"])
def test_a_death_between_sending_the_confirmation_and_recording_it_confirms_once(
    world: FaultWorld, expected: Outcome, rewrite: bool
) -> None:
    """The worker finds the confirmation it sent before dying and records it instead of
    sending it again, also when the provider gave the message its own Message-ID (whether
    Gmail and Exchange keep ours is not documented): then by our marker."""
    if rewrite:
        world.rewrite_message_ids()
    set_the_scene(world)
    things_happen(world)
    world.steps(minutes=5)
    sent_before = len(world.sent_message_ids())
    world.crash_after_next_send()
    world.at(MEETING_AT - timedelta(days=1) - timedelta(minutes=5))
    with pytest.raises(Killed):
        world.steps(minutes=10)
    assert len(world.sent_message_ids()) == sent_before + 1  # it went out
    assert outcome(world).confirmations == 0  # and the log does not know
    world.steps(minutes=30, every=5)
    assert outcome(world) == expected
    assert len(world.sent_message_ids()) == sent_before + 1


#: Thursday 10:00 in Tokyo (01:00 UTC). A day before is night in Tokyo and in London, whose
#: send windows (8-20) share only 08:00-11:00 UTC in March.
IN_TOKYO = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)
SHARED_WINDOW_ENDS = datetime(2026, 3, 3, 11, 0, tzinfo=UTC)  # the last before the day before
OUTAGE = timedelta(minutes=20)


@pytest.mark.parametrize("world", ["google", "outlook"], indirect=True)
def test_an_outage_when_the_confirmation_comes_due_does_not_cost_a_day(
    world: FaultWorld,
) -> None:
    """The provider fails for twenty minutes from the moment the confirmation comes due:
    it still goes out that morning, once, before the shared window closes. (Planned for
    the window's last minute, it waited a day for the next one: the day the meeting is
    near enough that one more failing hour, or a worker that ticks hourly and so never
    reaches that minute, costs it altogether.)"""
    set_the_scene(world)
    world.contact_replies(ADA)
    world.contact_invites(ADA, IN_TOKYO, zone="Asia/Tokyo")
    world.steps(minutes=5)
    world.at(SHARED_WINDOW_ENDS - timedelta(hours=4))
    for _ in range(4 * 60):
        if world.due("send_confirmation"):
            break
        world.later(minutes=1)
    due_at = world.clock.now()
    world.fail("unavailable")
    world.steps(minutes=OUTAGE.total_seconds() / 60)
    world.heal()
    while world.clock.now() < SHARED_WINDOW_ENDS:
        world.step()
    while world.clock.now() < IN_TOKYO:  # on to the meeting
        world.step(60)
    [confirmed] = world.events("meeting.confirmed")
    assert confirmed["for_start"] == IN_TOKYO
    assert due_at + OUTAGE <= confirmed["sent_at"] < SHARED_WINDOW_ENDS
    assert world.events("action.skipped") == []
    assert outcome(world).sent_confirmations == 1

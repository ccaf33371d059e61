"""A Meet link Google makes after the invitation: Calendar answers a conference request
"pending" ("the conference create request is still being processed") and attaches the
link later. While it is coming, nobody is asked where to meet; the confirmation sent the
day before carries the link. A request that fails leaves the meeting with no place and no
link, and a draft asks where, as for any such meeting."""

from __future__ import annotations

from datetime import timedelta

from tests.worker.test_confirmations_story import ADA, _confirmations, _settle
from tests.worker.world import World
from worker.services.invitations import Invitation, invite, plan, scheduling_account
from worker.services.status import status


def _asks(world: World) -> list[str]:
    """The drafts in Ada's mailbox asking her where to meet."""
    return [
        d["text"]
        for d in world.mail()["drafts"]
        if d["headers"]["To"] == ADA and "Where would suit you best?" in d["text"]
    ]


def _schedule_a_call(world: World) -> Invitation:
    """The user schedules a video call with Ada (the default place), three days ahead."""
    world.outreach_sent("Ada Lovelace", ADA, how_we_know="met at PyCon")
    world.reply(ADA)
    when = (world.clock.now() + timedelta(days=3)).isoformat()
    person, request = plan(world.app, ADA, when, minutes=30)
    assert request.video_call
    account = scheduling_account(world.app)
    return invite(world.app, world.provider_for(account), account, person, request)


def test_a_link_still_being_made_is_waited_for_and_confirmed(world: World) -> None:
    world.sandbox.google.plan_conferences(pending_for=timedelta(minutes=2))
    done = _schedule_a_call(world)
    assert done.link == ""  # Google answered "pending": no link yet
    world.sync()
    assert _settle(world) == []  # no question about where to meet: the link is coming
    assert _asks(world) == []
    [waiting] = status(world.app, None)["meetings_to_settle"]
    assert waiting["sentence"] == (
        "the meeting with Ada Lovelace waits for its video call link from your calendar: "
        "it is confirmed once the link comes"
    )

    world.later(minutes=5)  # Google has made the Meet meanwhile
    world.sync()
    assert _settle(world) == []
    assert status(world.app, None)["meetings_to_settle"] == []
    world.later(days=2)  # the day before
    assert _settle(world) == ["send_confirmation"]
    [text] = _confirmations(world)
    [event] = [
        e
        for e in world.sandbox.google.calendar_state()["events"]
        if e["id"] == done.provider_event_id
    ]
    assert event["hangoutLink"].startswith("https://meet.google.com/")
    assert f"Here is the link to join: {event['hangoutLink']}" in text
    assert _asks(world) == []


def test_a_failed_meet_request_gets_a_draft_asking_where(world: World) -> None:
    world.sandbox.google.plan_conferences(outcome="failure", pending_for=timedelta(minutes=2))
    _schedule_a_call(world)
    world.sync()
    assert _settle(world) == []

    world.later(minutes=5)  # Google gave up: no conference, no link
    world.sync()
    assert _settle(world) == ["draft_confirmation_ask"]
    assert len(_asks(world)) == 1
    world.later(days=2)
    later = _settle(world)
    assert "send_confirmation" not in later  # nothing confirmed without a place or link
    assert "draft_confirmation_ask" not in later  # and asked once
    assert _confirmations(world) == []


def test_a_link_that_never_comes_is_asked_for_when_the_confirmation_is_due(
    world: World,
) -> None:
    world.sandbox.google.plan_conferences(pending_for=None)  # pending until told otherwise
    done = _schedule_a_call(world)
    world.sync()
    world.later(days=1)
    world.sync()
    assert _settle(world) == []  # still coming, and a confirmation is not due yet
    world.later(days=1)  # the day before, and still no link
    world.sync()
    assert _settle(world) == ["draft_confirmation_ask"]
    assert len(_asks(world)) == 1
    assert _confirmations(world) == []

    # The link arrives after all (and is synced): now the meeting confirms itself, and
    # the unsent question about where to meet leaves the mailbox.
    world.sandbox.google.finish_conference(done.provider_event_id)
    world.sync()
    assert sorted(_settle(world)) == ["delete_draft", "send_confirmation"]
    [text] = _confirmations(world)
    assert "Here is the link to join: https://meet.google.com/" in text
    assert _asks(world) == []

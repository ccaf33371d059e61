"""Confirmations on the sandbox: an invitation is confirmed once the user accepts it, with
its call link; a meeting without place or link gets a draft asking where, and is
confirmed by itself once the event says where; status says what waits for the user."""

from __future__ import annotations

from datetime import timedelta

from tests.worker.world import World
from worker.services.history import sentences
from worker.services.status import status

ADA = "ada@example.org"


def _settle(world: World) -> list[str]:
    kinds: list[str] = []
    for action in world.due():
        world.runtime.perform(action.to_message())
        kinds.append(action.kind)
    return kinds


def _settling(world: World) -> list[str]:
    return [m["sentence"] for m in status(world.app, None)["meetings_to_settle"]]


def _confirmations(world: World) -> list[str]:
    return [m["text"] for m in world.mail()["sent"] if "Just confirming" in m["text"]]


def test_an_invitation_is_confirmed_once_accepted_with_its_link(world: World) -> None:
    world.outreach_sent("Ada Lovelace", ADA, how_we_know="met at PyCon")
    world.reply(ADA)
    event = world.invite(ADA, world.clock.now() + timedelta(days=3), meet=True, accept=False)
    assert _settling(world) == [
        "Ada Lovelace invited you: accept it in your calendar, then it is confirmed"
    ]
    world.later(days=2)  # the day before: a confirmation would be due by now
    assert "send_confirmation" not in _settle(world)
    assert _confirmations(world) == []

    world.accept(event)
    world.sync()
    assert _settling(world) == []
    assert "send_confirmation" in _settle(world)
    [text] = _confirmations(world)
    assert "Here is the link to join: https://meet.google.com/" in text
    assert "for 30 minutes" in text
    assert "If anything changes, just let me know." in text


def test_a_meeting_without_a_place_gets_a_draft_asking_where(world: World) -> None:
    world.outreach_sent("Ada Lovelace", ADA, how_we_know="met at PyCon")
    world.reply(ADA)
    event = world.invite(ADA, world.clock.now() + timedelta(days=3), place="")
    assert "draft_confirmation_ask" in _settle(world)
    [ask] = [d for d in world.drafts() if d.kind == "confirmation_ask"]
    assert ask.findings == []
    [mailed] = [d for d in world.mail()["drafts"] if d["headers"]["To"] == ADA]
    assert "Where would suit you best?" in mailed["text"]
    assert _settling(world) == [
        "the meeting with Ada Lovelace has no place or call link: a draft asks where "
        "(or add the place to the calendar event)"
    ]
    world.later(days=2)
    later = _settle(world)  # nothing confirmed blind, and asked once
    assert "send_confirmation" not in later
    assert "draft_confirmation_ask" not in later
    assert _confirmations(world) == []

    # Ada answers with a place and puts it in the event: now it confirms itself, and the
    # question about where, never sent, leaves the mailbox (sent, it would ask again).
    world.sandbox.google.set_place(event, "the British Library café, 96 Euston Road")
    world.sync()
    assert _settling(world) == []
    assert {"send_confirmation", "delete_draft"} <= set(_settle(world))
    [text] = _confirmations(world)
    assert "We will meet at the British Library café, 96 Euston Road." in text
    assert [d for d in world.mail()["drafts"] if d["headers"]["To"] == ADA] == []
    said = [s["sentence"] for s in sentences(world.book, world.book.history(world.contact(ADA)))]
    assert (
        "a draft was dropped: no need to ask where any more, the meeting has its place or link"
        in said
    )

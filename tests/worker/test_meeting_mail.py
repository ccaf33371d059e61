"""Meeting mail is not conversation: an invitation from a contact (and its "Invitation:"
mail) books a meeting through the calendar, and is never counted as their reply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.worlds import ADA, MEETING_AT, FaultWorld, open_world, set_the_scene
from tests.faults.worlds import _trust_only_given_ca as _trust_only_given_ca


@pytest.fixture(params=["google", "outlook"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FaultWorld]:
    yield from open_world(request.param, tmp_path)


def test_an_invitation_mail_books_a_meeting_and_is_no_reply(world: FaultWorld) -> None:
    set_the_scene(world)
    inbox = world.inbox_count()
    world.contact_invites(ADA, MEETING_AT)  # the event, and the invitation mail
    world.sync()
    assert world.inbox_count() == inbox + 1
    ada = world.contact(ADA)
    assert [e["start"] for e in world.events("meeting.scheduled")] == [MEETING_AT]
    assert world.events("reply.received") == []
    assert ada.replied_at is None
    assert ada.auto_replied_at is None
    assert ada.stage == "scheduled"
    # A real answer in the thread still counts, once.
    world.contact_replies(ADA)
    world.sync()
    assert [e["kind"] for e in world.events("reply.received")] == ["reply"]
    assert world.contact(ADA).replied_at is not None

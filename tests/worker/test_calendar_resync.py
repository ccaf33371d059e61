"""A calendar sync token that Google no longer honours (410 fullSyncRequired) must not
hide what happened meanwhile: a meeting deleted then is cancelled, never confirmed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from events.projections.accounts import AccountRow
from events.projections.meetings import MeetingRow
from integrations.google.provider import GmailProvider
from integrations.protocol import Provider
from tests.worker.world import ACCOUNT, World

ADA = "ada@example.org"


class CalendarWorld(World):
    """The world with a provider on the story's clock: a full calendar re-list asks for a
    window around "now", which must be the story's now."""

    def provider_for(self, _account: AccountRow) -> Provider:
        if not hasattr(self._local, "provider"):
            self._local.provider = GmailProvider.from_sandbox(
                self.endpoints, account_id=ACCOUNT, clock=self.sandbox.clock.now
            )
            self._opened.append(self._local.provider)
        provider: Provider = self._local.provider
        return provider


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = CalendarWorld(tmp_path)
    try:
        yield w
    finally:
        w.close()


def test_a_meeting_deleted_while_the_sync_token_was_stale_is_cancelled_not_confirmed(
    world: World,
) -> None:
    world.outreach_sent("Ada Lovelace", ADA)
    world.reply(ADA)
    event_id = world.invite(ADA, world.clock.now() + timedelta(days=3))
    assert [m["meeting_id"] for m in world.events("meeting.scheduled")] != []
    # Ada deletes the meeting while Google has stopped honouring the worker's sync token:
    # the next sync meets 410 fullSyncRequired and lists the calendar again.
    world.later(hours=1)
    world.sandbox.google.expire_sync_tokens()
    world.sandbox.google.cancel_event(event_id)
    world.sync()
    assert [m["by"] for m in world.events("meeting.cancelled")] == ["contact"]
    world.app.projector.catch_up()
    [meeting] = world.app.projector.rows(MeetingRow)
    assert meeting.status == "cancelled"
    # Nothing confirms the meeting that is gone, up to its very hour.
    for _ in range(3 * 24 - 2):
        world.later(hours=1)
        assert world.due("send_confirmation") == []

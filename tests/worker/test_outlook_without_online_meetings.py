"""An Outlook calendar that makes no online meetings (a personal account without Teams):
a meeting scheduled as a video call is still invited to, with no call link made up, and
the worker drafts a note asking the contact where instead of confirming a call that has
no link."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from events.projections.meetings import MeetingRow
from tests.faults.worlds import FaultWorld, OutlookFaultWorld, open_world
from tests.faults.worlds import _trust_only_given_ca as _trust_only_given_ca
from worker.services.invitations import invite, plan, scheduling_account

ADA = "ada@analytical.example"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[FaultWorld]:
    yield from open_world("outlook", tmp_path)


def test_a_video_call_without_online_meetings_gets_a_draft_asking_where(
    world: FaultWorld,
) -> None:
    w = world
    assert isinstance(w, OutlookFaultWorld)
    w.emulator.set_online_meeting_providers(["unknown"])
    w.outreach_sent("Ada Lovelace", ADA)
    w.contact_replies(ADA)
    w.sync()
    person, request = plan(w.app, ADA, "2026-03-05 15:00", minutes=30)
    assert request.video_call  # the default place: a video call, its link to come
    account = scheduling_account(w.app)
    done = invite(w.app, w.provider_for(account), account, person, request)
    assert done.link == ""
    [event] = [e for e in w.emulator.state()["events"] if e["id"] == done.provider_event_id]
    assert [a["address"] for a in event["attendees"]] == [ADA]  # invited all the same
    w.app.projector.catch_up()
    [meeting] = w.app.projector.rows(MeetingRow)
    assert (meeting.place or "", meeting.link or "") == ("", "")

    w.perform("draft_confirmation_ask")
    [ask] = [d for d in w.drafts() if d.kind == "confirmation_ask"]
    held = w.provider_for(account).read_draft(ask.provider_draft_id)
    assert held is not None
    assert "Where would suit you best?" in held.body
    w.later(days=2)  # the day before: a confirmation would be due by now
    later = [a.kind for a in w.due()]
    assert "send_confirmation" not in later  # nothing confirmed without a place or link
    assert "draft_confirmation_ask" not in later  # and asked once

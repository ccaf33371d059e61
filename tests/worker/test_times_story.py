"""From "happy to talk" to a meeting on the sandbox: the reply draft offering three free
times, the contact's pick read, the invitation approved, the confirmation the day before;
a time booked elsewhere between offer and answer is withdrawn."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from events.projections.accounts import AccountRow
from events.projections.meetings import MeetingRow
from tests.worker.world import ZONE, World
from worker.services.invitations import invite, plan_offered, still_free

ADA = "ada@analytical.example"
BOB = "bob@babbage.example"
LONDON = ZoneInfo(ZONE)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


def offered(w: World, email: str) -> list[datetime]:
    cid = w.contact(email).contact_id
    [offer] = [e for e in w.events("times.offered") if e["contact_id"] == cid]
    return [datetime.fromisoformat(s) for s in offer["starts"]]


def test_a_reply_gets_three_free_times_and_the_pick_becomes_a_confirmed_meeting(
    world: World,
) -> None:
    w = world
    dentist = datetime(2026, 3, 3, 9, 0, tzinfo=LONDON)
    w.sandbox.google.user_adds_event(
        summary="Dentist", start=dentist, end=dentist + timedelta(hours=3)
    )
    w.outreach_sent("Ada Lovelace", ADA)
    w.later(hours=1)
    w.reply(ADA, "Happy to talk! When suits you?")

    w.perform("draft_times")
    starts = offered(w, ADA)
    assert len(starts) == 3
    assert len({s.astimezone(LONDON).date() for s in starts}) == 3
    for s in starts:
        local = s.astimezone(LONDON)
        assert 9 <= local.hour < 17
        assert not dentist - timedelta(minutes=45) < s < dentist + timedelta(hours=3, minutes=15)
    [draft] = [d for d in w.drafts() if d.kind == "propose_times"]
    [text] = [m for m in w.mail()["drafts"] if m["headers"]["Message-ID"] == draft.message_id]
    # A reply in the conversation: it answers their message under the same subject.
    assert text["headers"]["In-Reply-To"] == w.contact(ADA).last_message_id
    assert text["headers"]["Subject"].startswith("Re: ")
    body = str(text["text"])
    assert "or suggest another time that suits you" in body.lower()
    second = starts[1].astimezone(LONDON)
    assert f"{second:%-d} " in body
    assert f"{second:%B}" in body

    w.user_sends(draft)
    # Between offer and answer the user books the third time for something else.
    third = starts[2]
    w.sandbox.google.user_adds_event(
        summary="Team lunch", start=third, end=third + timedelta(hours=1)
    )
    w.later(hours=2)
    w.reply(ADA, "The second one works for me. Looking forward to it!")
    w.perform("read_times_answer")
    [answer] = w.events("times.answered")
    assert (answer["outcome"], answer["choice"]) == ("chosen", 2)

    # One-step approval: `outreach schedule ada --offered 2`.
    [account] = w.app.projector.rows(AccountRow)
    provider = w.provider_for(account)
    person, request = plan_offered(w.app, ADA, 2)
    assert request.start == starts[1]
    assert still_free(w.app, provider, request)
    done = invite(w.app, provider, account, person, request)
    [event] = [
        e for e in w.sandbox.google.calendar_state()["events"] if e["id"] == done.provider_event_id
    ]
    assert ADA in [a["email"] for a in event.get("attendees", [])]
    w.sync()
    # The default place is a video call: the calendar made it, and its link is where.
    w.app.projector.catch_up()
    [booked] = [
        m for m in w.app.projector.rows(MeetingRow) if m.contact_id == w.contact(ADA).contact_id
    ]
    assert (booked.link or "").startswith("https://meet.google.com/")
    assert booked.user_response == "accepted"  # the user organizes it: accepted already

    w.at(starts[1] - timedelta(hours=24))
    w.perform("send_confirmation")
    [confirmed] = w.events("meeting.confirmed")
    [meeting] = [
        m for m in w.app.projector.rows(MeetingRow) if m.contact_id == w.contact(ADA).contact_id
    ]
    assert confirmed["meeting_id"] == meeting.meeting_id

    # The third time, booked elsewhere, is withdrawn: asking for it is refused.
    _, late = plan_offered(w.app, ADA, 3)
    assert not still_free(w.app, provider, late)

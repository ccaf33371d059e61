"""From "happy to talk" to a meeting on the sandbox, on Gmail and on Outlook: the reply
draft offering three free times, the contact's pick read, the invitation approved, the
confirmation the day before; a time booked elsewhere between offer and answer is withdrawn."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from tests.faults.worlds import FaultWorld, OutlookFaultWorld, open_world
from tests.faults.worlds import _trust_only_given_ca as _trust_only_given_ca
from tests.worker.world import ZONE
from worker.services.invitations import invite, plan_offered, still_free

ADA = "ada@analytical.example"
LONDON = ZoneInfo(ZONE)


@pytest.fixture(params=["google", "outlook"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FaultWorld]:
    yield from open_world(request.param, tmp_path)


# --- the far end, per provider: the user's calendar and the contact's mail -------------


def user_adds_event(w: FaultWorld, summary: str, start: datetime, end: datetime) -> None:
    if isinstance(w, OutlookFaultWorld):
        w.emulator.user_adds_event(summary, start, end)
    else:
        w.sandbox.google.user_adds_event(summary=summary, start=start, end=end)


def contact_replies(w: FaultWorld, email: str, body: str) -> None:
    last = w.contact(email).last_message_id
    assert last, f"nothing sent to {email}"
    if isinstance(w, OutlookFaultWorld):
        w.emulator.deliver_reply(last, body)
    else:
        w.sandbox.google.deliver_reply(to_message=last, body=body)
    w.sync()


def in_the_thread(w: FaultWorld, draft: DraftRow, email: str) -> bool:
    """The draft answers the contact's message in their conversation."""
    contact = w.contact(email)
    if isinstance(w, OutlookFaultWorld):
        [held] = [d for d in w.emulator.state()["drafts"] if d["id"] == draft.provider_draft_id]
        return bool(held["conversationId"]) and held["conversationId"] == contact.thread_id
    [text] = [m for m in w.mail()["drafts"] if m["headers"]["Message-ID"] == draft.message_id]
    return bool(text["headers"]["In-Reply-To"] == contact.last_message_id)


def attendees(w: FaultWorld, event_id: str) -> list[str]:
    if isinstance(w, OutlookFaultWorld):
        [event] = [e for e in w.emulator.state()["events"] if e["id"] == event_id]
        return [str(a["address"]) for a in event["attendees"]]
    [event] = [e for e in w.sandbox.google.calendar_state()["events"] if e["id"] == event_id]
    return [str(a["email"]) for a in event.get("attendees", [])]


def offered(w: FaultWorld, email: str) -> list[datetime]:
    cid = w.contact(email).contact_id
    [offer] = [e for e in w.events("times.offered") if e["contact_id"] == cid]
    return [datetime.fromisoformat(s) for s in offer["starts"]]


def test_a_reply_gets_three_free_times_and_the_pick_becomes_a_confirmed_meeting(
    world: FaultWorld,
) -> None:
    w = world
    dentist = datetime(2026, 3, 3, 9, 0, tzinfo=LONDON)
    user_adds_event(w, "Dentist", dentist, dentist + timedelta(hours=3))
    w.outreach_sent("Ada Lovelace", ADA)
    w.later(hours=1)
    contact_replies(w, ADA, "Happy to talk! When suits you?")

    w.perform("draft_times")
    starts = offered(w, ADA)
    assert len(starts) == 3
    assert len({s.astimezone(LONDON).date() for s in starts}) == 3
    for s in starts:
        local = s.astimezone(LONDON)
        assert 9 <= local.hour < 17
        assert not dentist - timedelta(minutes=45) < s < dentist + timedelta(hours=3, minutes=15)
    [draft] = [d for d in w.drafts() if d.kind == "propose_times"]
    [account] = w.app.projector.rows(AccountRow)
    provider = w.provider_for(account)
    # A reply in the conversation: it answers their message under the same subject.
    assert in_the_thread(w, draft, ADA)
    held = provider.read_draft(draft.provider_draft_id)
    assert held is not None
    assert held.subject.startswith("Re: ")
    assert "or suggest another time that suits you" in held.body.lower()
    second = starts[1].astimezone(LONDON)
    assert f"{second:%-d} " in held.body
    assert f"{second:%B}" in held.body

    w.user_sends(draft)
    # Between offer and answer the user books the third time for something else.
    third = starts[2]
    user_adds_event(w, "Team lunch", third, third + timedelta(hours=1))
    w.later(hours=2)
    contact_replies(w, ADA, "The second one works for me. Looking forward to it!")
    w.perform("read_times_answer")
    [answer] = w.events("times.answered")
    assert (answer["outcome"], answer["choice"]) == ("chosen", 2)

    # One-step approval: `outreach schedule ada --offered 2`.
    person, request = plan_offered(w.app, ADA, 2)
    assert request.start == starts[1]
    assert still_free(w.app, provider, request)
    done = invite(w.app, provider, account, person, request)
    assert ADA in attendees(w, done.provider_event_id)
    assert done.calendar_link.startswith("https://")
    # The default place is a video call: the calendar made it, and its link is where,
    # on record at once (no sync needed before the confirmation can say where).
    [booked] = [
        m for m in w.app.projector.rows(MeetingRow) if m.contact_id == w.contact(ADA).contact_id
    ]
    assert (booked.link or "").startswith("https://")
    assert booked.link == done.link
    assert booked.user_response == "accepted"  # the user organizes it: accepted already
    w.sync()
    w.app.projector.catch_up()
    assert w.events("meeting.details_changed") == []  # the sync saw what was recorded

    w.at(starts[1] - timedelta(hours=24))
    w.perform("send_confirmation")
    [confirmed] = w.events("meeting.confirmed")
    assert confirmed["meeting_id"] == booked.meeting_id

    # The third time, booked elsewhere, is withdrawn: asking for it is refused.
    _, late = plan_offered(w.app, ADA, 3)
    assert not still_free(w.app, provider, late)


def test_a_time_booked_elsewhere_before_they_answer_is_withdrawn(world: FaultWorld) -> None:
    w = world
    w.outreach_sent("Ada Lovelace", ADA)
    contact_replies(w, ADA, "Happy to talk!")
    w.perform("draft_times")
    [draft] = [d for d in w.drafts() if d.kind == "propose_times"]
    w.user_sends(draft)
    first = offered(w, ADA)[0]
    user_adds_event(w, "Board meeting", first - timedelta(minutes=30), first + timedelta(hours=1))
    w.later(hours=3)
    contact_replies(w, ADA, "The first one is perfect.")
    w.perform("read_times_answer")
    [answer] = w.events("times.answered")
    # Their pick is read, but it is no longer free: nothing is prepared to invite them.
    assert (answer["outcome"], answer["choice"]) == ("taken", 1)
    [account] = w.app.projector.rows(AccountRow)
    _, request = plan_offered(w.app, ADA, 1)
    assert not still_free(w.app, w.provider_for(account), request)

"""A time zone set for a contact (`contacts edit --zone`): the times offered to them are
found inside their daytime and written in their zone with the user's beside it, and the
confirmation of the meeting they chose says its time the same way, though the event was
written in the user's zone. The texts are golden (tests/golden/), as the reader gets them.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from events.projections.meetings import MeetingRow
from tests.worker.world import ZONE, World
from worker.domain.etiquette import check
from worker.services.contacts import ContactChanges
from worker.services.invitations import invite, plan_offered, scheduling_account

#: Beside the rendering goldens (one file per case of test_messages_golden), these come
#: from a whole story: the mailbox's own copies.
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "stories"
ADA = "ada@analytical.example"
NEW_YORK = "America/New_York"


def golden(name: str, kind: str, subject: str, body: str) -> None:
    """The text is as approved, and passes the checks every message passes."""
    text = f"Subject: {subject}\n\n{body}"
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("OUTREACH_WRITE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert check(kind, subject, body, user_name="Sam Rivera") == []


def in_mailbox(w: World, box: str, message_id: str) -> tuple[str, str]:
    """The subject and text of our message as the mailbox holds it."""
    [held] = [m for m in w.mail()[box] if m["headers"]["Message-ID"] == message_id]
    return str(held["headers"]["Subject"]), str(held["text"]).replace("\r\n", "\n")


def test_times_and_the_confirmation_are_written_in_the_zone_set_for_them(world: World) -> None:
    w = world
    w.outreach_sent("Ada Lovelace", ADA)
    w.book.edit(ADA, ContactChanges(time_zone=NEW_YORK))
    w.reply(ADA, "Happy to talk! When suits you?")

    w.perform("draft_times")
    [offer] = w.events("times.offered")
    assert offer["contact_time_zone"] == NEW_YORK
    starts = [datetime.fromisoformat(s) for s in offer["starts"]]
    for s in starts:  # inside the meeting hours in both zones
        assert 9 <= s.astimezone(ZoneInfo(NEW_YORK)).hour < 17
        assert 9 <= s.astimezone(ZoneInfo(ZONE)).hour < 17
    [draft] = [d for d in w.drafts() if d.kind == "propose_times"]
    subject, body = in_mailbox(w, "drafts", draft.message_id)
    # Theirs first, as they read it, and the user's beside it (not the user's alone).
    assert "your time (14:00 GMT for me)" in body
    golden("propose-times-zone-set", "propose_times", subject, body)

    w.user_sends(draft)
    w.later(hours=2)
    w.reply(ADA, "The second one works for me.")
    w.perform("read_times_answer")
    person, request = plan_offered(w.app, ADA, 2)
    account = scheduling_account(w.app)
    invite(w.app, w.provider_for(account), account, person, request)
    [meeting] = w.app.projector.rows(MeetingRow)
    assert meeting.time_zone == ZONE  # the event is the user's: only the wording is theirs

    w.at(starts[1] - timedelta(hours=24))
    w.perform("send_confirmation")
    [confirmed] = w.events("meeting.confirmed")
    subject, body = in_mailbox(w, "sent", confirmed["message_id"])
    assert "your time (14:00 GMT for me)" in body
    # The call's link comes from the event's id, which names the contact's random id.
    assert meeting.link
    assert f"to join: {meeting.link}\n" in body
    body = body.replace(meeting.link, "https://meet.google.com/abc-defg-hij")
    golden("confirmation-zone-set", "confirmation", subject, body)

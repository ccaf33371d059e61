"""Confirmations across zones whose send windows never overlap: New York and Singapore in
July are twelve hours apart, so 8-20 in both never holds at once. The reader's window
wins (never their night); the user's gives way."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from worker.domain.policies.confirmations import confirmation_time, due_confirmations
from worker.domain.policies.next_due import meeting_due_at
from worker.domain.policies.snapshot import Snapshot
from worker.domain.settings import Policy

NEW_YORK = Policy(time_zone="America/New_York")
UTC = ZoneInfo("UTC")


def _meeting(zone: str, start: datetime, **extra: Any) -> MeetingRow:
    return MeetingRow(
        meeting_id="m",
        contact_id="c",
        start=start.isoformat(),
        end=start.replace(minute=30).isoformat(),
        time_zone=zone,
        place="Lau Pa Sat, 18 Raffles Quay",
        scheduled_at="2026-07-01T00:00:00+00:00",
        status_at="2026-07-01T00:00:00+00:00",
        **extra,
    )


def test_zones_twelve_hours_apart_still_get_a_confirmation_in_the_readers_day() -> None:
    # Friday 10 July 2026, 10:00 in Singapore (22:00 Thursday in New York).
    start = datetime(2026, 7, 10, 2, 0, tzinfo=UTC)
    at = confirmation_time(_meeting("Asia/Singapore", start), NEW_YORK)
    assert at is not None
    theirs = at.astimezone(ZoneInfo("Asia/Singapore"))
    assert 8 <= theirs.hour < 20  # never the reader's night
    assert at <= start


def test_zones_that_share_a_window_keep_both() -> None:
    # London and New York share 13:00-20:00 London time: the user's window still holds.
    start = datetime(2026, 7, 10, 15, 0, tzinfo=UTC)
    at = confirmation_time(_meeting("Europe/London", start), NEW_YORK)
    assert at is not None
    assert 8 <= at.astimezone(ZoneInfo("America/New_York")).hour < 20
    assert 8 <= at.astimezone(ZoneInfo("Europe/London")).hour < 20


def test_an_invitation_not_accepted_is_not_confirmed_and_no_place_asks() -> None:
    start = datetime(2026, 7, 10, 15, 0, tzinfo=UTC)
    now = datetime(2026, 7, 9, 15, 0, tzinfo=UTC)
    waiting = _meeting("Europe/London", start, user_response="needsAction")
    assert due_confirmations(Snapshot(meetings={"m": waiting}), now, NEW_YORK) == []
    nowhere = _meeting("Europe/London", start)
    nowhere.place = None
    [ask] = due_confirmations(Snapshot(meetings={"m": nowhere}), now, NEW_YORK)
    assert (ask.kind, ask.due_at) == ("draft_confirmation_ask", now)


def test_a_zone_set_for_the_contact_keeps_the_confirmation_out_of_their_night() -> None:
    """The user in New York invited in their own zone; the contact's zone, set by the user
    (Singapore), is the reader's: the send window holds there, as the wording says."""
    start = datetime(2026, 7, 10, 2, 0, tzinfo=UTC)  # 10:00 Friday in Singapore
    meeting = _meeting("America/New_York", start)
    unset = confirmation_time(meeting, NEW_YORK)
    assert unset is not None
    assert not 8 <= unset.astimezone(ZoneInfo("Asia/Singapore")).hour < 20  # their night

    contact = ContactRow(contact_id="c", time_zone="Asia/Singapore")
    snapshot = Snapshot(contacts={"c": contact}, meetings={"m": meeting})
    at = confirmation_time(meeting, NEW_YORK, "Asia/Singapore")
    assert at is not None
    assert 8 <= at.astimezone(ZoneInfo("Asia/Singapore")).hour < 20
    # The tick finds it due then, and the due index dates the meeting at that moment.
    assert due_confirmations(snapshot, at.replace(minute=0) - timedelta(hours=1), NEW_YORK) == []
    [due] = due_confirmations(snapshot, at, NEW_YORK)
    assert (due.kind, due.due_at) == ("send_confirmation", at)
    assert meeting_due_at(meeting, snapshot, NEW_YORK) == at

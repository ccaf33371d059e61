"""Confirmations: a day ahead, in the send window of both zones, late when still useful."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from events.projections.meetings import MeetingStatus
from tests.worker.domain.policies.builders import iso, meeting, snapshot
from worker.domain.policies.confirmations import confirmation_time, due_confirmations
from worker.domain.settings import Policy

BERLIN = ZoneInfo("Europe/Berlin")
POLICY = Policy(time_zone="Europe/Berlin")


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def test_confirmation_goes_24_hours_before() -> None:
    m = meeting("m1", berlin(2026, 3, 10, 15), berlin(2026, 3, 10, 15, 30), berlin(2026, 3, 2, 9))
    assert confirmation_time(m, POLICY) == berlin(2026, 3, 9, 15)
    assert due_confirmations(snapshot(meetings=[m]), berlin(2026, 3, 9, 14, 59), POLICY) == []
    [action] = due_confirmations(snapshot(meetings=[m]), berlin(2026, 3, 9, 15), POLICY)
    assert action.kind == "send_confirmation"
    assert action.for_start == berlin(2026, 3, 10, 15)


def test_early_morning_meeting_is_confirmed_an_hour_before_the_previous_window_ends() -> None:
    # 24 h before a 07:30 meeting is 07:30: night. The previous window ends at 20:00; the
    # confirmation leaves an hour of it to try again (not its last minute: a send failing
    # then would wait for 08:00, within 2 hours of the meeting, and be skipped).
    m = meeting("m1", berlin(2026, 3, 10, 7, 30), berlin(2026, 3, 10, 8), berlin(2026, 3, 2, 9))
    at = confirmation_time(m, POLICY)
    assert at is not None
    assert at.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M") == "2026-03-08 19:00"


def test_a_short_shared_window_still_leaves_an_hour_to_try_again() -> None:
    # London and Tokyo share 08:00-11:00 UTC in March. A day before a Sunday 10:00 meeting
    # in Tokyo (01:00 UTC) is night in both: the confirmation goes on the Friday at 10:00
    # UTC, an hour before the shared window closes, not at 10:59 (a worker ticking
    # hourly never reached that minute, and a failure then waited for the next day's).
    london = Policy(time_zone="Europe/London")
    start = datetime(2026, 3, 15, 1, 0, tzinfo=UTC)
    booked = datetime(2026, 3, 11, 15, 0, tzinfo=UTC)
    m = meeting("m1", start, start + timedelta(minutes=30), booked, time_zone="Asia/Tokyo")
    assert confirmation_time(m, london) == datetime(2026, 3, 13, 10, 0, tzinfo=UTC)
    [action] = due_confirmations(
        snapshot(meetings=[m]), datetime(2026, 3, 13, 10, tzinfo=UTC), london
    )
    assert action.kind == "send_confirmation"


def test_dst_change_keeps_local_wall_time() -> None:
    # Europe switches to summer time on 2026-03-29: 09:00 on the 30th is 07:00 UTC, and
    # 24 hours before is 07:00 UTC on the 29th = 09:00 CEST.
    m = meeting("m1", berlin(2026, 3, 30, 9), berlin(2026, 3, 30, 9, 30), berlin(2026, 3, 20, 9))
    at = confirmation_time(m, POLICY)
    assert at == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert at.astimezone(BERLIN).hour == 9


def test_meeting_booked_hours_ahead_is_confirmed_right_away() -> None:
    booked = berlin(2026, 3, 9, 10)
    m = meeting("m1", berlin(2026, 3, 9, 16), berlin(2026, 3, 9, 16, 30), booked)
    [action] = due_confirmations(snapshot(meetings=[m]), booked, POLICY)
    assert action.due_at == booked


def test_meeting_booked_within_two_hours_is_skipped_with_a_reason() -> None:
    booked = berlin(2026, 3, 9, 10)
    m = meeting("m1", berlin(2026, 3, 9, 11, 30), berlin(2026, 3, 9, 12), booked)
    [action] = due_confirmations(snapshot(meetings=[m]), booked, POLICY)
    assert action.kind == "skip"
    assert "2 hours" in (action.reason or "")
    # Once recorded as skipped, it is not skipped again.
    key = action.key.removeprefix("skip:")
    assert due_confirmations(snapshot(meetings=[m], skipped=frozenset({key})), booked, POLICY) == []


def test_booked_at_night_for_the_next_morning_waits_for_the_window() -> None:
    booked = berlin(2026, 3, 9, 22)
    m = meeting("m1", berlin(2026, 3, 10, 10, 30), berlin(2026, 3, 10, 11), booked)
    assert due_confirmations(snapshot(meetings=[m]), booked, POLICY) == []
    assert confirmation_time(m, POLICY) == berlin(2026, 3, 10, 8)
    [action] = due_confirmations(snapshot(meetings=[m]), berlin(2026, 3, 10, 8), POLICY)
    assert action.kind == "send_confirmation"


def test_reschedule_after_confirmation_needs_a_new_one() -> None:
    m = meeting("m1", berlin(2026, 3, 10, 15), berlin(2026, 3, 10, 15, 30), berlin(2026, 3, 2, 9))
    confirmed = replace(m, confirmed_for_start=m.start, confirmation_message_id="<x>")
    assert due_confirmations(snapshot(meetings=[confirmed]), berlin(2026, 3, 9, 16), POLICY) == []
    moved = replace(
        confirmed,
        start=iso(berlin(2026, 3, 12, 15)),
        end=iso(berlin(2026, 3, 12, 15, 30)),
        status_at=iso(berlin(2026, 3, 9, 17)),
        reschedules=1,
    )
    [action] = due_confirmations(snapshot(meetings=[moved]), berlin(2026, 3, 11, 15), POLICY)
    assert action.for_start == berlin(2026, 3, 12, 15)
    assert action.key != f"confirm:m1:{m.start}"


@pytest.mark.parametrize("status", ["cancelled", "declined", "met", "no_show"])
def test_no_confirmation_unless_scheduled(status: MeetingStatus) -> None:
    m = meeting("m1", berlin(2026, 3, 10, 15), berlin(2026, 3, 10, 15, 30), berlin(2026, 3, 2, 9))
    m = replace(m, status=status)
    assert due_confirmations(snapshot(meetings=[m]), berlin(2026, 3, 9, 16), POLICY) == []


def test_late_confirmation_is_sent_while_the_meeting_is_more_than_two_hours_away() -> None:
    m = meeting("m1", berlin(2026, 3, 10, 15), berlin(2026, 3, 10, 15, 30), berlin(2026, 3, 2, 9))
    [late] = due_confirmations(snapshot(meetings=[m]), berlin(2026, 3, 10, 9), POLICY)
    assert late.kind == "send_confirmation"
    [skip] = due_confirmations(snapshot(meetings=[m]), berlin(2026, 3, 10, 13, 30), POLICY)
    assert skip.kind == "skip"
    assert "within 2 hours" in (skip.reason or "")


def test_late_confirmation_at_night_waits_for_morning() -> None:
    m = meeting("m1", berlin(2026, 3, 10, 15), berlin(2026, 3, 10, 15, 30), berlin(2026, 3, 2, 9))
    assert due_confirmations(snapshot(meetings=[m]), berlin(2026, 3, 9, 23), POLICY) == []


def test_recipient_zone_is_respected_too() -> None:
    # User in Berlin, contact in Los Angeles: both windows overlap 17:00-20:00 Berlin.
    m = meeting(
        "m1",
        datetime(2026, 3, 10, 9, tzinfo=ZoneInfo("America/Los_Angeles")),
        datetime(2026, 3, 10, 9, 30, tzinfo=ZoneInfo("America/Los_Angeles")),
        berlin(2026, 3, 2, 9),
        time_zone="America/Los_Angeles",
    )
    at = confirmation_time(m, POLICY)
    assert at is not None
    assert 8 <= at.astimezone(ZoneInfo("America/Los_Angeles")).hour < 20
    assert 8 <= at.astimezone(BERLIN).hour < 20
    assert at <= datetime.fromisoformat(m.start) - timedelta(hours=24)

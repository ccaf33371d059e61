"""Finding the times to offer a contact: pure, on invented calendars."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from worker.domain.addresses import InvalidInput
from worker.domain.settings import Policy
from worker.domain.slots import BusyDay, Interval, find_slots

PARIS = "Europe/Paris"
POLICY = Policy(time_zone=PARIS)


def at(zone: str, y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local(slot: Interval, zone: str = PARIS) -> tuple[date, time, time]:
    z = ZoneInfo(zone)
    return (
        slot.start.astimezone(z).date(),
        slot.start.astimezone(z).time(),
        slot.end.astimezone(z).time(),
    )


# Monday 2 March 2026, 10:00 in Paris.
NOW = at(PARIS, 2026, 3, 2, 10)


def test_three_times_on_different_weekdays_inside_the_meeting_hours() -> None:
    offer = find_slots(NOW, POLICY, [])
    assert len(offer.slots) == 3
    assert offer.note == ""
    days = [local(s)[0] for s in offer.slots]
    assert len(set(days)) == 3
    for s in offer.slots:
        day, start, end = local(s)
        assert day.weekday() < 5
        assert time(9) <= start
        assert end <= time(17)
        assert s.end - s.start == timedelta(minutes=30)
        assert s.start >= NOW + timedelta(hours=18)
    # Nothing on the same afternoon the reply came in; the first is Tuesday.
    assert days[0] == date(2026, 3, 3)


def test_the_requested_length_is_offered() -> None:
    offer = find_slots(NOW, POLICY, [], minutes=45)
    assert all(s.end - s.start == timedelta(minutes=45) for s in offer.slots)


def test_busy_times_and_their_buffer_are_never_offered() -> None:
    busy = [
        # Tuesday: busy all day but 12:00-12:30 (free, yet within the 15-minute buffer).
        Interval(at(PARIS, 2026, 3, 3, 8), at(PARIS, 2026, 3, 3, 12)),
        Interval(at(PARIS, 2026, 3, 3, 12, 30), at(PARIS, 2026, 3, 3, 18)),
        # Wednesday: only 16:00-17:00 free.
        Interval(at(PARIS, 2026, 3, 4, 9), at(PARIS, 2026, 3, 4, 15, 45)),
    ]
    offer = find_slots(NOW, POLICY, busy)
    days = [local(s)[0] for s in offer.slots]
    assert date(2026, 3, 3) not in days
    assert days[0] == date(2026, 3, 4)
    assert local(offer.slots[0])[1] == time(16)
    for s in offer.slots:
        assert not any(s.overlaps(b, timedelta(minutes=15)) for b in busy)


def test_an_all_day_event_takes_the_whole_day_in_the_users_zone() -> None:
    offer = find_slots(NOW, POLICY, [BusyDay(date(2026, 3, 3), date(2026, 3, 4))])
    assert [local(s)[0] for s in offer.slots] == [
        date(2026, 3, 5),
        date(2026, 3, 6),
        date(2026, 3, 9),
    ]


def test_a_full_week_offers_the_next_free_days() -> None:
    week = Interval(at(PARIS, 2026, 3, 2, 0), at(PARIS, 2026, 3, 7, 0))
    offer = find_slots(NOW, POLICY, [week])
    assert [local(s)[0] for s in offer.slots] == [
        date(2026, 3, 9),
        date(2026, 3, 10),
        date(2026, 3, 11),
    ]


def test_a_fully_booked_fortnight_offers_nothing_rather_than_a_busy_time() -> None:
    fortnight = Interval(at(PARIS, 2026, 3, 2, 0), at(PARIS, 2026, 3, 21, 0))
    assert find_slots(NOW, POLICY, [fortnight]).slots == ()


def test_two_contacts_are_never_offered_the_same_time() -> None:
    # Only two free half hours a day: the second contact must get other ones.
    busy = []
    for d in range(2, 21):
        busy.append(Interval(at(PARIS, 2026, 3, d, 0), at(PARIS, 2026, 3, d, 10)))
        busy.append(Interval(at(PARIS, 2026, 3, d, 11, 30), at(PARIS, 2026, 3, d, 23)))
    first = find_slots(NOW, POLICY, busy)
    second = find_slots(NOW, POLICY, busy, held=first.slots)
    third = find_slots(NOW, POLICY, busy, held=[*first.slots, *second.slots])
    assert len(first.slots) == len(second.slots) == 3
    every = [*first.slots, *second.slots, *third.slots]
    for i, a in enumerate(every):
        for b in every[i + 1 :]:
            assert not a.overlaps(b)


def test_the_users_clock_change_keeps_the_local_hours() -> None:
    # Paris moves to summer time on Sunday 29 March 2026: 09:00 is 08:00 UTC before,
    # 07:00 UTC after. The hours stay 09:00-17:00 on the wall clock on both sides.
    now = at(PARIS, 2026, 3, 26, 12)
    offer = find_slots(now, POLICY, [])
    days = [local(s)[0] for s in offer.slots]
    assert days == [date(2026, 3, 27), date(2026, 3, 30), date(2026, 3, 31)]
    for s in offer.slots:
        _, start, end = local(s)
        assert time(9) <= start
        assert end <= time(17)
    assert local(offer.slots[0])[1] == time(10)
    assert offer.slots[0].start.hour == 9  # UTC+1
    assert local(offer.slots[1])[1] == time(14)
    assert offer.slots[1].start.hour == 12  # UTC+2


def test_a_wall_time_skipped_by_the_clock_change_is_never_offered() -> None:
    night = replace(
        POLICY, meeting_hours_start="01:00", meeting_hours_end="04:00", meeting_weekdays="sun"
    )
    offer = find_slots(at(PARIS, 2026, 3, 27, 12), night, [])
    first = offer.slots[0]
    assert local(first)[0] == date(2026, 3, 29)
    assert first.end - first.start == timedelta(minutes=30)
    assert not time(2) <= local(first)[1] < time(3)


def test_a_contact_in_another_zone_gets_times_in_both_daytimes() -> None:
    offer = find_slots(NOW, POLICY, [], contact_zone="America/New_York")
    assert offer.note == ""
    for s in offer.slots:
        assert time(9) <= local(s, "America/New_York")[1]
        assert local(s, "America/New_York")[2] <= time(17)
        assert time(9) <= local(s)[1]
        assert local(s)[2] <= time(17)


def test_the_contacts_clock_change_moves_the_shared_window() -> None:
    # New York moves to summer time on 8 March 2026, London only on 29 March: for three
    # weeks the two are four hours apart, not five, and 13:00 in London is 09:00 there.
    london = replace(POLICY, time_zone="Europe/London")
    before = find_slots(
        at("Europe/London", 2026, 3, 4, 9), london, [], contact_zone="America/New_York"
    )
    after = find_slots(
        at("Europe/London", 2026, 3, 11, 9), london, [], contact_zone="America/New_York"
    )
    assert local(before.slots[0], "Europe/London")[1] == time(14)
    assert local(after.slots[0], "Europe/London")[1] == time(13)
    assert local(after.slots[0], "America/New_York")[1] == time(9)


def test_a_contact_twelve_hours_away_gets_the_users_hours_with_a_note() -> None:
    # Auckland is on summer time in February: 12 hours ahead of Paris.
    now = at(PARIS, 2026, 2, 2, 10)
    offer = find_slots(now, POLICY, [], contact_zone="Pacific/Auckland")
    assert len(offer.slots) == 3
    assert "both time zones" in offer.note
    for s in offer.slots:
        assert time(9) <= local(s)[1]
        assert local(s)[2] <= time(17)


def test_meeting_hours_are_read_from_the_policy_or_refused_in_one_line() -> None:
    late = replace(POLICY, meeting_hours_start="13:00", meeting_hours_end="18:00")
    assert all(local(s)[1] >= time(13) for s in find_slots(NOW, late, []).slots)
    with pytest.raises(InvalidInput, match=r"meeting_hours_start: '9am'"):
        find_slots(NOW, replace(POLICY, meeting_hours_start="9am"), [])
    with pytest.raises(InvalidInput, match="meeting_weekdays: 'someday'"):
        find_slots(NOW, replace(POLICY, meeting_weekdays="mon,someday"), [])

"""Send windows: nothing goes out at night in the user's or the recipient's time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

STEP = timedelta(minutes=15)


def in_window(moment: datetime, zones: Sequence[str], start_hour: int, end_hour: int) -> bool:
    """Whether `moment` falls in [start_hour, end_hour) local time in every zone."""
    for zone in zones:
        local = moment.astimezone(ZoneInfo(zone))
        if not start_hour <= local.hour < end_hour:
            return False
    return True


def latest_in_window_before(
    moment: datetime,
    not_before: datetime,
    zones: Sequence[str],
    start_hour: int,
    end_hour: int,
) -> datetime | None:
    """The latest time at or before `moment` (and not before `not_before`) inside the
    window everywhere: "the end of the previous window" when `moment` is at night."""
    if in_window(moment, zones, start_hour, end_hour):
        return moment
    # Walk back on a quarter-hour grid; at most two days, which always crosses a window.
    candidate = moment.replace(second=0, microsecond=0)
    candidate -= timedelta(minutes=candidate.minute % 15)
    limit = max(not_before, moment - timedelta(days=2))
    while candidate >= limit:
        if in_window(candidate, zones, start_hour, end_hour):
            # The grid point opens a quarter hour still inside the window: send at its
            # last minute so the message goes as late as allowed, as close to `moment`.
            end = candidate + STEP - timedelta(minutes=1)
            return (
                end if in_window(end, zones, start_hour, end_hour) and end <= moment else candidate
            )
        candidate -= STEP
    return None


def latest_with_room(
    moment: datetime,
    not_before: datetime,
    zones: Sequence[str],
    start_hour: int,
    end_hour: int,
    room: timedelta,
) -> datetime | None:
    """The latest time at or before `moment` (and not before `not_before`) from which the
    window holds everywhere for `room` more, so that something planned there and failing
    can be tried again before the window closes; None when no such time lies in between.
    The window's ends are checked (its night is longer than any room asked for)."""

    def fits(candidate: datetime) -> bool:
        last = candidate + room - timedelta(minutes=1)
        return in_window(candidate, zones, start_hour, end_hour) and in_window(
            last, zones, start_hour, end_hour
        )

    if fits(moment):
        return moment
    candidate = moment.replace(second=0, microsecond=0)
    candidate -= timedelta(minutes=candidate.minute % 15)
    limit = max(not_before, moment - timedelta(days=2))
    while candidate >= limit:
        if fits(candidate):
            return candidate
        candidate -= STEP
    return None


def earliest_in_window_after(
    moment: datetime, zones: Sequence[str], start_hour: int, end_hour: int
) -> datetime | None:
    """The earliest time at or after `moment` inside the window everywhere (within two days)."""
    if in_window(moment, zones, start_hour, end_hour):
        return moment
    candidate = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    candidate += timedelta(minutes=(15 - candidate.minute % 15) % 15)
    limit = moment + timedelta(days=2)
    while candidate <= limit:
        if in_window(candidate, zones, start_hour, end_hour):
            return candidate
        candidate += STEP
    return None


def windows_overlap(
    zones: Sequence[str], start_hour: int, end_hour: int, *, around: datetime
) -> bool:
    """Whether the send window holds in every zone at once at some moment of the two days
    before `around` (zones 12 hours apart with an 8-20 window never share one)."""
    candidate = around.replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    while candidate <= around:
        if in_window(candidate, zones, start_hour, end_hour):
            return True
        candidate += STEP
    return False

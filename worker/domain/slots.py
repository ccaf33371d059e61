"""Finding meeting times to offer: free stretches of the user's calendar inside their meeting
hours, on different days, held for nobody else, and in the contact's daytime when possible.

Pure: the same busy times, offers, clock and policy always give the same three times.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from worker.domain.addresses import InvalidInput
from worker.domain.settings import Policy

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Offered times start on the hour or the half hour: people write times that way.
GRID = timedelta(minutes=30)
#: Two working weeks ahead, counted in the user's meeting days.
HORIZON_DAYS = 10
#: The time of day each offered slot leans to, in turn: a morning, an afternoon, a late
#: morning. Offering three times of one hour on three days helps nobody with a fixed habit.
PREFERRED = (time(10, 0), time(14, 0), time(11, 30))


@dataclass(frozen=True)
class Interval:
    """A stretch of time, start included, end excluded (aware datetimes)."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval, pad: timedelta = timedelta(0)) -> bool:
        return self.start < other.end + pad and other.start - pad < self.end


@dataclass(frozen=True)
class BusyDay:
    """An all-day event: whole days of the user's calendar, `last` included. Dates carry
    no zone; the calendar reads them in its owner's, so the user's zone decides."""

    first: date
    last: date


@dataclass(frozen=True)
class Offer:
    """Times found for one contact. `note` says why a time falls outside their daytime."""

    slots: tuple[Interval, ...]
    note: str = ""


@dataclass(frozen=True)
class Hours:
    """Meeting hours as read from the policy."""

    start: time
    end: time
    weekdays: frozenset[int]


def _clock_time(text: str, where: str) -> time:
    try:
        hours, _, minutes = text.strip().partition(":")
        return time(int(hours), int(minutes or 0))
    except ValueError:
        raise InvalidInput(f"[policy].{where}: {text!r} is not a time of day (use 09:00)") from None


def meeting_hours(policy: Policy) -> Hours:
    """The policy's meeting hours, or a one-line refusal naming the setting."""
    start = _clock_time(policy.meeting_hours_start, "meeting_hours_start")
    end = _clock_time(policy.meeting_hours_end, "meeting_hours_end")
    if end <= start:
        raise InvalidInput("[policy].meeting_hours_end: must be after meeting_hours_start")
    days: set[int] = set()
    for name in policy.meeting_weekdays.split(","):
        key = name.strip().lower()[:3]
        if key not in WEEKDAYS:
            raise InvalidInput(
                f"[policy].meeting_weekdays: {name.strip()!r} is not a weekday (use mon,tue,...)"
            )
        days.add(WEEKDAYS.index(key))
    return Hours(start, end, frozenset(days))


def _local(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """`day` at `at` in `zone` as a UTC instant, or None when that wall time does not exist
    there (the hour skipped when clocks go forward)."""
    moment = datetime.combine(day, at, zone)
    back = moment.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return None
    return moment.astimezone(UTC)


def _inside(slot: Interval, hours: Hours, zone: ZoneInfo) -> bool:
    """Whether `slot` lies within one meeting day's hours in `zone`."""
    start = slot.start.astimezone(zone)
    end = slot.end.astimezone(zone)
    return (
        start.weekday() in hours.weekdays
        and start.date() == end.date()
        and hours.start <= start.time()
        and end.time() <= hours.end
    )


def _busy_intervals(busy: Iterable[Interval | BusyDay], zone: ZoneInfo) -> list[Interval]:
    found: list[Interval] = []
    for item in busy:
        if isinstance(item, BusyDay):
            start = datetime.combine(item.first, time(0), zone).astimezone(UTC)
            end = datetime.combine(item.last + timedelta(days=1), time(0), zone).astimezone(UTC)
            found.append(Interval(start, end))
        else:
            found.append(item)
    return found


def _free(
    slot: Interval, busy: Sequence[Interval], held: Sequence[Interval], pad: timedelta
) -> bool:
    return not any(slot.overlaps(b, pad) for b in busy) and not any(
        slot.overlaps(h, pad) for h in held
    )


def find_slots(
    now: datetime,
    policy: Policy,
    busy: Iterable[Interval | BusyDay],
    held: Iterable[Interval] = (),
    *,
    minutes: int | None = None,
    contact_zone: str | None = None,
    count: int = 3,
) -> Offer:
    """Up to `count` times of `minutes` on different days within the next two working weeks.

    Parameters:
      now: the clock's time; nothing sooner than `policy.offer_notice_hours` is offered.
      busy: the user's calendar (timed events and all-day events) and their meetings.
      held: times offered to others and not expired: never offered twice.
      contact_zone: the contact's IANA zone when known. Times inside the meeting hours of
        both zones come first; when there are none, the user's hours are used and `note`
        says so.
    """
    length = timedelta(minutes=minutes or policy.meeting_minutes)
    hours = meeting_hours(policy)
    zone = ZoneInfo(policy.time_zone)
    theirs = ZoneInfo(contact_zone) if contact_zone and contact_zone != policy.time_zone else None
    pad = timedelta(minutes=policy.meeting_buffer_minutes)
    earliest = now + timedelta(hours=policy.offer_notice_hours)
    blocked = _busy_intervals(busy, zone)
    taken = list(held)

    days: list[list[Interval]] = []  # each meeting day's free candidates, in order
    day = now.astimezone(zone).date()
    while len(days) < HORIZON_DAYS:
        day += timedelta(days=1)
        if day.weekday() not in hours.weekdays:
            continue
        candidates: list[Interval] = []
        at = datetime.combine(day, hours.start)
        close = datetime.combine(day, hours.end)
        while at + length <= close:
            start = _local(day, at.time(), zone)
            if start is not None:
                slot = Interval(start, start + length)
                if start >= earliest and _free(slot, blocked, taken, pad):
                    candidates.append(slot)
            at += GRID
        days.append(candidates)

    if theirs is not None:
        both = [[s for s in cands if _inside(s, hours, theirs)] for cands in days]
        chosen = _pick(both, count, zone)
        if len(chosen) < count:
            used = set(chosen)
            others = [[] if i in used else cands for i, cands in enumerate(days)]
            rest = _pick(others, count - len(chosen), zone, after=len(chosen))
            if rest:
                note = (
                    "no time falls in the daytime of both time zones: these are in your hours"
                    if not chosen
                    else "some times fall outside their daytime"
                )
                every = sorted([*chosen.values(), *rest.values()], key=lambda s: s.start)
                return Offer(tuple(every), note)
        return Offer(tuple(chosen.values()))
    return Offer(tuple(_pick(days, count, zone).values()))


def _pick(
    days: Sequence[Sequence[Interval]], count: int, zone: ZoneInfo, *, after: int = 0
) -> dict[int, Interval]:
    """The first `count` days with a free time (by index), one time each, leaning to
    PREFERRED in the user's zone."""
    chosen: dict[int, Interval] = {}
    for index, cands in enumerate(days):
        if len(chosen) == count:
            break
        if not cands:
            continue
        lean = PREFERRED[(after + len(chosen)) % len(PREFERRED)]
        target = lean.hour * 60 + lean.minute

        def distance(slot: Interval, target: int = target) -> int:
            local = slot.start.astimezone(zone)
            return abs(local.hour * 60 + local.minute - target)

        chosen[index] = min(cands, key=distance)
    return chosen

"""Expansion of simple RRULEs (FREQ, INTERVAL, COUNT, UNTIL, weekly BYDAY) into start times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from integrations.sandbox.google.errors import bad_request

MAX_INSTANCES = 1000
_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")


def _shift(first: datetime, freq: str, n: int) -> datetime | None:
    """The n-th period after `first`; None for a month lacking that day (RFC 5545 skips it)."""
    if freq == "DAILY":
        return first + timedelta(days=n)
    if freq == "WEEKLY":
        return first + timedelta(weeks=n)
    months = n if freq == "MONTHLY" else 12 * n
    year, month = divmod(first.month - 1 + months, 12)
    try:
        return first.replace(year=first.year + year, month=month + 1)
    except ValueError:
        return None


def parse_rule(lines: list[str]) -> dict[str, str] | None:
    """The RRULE's parts from an event's `recurrence` lines (None when it has none)."""
    for line in lines:
        if line.upper().startswith("RRULE:"):
            parts = dict(p.split("=", 1) for p in line[6:].split(";") if "=" in p)
            if parts.get("FREQ", "").upper() not in _FREQS:
                raise bad_request(f"Invalid recurrence rule: {line}", reason="invalid")
            return {k.upper(): v.upper() for k, v in parts.items()}
    return None


def starts(first: datetime, rule: dict[str, str]) -> Iterator[datetime]:
    """Local start times of each occurrence, the first one included."""
    interval = int(rule.get("INTERVAL", "1"))
    count = int(rule["COUNT"]) if "COUNT" in rule else None
    until = _until(rule["UNTIL"], first) if "UNTIL" in rule else None
    by_day = [_DAYS.index(d[-2:]) for d in rule.get("BYDAY", "").split(",") if d[-2:] in _DAYS]
    emitted = 0
    period = 0
    while emitted < MAX_INSTANCES:
        base = _shift(first, rule["FREQ"], period * interval)
        period += 1
        if base is None:
            continue
        candidates = [base]
        if rule["FREQ"] == "WEEKLY" and by_day:
            monday = base - timedelta(days=base.weekday())
            candidates = sorted(monday + timedelta(days=d) for d in by_day)
        for start in candidates:
            if start < first:
                continue
            if until is not None and start > until:
                return
            yield start
            emitted += 1
            if (count is not None and emitted >= count) or emitted >= MAX_INSTANCES:
                return


def _until(value: str, first: datetime) -> datetime:
    try:
        if "T" in value:
            return datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        day = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise bad_request(f"Invalid UNTIL in recurrence rule: {value}") from None
    return (
        datetime.combine(day, first.timetz())
        if first.tzinfo
        else datetime.combine(day, first.time())
    )

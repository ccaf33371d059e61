"""The simulated clock every emulator reads instead of the wall clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class SimClock:
    """A thread-safe clock that only moves when told to.

    Parameters:
        start: the first reading (aware; naive values are taken as UTC). Defaults to the
            current wall-clock time, truncated to whole seconds so ids derived from it are stable.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._now = _aware(start) if start else datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        """The current simulated time, aware and in UTC."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward (or back, for a negative delta); return the new reading."""
        with self._lock:
            self._now = self._now + delta
            return self._now

    def set(self, dt: datetime) -> None:
        """Jump to an absolute time."""
        with self._lock:
            self._now = _aware(dt)


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)

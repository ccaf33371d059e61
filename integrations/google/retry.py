"""The per-account Gmail quota budget (backoff itself lives in integrations.retry)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from integrations.retry import Sleep

Clock = Callable[[], float]

# Gmail quota units per method (the pre-2026 table from Google's docs). Google changes
# these, so the table is a constructor argument; unlisted methods cost DEFAULT_COST.
GMAIL_COSTS: dict[str, int] = {
    "gmail.users.getProfile": 1,
    "gmail.users.history.list": 2,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.get": 5,
    "gmail.users.threads.get": 10,
    "gmail.users.drafts.list": 5,
    "gmail.users.drafts.get": 5,
    "gmail.users.drafts.create": 10,
    "gmail.users.drafts.update": 15,
    "gmail.users.drafts.delete": 10,
    "gmail.users.drafts.send": 100,
    "gmail.users.messages.send": 100,
}
DEFAULT_COST = 5
# Below the 6,000 units/user/minute of new projects, leaving room for the user's own mail
# client and for the other worker processes that may share the account.
GMAIL_UNITS_PER_MINUTE = 5_000
# Calendar counts requests, 600 per user per minute: every call costs one.
CALENDAR_REQUESTS_PER_MINUTE = 500


class QuotaBudget:
    """A token bucket of quota units per minute for one account.

    Spending more than is left waits (through `sleep`) until the bucket has refilled
    enough, so a big first sync paces itself instead of drawing 429s.

    Parameters:
        units_per_minute: the refill rate, and the bucket's size.
        costs: units per method id; unlisted methods cost `default_cost`.
        clock: monotonic seconds (tests pass a fake one).
        sleep: the sleep function; a fake one should advance the fake clock.
    """

    def __init__(
        self,
        units_per_minute: float = GMAIL_UNITS_PER_MINUTE,
        costs: Mapping[str, int] | None = None,
        *,
        default_cost: int = DEFAULT_COST,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if units_per_minute <= 0:
            raise ValueError("units_per_minute must be positive")
        self.rate = units_per_minute / 60.0
        self.size = float(units_per_minute)
        self.costs = dict(GMAIL_COSTS if costs is None else costs)
        self.default_cost = default_cost
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._level = self.size
        self._at = clock()
        self.waited = 0.0  # total seconds spent waiting, for tests and metrics

    @classmethod
    def for_calendar(
        cls, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> QuotaBudget:
        return cls(CALENDAR_REQUESTS_PER_MINUTE, {}, default_cost=1, clock=clock, sleep=sleep)

    def cost(self, method: str) -> int:
        return self.costs.get(method, self.default_cost)

    def spend(self, method: str) -> None:
        """Take the units `method` costs, waiting first if the bucket is short."""
        units = min(float(self.cost(method)), self.size)
        with self._lock:
            self._refill()
            short = units - self._level
            if short > 0:
                wait = short / self.rate
                self.sleep(wait)
                self.waited += wait
                self._refill()
                # A fake clock may not move with the fake sleep: never wait twice.
                self._level = max(self._level, units)
            self._level -= units

    def _refill(self) -> None:
        now = self.clock()
        self._level = min(self.size, self._level + (now - self._at) * self.rate)
        self._at = now

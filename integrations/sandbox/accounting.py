"""Request and quota-unit accounting per provider, account and operation."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

# Gmail's per-method quota units (the pre-2026 table from providers.md). Google changes
# these, so the table is a constructor argument; any method not listed costs
# DEFAULT_UNITS units (and every call counts as one request, whatever its cost).
GMAIL_COSTS: dict[str, int] = {
    "gmail.users.history.list": 2,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.get": 5,
    "gmail.users.drafts.create": 10,
    "gmail.users.drafts.update": 15,
    "gmail.users.drafts.send": 100,
    "gmail.users.messages.send": 100,
    "gmail.users.getProfile": 1,
}
DEFAULT_UNITS = 5

Key = tuple[str, str, str]


class Accounting:
    """Thread-safe counters of requests and quota units.

    Parameters:
        costs: quota units per operation name; defaults to GMAIL_COSTS.
        default_units: units charged for an operation missing from `costs`.
    """

    def __init__(self, costs: Mapping[str, int] | None = None, default_units: int = DEFAULT_UNITS):
        self._lock = threading.Lock()
        self.costs = dict(GMAIL_COSTS if costs is None else costs)
        self.default_units = default_units
        self._requests: Counter[Key] = Counter()
        self._units: Counter[Key] = Counter()

    def record(self, provider: str, account: str, method: str) -> None:
        """Count one call of `method` made for `account`."""
        key = (provider, account, method)
        with self._lock:
            self._requests[key] += 1
            self._units[key] += self.costs.get(method, self.default_units)

    def snapshot(self) -> dict[str, Any]:
        """All counters as JSON-ready data: {"calls": [{provider, account, method, requests,
        units}, ...], "requests": total, "units": total}."""
        with self._lock:
            calls = [
                {
                    "provider": p,
                    "account": a,
                    "method": m,
                    "requests": n,
                    "units": self._units[(p, a, m)],
                }
                for (p, a, m), n in sorted(self._requests.items())
            ]
        return {
            "calls": calls,
            "requests": sum(c["requests"] for c in calls),
            "units": sum(c["units"] for c in calls),
        }

    def total(
        self, provider: str | None = None, account: str | None = None, method: str | None = None
    ) -> int:
        """Requests matching every filter given."""
        return self._sum(self._requests, provider, account, method)

    def units(
        self, provider: str | None = None, account: str | None = None, method: str | None = None
    ) -> int:
        """Quota units matching every filter given."""
        return self._sum(self._units, provider, account, method)

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._requests.clear()
            self._units.clear()

    def _sum(
        self, counter: Counter[Key], provider: str | None, account: str | None, method: str | None
    ) -> int:
        wanted = (provider, account, method)
        with self._lock:
            return sum(
                n
                for key, n in counter.items()
                if all(w is None or w == k for w, k in zip(wanted, key, strict=True))
            )

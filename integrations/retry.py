"""Backoff with jitter that honours Retry-After, shared by every provider (injectable sleep)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from integrations.protocol import TransientProviderError

T = TypeVar("T")

Sleep = Callable[[float], None]


class Backoff:
    """Exponential backoff with full jitter, bounded in attempts and in any single wait.

    Parameters:
        attempts: tries in all, the first included.
        base: the first wait's upper bound in seconds; doubles each retry.
        cap: the largest wait we compute ourselves.
        max_wait: the longest Retry-After we sleep through; a longer one (Gmail's sending
            limits can last hours) is raised so the caller reschedules instead of holding
            a worker thread.
        sleep: the sleep function (tests pass a fake one).
        rng: the jitter source.
    """

    def __init__(
        self,
        *,
        attempts: int = 5,
        base: float = 1.0,
        cap: float = 32.0,
        max_wait: float = 120.0,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.attempts = attempts
        self.base = base
        self.cap = cap
        self.max_wait = max_wait
        self.sleep = sleep
        self.rng = rng or random.Random()

    def delay(self, retry: int, error: TransientProviderError) -> float:
        """How long to wait before retry number `retry` (0-based)."""
        if error.retry_after is not None:
            return error.retry_after
        return self.rng.uniform(0, min(self.cap, self.base * 2**retry))

    def run(
        self,
        attempt: Callable[[], T],
        *,
        recover: Callable[[], T | None] | None = None,
    ) -> T:
        """Call `attempt` until it succeeds, retrying TransientProviderError.

        `recover` runs before each retry of a non-idempotent call (a send): when it finds
        that the failed attempt took effect after all, its answer is returned instead.
        """
        for retry in range(self.attempts):
            try:
                return attempt()
            except TransientProviderError as error:
                wait = self.delay(retry, error)
                if retry + 1 >= self.attempts or wait > self.max_wait:
                    raise
                self.sleep(wait)
                if recover is not None:
                    found = recover()
                    if found is not None:
                        return found
        raise AssertionError("unreachable: the last attempt either returns or raises")


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (RFC 9110 10.2.3: delta-seconds or an HTTP
    date), or None when absent or unreadable. Google and Microsoft send either form."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())

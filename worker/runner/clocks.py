"""A clock read over HTTP, so separate processes share one simulated time (tests, demo).

`OUTREACH_CLOCK_URL` names a URL answering `GET` with `{"now": "<ISO 8601>"}`: the
sandbox control server's `/clock`, or the harness's `ClockServer` a test drives. Unset, every
command uses the system clock. This is a test and demo facility, never for real use.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from events.clock import Clock, SystemClock
from events.errors import InvalidSetting

CLOCK_URL_ENV = "OUTREACH_CLOCK_URL"


class RemoteClock:
    """Reads the time from `url` at every call; a simulated clock shared by processes.

    Parameters:
      url: answers GET with {"now": ISO 8601 with offset}.
      timeout_s: how long one reading may take.
    """

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise InvalidSetting(f"{CLOCK_URL_ENV} must be an http(s) URL, got {url!r}")
        self.url = url
        self.timeout_s = timeout_s

    def now(self) -> datetime:
        with urllib.request.urlopen(self.url, timeout=self.timeout_s) as response:  # noqa: S310
            body: dict[str, Any] = json.loads(response.read())
        at = datetime.fromisoformat(str(body["now"]))
        if at.tzinfo is None:
            raise InvalidSetting(f"{self.url} answered a naive time {body['now']!r}")
        return at


def clock_from_env(env: Mapping[str, str]) -> Clock:
    """The simulated clock when OUTREACH_CLOCK_URL is set, else the system clock."""
    url = env.get(CLOCK_URL_ENV)
    return RemoteClock(url) if url else SystemClock()

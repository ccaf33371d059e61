"""Retry-After as Google and Microsoft send it (RFC 9110 10.2.3): seconds or an HTTP date.
A throttled account waits what the provider asked, whichever form it used."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.retry import retry_after_seconds

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("Mon, 02 Mar 2026 09:01:30 GMT", 90.0),
        ("Mon, 02 Mar 2026 08:00:00 GMT", 0.0),  # already past: go now, not negative
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_in_either_form(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, NOW) == seconds

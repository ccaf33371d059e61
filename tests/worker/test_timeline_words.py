"""A person's timeline in sentences: dates as people write them."""

from __future__ import annotations

from datetime import date

from worker.services.timeline import SENTENCES


def test_an_out_of_office_says_the_day_they_are_back() -> None:
    said = SENTENCES["reply.received"](
        {"kind": "out_of_office", "return_date": date(2026, 3, 16)}, "Europe/London"
    )
    assert said == "An automatic reply came back (away until Monday 16 March)."

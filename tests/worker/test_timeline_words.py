"""A person's timeline in sentences: dates as people write them."""

from __future__ import annotations

from datetime import date

from worker.services.timeline import SENTENCES


def test_an_out_of_office_says_the_day_they_are_back() -> None:
    said = SENTENCES["reply.received"](
        {"kind": "out_of_office", "return_date": date(2026, 3, 16)}, "Europe/London"
    )
    assert said == "An automatic reply came back (away until Monday 16 March)."


def test_offered_times_and_the_answer_read_are_in_the_timeline() -> None:
    def said(type_: str, **fields: object) -> str:
        return SENTENCES[type_](fields, "Europe/London")

    assert said("times.sent") == "You offered them times to meet."
    assert said("times.answered", outcome="chosen", choice=2) == (
        "They chose time 2 of those offered."
    )
    assert said("times.answered", outcome="taken", choice=1) == (
        "They chose time 1, booked for something else since."
    )
    assert said("times.answered", outcome="unclear") == "They answered about times."

"""Backoff and the quota budget, on fake time."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from integrations.google.calendar import event_id_for, seen
from integrations.google.retry import QuotaBudget
from integrations.protocol import PermanentProviderError, TransientProviderError
from integrations.retry import Backoff
from tests.integrations.contract import CONTACT

from .conftest import FakeSleep


class FakeTime:
    """A monotonic clock that a fake sleep moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def flaky(failures: list[Exception], answer: str = "ok") -> Callable[[], str]:
    def attempt() -> str:
        if failures:
            raise failures.pop(0)
        return answer

    return attempt


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    sleep = FakeSleep()
    backoff = Backoff(attempts=5, base=1.0, sleep=sleep, rng=random.Random(3))
    failures: list[Exception] = [
        TransientProviderError("a"),
        TransientProviderError("b"),
        TransientProviderError("c", retry_after=9),
    ]
    assert backoff.run(flaky(failures)) == "ok"
    assert 0 <= sleep.waits[0] <= 1
    assert 0 <= sleep.waits[1] <= 2
    assert sleep.waits[2] == 9


def test_backoff_gives_up_after_its_attempts_and_never_retries_permanent_errors() -> None:
    sleep = FakeSleep()
    backoff = Backoff(attempts=3, sleep=sleep)
    with pytest.raises(TransientProviderError):
        backoff.run(flaky([TransientProviderError("x")] * 5))
    assert len(sleep.waits) == 2
    with pytest.raises(PermanentProviderError):
        backoff.run(flaky([PermanentProviderError("no")]))
    assert len(sleep.waits) == 2


def test_recover_returns_the_earlier_attempts_result() -> None:
    backoff = Backoff(sleep=FakeSleep())
    calls: list[str] = []

    def send() -> str:
        calls.append("send")
        raise TransientProviderError("answer lost")

    assert backoff.run(send, recover=lambda: "found in sent") == "found in sent"
    assert calls == ["send"]


def test_budget_paces_spending_to_the_rate() -> None:
    time = FakeTime()
    budget = QuotaBudget(600, {"get": 5, "send": 100}, clock=time.clock, sleep=time.sleep)
    for _ in range(120):  # 600 units: the whole bucket, no waiting
        budget.spend("get")
    assert time.waits == []
    budget.spend("send")  # 100 units at 10 units/s
    assert time.waits == [pytest.approx(10.0)]
    time.now += 60  # a quiet minute refills the bucket
    budget.spend("send")
    assert len(time.waits) == 1
    assert budget.cost("unknown") == 5


def test_event_ids_are_deterministic_base32hex() -> None:
    from datetime import UTC, datetime

    from integrations.protocol import EventRequest

    def request(request_id: str) -> EventRequest:
        at = datetime(2026, 3, 5, 9, tzinfo=UTC)
        return EventRequest("Chat", at, at, "UTC", [CONTACT], request_id=request_id)

    first = event_id_for(request("meeting-1"))
    assert first == event_id_for(request("meeting-1"))
    assert first != event_id_for(request("meeting-2"))
    assert set(first) <= set("abcdefghijklmnopqrstuv0123456789")
    assert 5 <= len(first) <= 1024


def test_all_day_events_and_tombstones() -> None:
    day = seen(
        {
            "id": "abc12",
            "status": "confirmed",
            "start": {"date": "2026-03-05"},
            "end": {"date": "2026-03-06"},
            "attendees": [{"email": "Ada@Contact.example", "responseStatus": "accepted"}],
        },
        "America/New_York",
    )
    assert day.all_day
    assert day.time_zone == "America/New_York"
    assert day.start is not None
    assert day.start.isoformat() == "2026-03-05T00:00:00-05:00"
    assert day.attendees == {"ada@contact.example": "accepted"}
    gone = seen({"id": "abc12", "status": "cancelled"}, "UTC")
    assert gone.status == "cancelled"
    assert gone.start is None

"""The times policy, pure: times are offered once to a contact who replied and has no
meeting, each new answer is read once, and nothing is done for a contact with a meeting,
a closed or bounced one, or one whose reply was read as a no. The next-due column the
tick reads agrees with the policy in every case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from events.projections.pipeline import ContactRow
from tests.worker.domain.policies.builders import contact, iso
from worker.domain.offers import OfferRow, ReplySeen, TimesView
from worker.domain.policies.next_due import _times
from worker.domain.policies.snapshot import Snapshot
from worker.domain.policies.times import due_times, held_times
from worker.domain.settings import Policy

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
POLICY = Policy(time_zone="Europe/London")


def offer(cid: str, at: datetime, *, days: int = 5, first: datetime | None = None) -> OfferRow:
    start = first or at + timedelta(days=1)
    return OfferRow(
        offer_id=f"offer-{cid}-{at:%H%M}",
        contact_id=cid,
        starts=(start, start + timedelta(days=1), start + timedelta(days=2)),
        minutes=30,
        offered_at=at,
        expires_at=at + timedelta(days=days),
    )


def world(
    *,
    replies: list[tuple[str, datetime]] = (),  # type: ignore[assignment]
    offers: list[OfferRow] = (),  # type: ignore[assignment]
    answered: set[str] = frozenset(),  # type: ignore[assignment]
    **row: object,
) -> tuple[Snapshot, ContactRow]:
    """One contact "c1" with its replies (message id, received), offers and answers read,
    as the log view (`snapshot.times`) and the pipeline row's columns both hold them."""
    last = max(replies, key=lambda r: r[1]) if replies else None
    c = contact(
        "c1",
        stage=row.pop("stage", "replied"),
        last_reply_id=last[0] if last else None,
        last_reply_at=iso(last[1]) if last else None,
        times_offered_at=iso(max(o.offered_at for o in offers)) if offers else None,
        times_answered=sorted(answered),
        **row,
    )
    view = TimesView(
        offers={"c1": list(offers)} if offers else {},
        last_reply={"c1": ReplySeen(last[0], last[1])} if last else {},
        answered=frozenset(answered),
    )
    return Snapshot(contacts={"c1": c}, times=view), c


def kinds(snap: Snapshot, c: ContactRow) -> list[tuple[str, str]]:
    actions = due_times(snap, NOW, POLICY)
    # The tick reads only rows whose next-due moment has come: it must agree.
    assert (_times(c) is not None) == bool(actions), (actions, _times(c))
    return [(a.kind, a.key) for a in actions]


REPLY = ("<r1@x>", NOW - timedelta(hours=3))


def test_a_reply_without_a_meeting_gets_times_offered_once() -> None:
    snap, c = world(replies=[REPLY])
    assert kinds(snap, c) == [("draft_times", "times:c1")]
    # Offered: nothing more until they answer.
    snap, c = world(replies=[REPLY], offers=[offer("c1", NOW - timedelta(hours=2))])
    assert kinds(snap, c) == []


def test_each_new_answer_is_read_once() -> None:
    offered = offer("c1", NOW - timedelta(hours=2))
    answer = ("<r2@x>", NOW - timedelta(hours=1))
    snap, c = world(replies=[REPLY, answer], offers=[offered])
    assert kinds(snap, c) == [("read_times_answer", "times-answer:c1:<r2@x>")]
    snap, c = world(replies=[REPLY, answer], offers=[offered], answered={"<r2@x>"})
    assert kinds(snap, c) == []
    # They write again (another time, say): that reply is read, once, under its own key.
    again = ("<r3@x>", NOW - timedelta(minutes=5))
    snap, c = world(replies=[REPLY, answer, again], offers=[offered], answered={"<r2@x>"})
    assert kinds(snap, c) == [("read_times_answer", "times-answer:c1:<r3@x>")]


def test_a_reply_read_as_a_no_is_offered_nothing() -> None:
    snap, c = world(replies=[REPLY], answered={REPLY[0]})
    assert kinds(snap, c) == []


@pytest.mark.parametrize(
    "row",
    [
        {"stage": "scheduled"},
        {"stage": "confirmed"},
        {"stage": "met"},
        {"closed": "not_now"},
        {"closed": "declined"},
        {"bounced": True},
        {"stage": "forgotten", "forgotten": True},
    ],
    ids=["meeting", "confirmed", "met", "closed", "declined", "bounced", "forgotten"],
)
def test_nothing_for_a_contact_with_a_meeting_closed_bounced_or_forgotten(
    row: dict[str, Any],
) -> None:
    answer = ("<r2@x>", NOW - timedelta(hours=1))
    for replies, offers in (
        ([REPLY], []),
        ([REPLY, answer], [offer("c1", NOW - timedelta(hours=2))]),
    ):
        snap, c = world(replies=replies, offers=offers, **row)
        assert kinds(snap, c) == []


def test_no_reply_no_times() -> None:
    snap, c = world(stage="replied")
    assert kinds(snap, c) == []


def test_times_held_for_others_until_they_expire_or_a_meeting_is_set() -> None:
    ada = offer("ada", NOW - timedelta(days=1))
    old = offer("bob", NOW - timedelta(days=9), days=5)
    kim = offer("kim", NOW - timedelta(hours=5))
    view = TimesView(offers={"ada": [ada], "bob": [old], "kim": [kim]})
    stages = {"ada": "replied", "bob": "replied", "kim": "scheduled", "lin": "replied"}
    held = held_times(view, stages, NOW, besides="lin")
    assert held == ada.slots()  # bob's expired, kim has a meeting
    # A contact's own offer never blocks their next one.
    assert held_times(view, stages, NOW, besides="ada") == []

"""A video call whose link the calendar is still making (a Google Meet "pending"): no
draft asks where while the link is coming; the due index dates the meeting at its
confirmation's moment, when a link still missing is asked for after all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from worker.domain.policies.confirmations import (
    confirmation_time,
    due_confirmations,
    stale_where_drafts,
)
from worker.domain.policies.next_due import AT_ONCE, meeting_due_at
from worker.domain.settings import Policy

from .builders import draft, meeting, snapshot

LONDON = Policy(time_zone="Europe/London")
BOOKED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
START = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)


def test_a_link_to_come_asks_nothing_until_the_confirmation_is_due() -> None:
    coming = meeting("m", START, START + timedelta(minutes=30), BOOKED, place="", link_pending=True)
    world = snapshot(meetings=[coming])
    at = confirmation_time(coming, LONDON)
    assert at is not None
    assert due_confirmations(world, BOOKED, LONDON) == []
    assert due_confirmations(world, at - timedelta(minutes=1), LONDON) == []
    assert meeting_due_at(coming, world, LONDON) == at
    [ask] = due_confirmations(world, at, LONDON)
    assert ask.kind == "draft_confirmation_ask"

    asked = snapshot(
        meetings=[coming], drafts=[draft("d", "c1", "confirmation_ask", at, meeting_id="m")]
    )
    assert due_confirmations(asked, at + timedelta(hours=1), LONDON) == []
    # Nothing more before the meeting: next, marking it met.
    met = START + timedelta(minutes=30 + LONDON.met_grace_minutes)
    assert meeting_due_at(coming, asked, LONDON) == met


def test_the_link_arrived_confirms_and_none_to_come_asks_at_once() -> None:
    made = meeting(
        "m",
        START,
        START + timedelta(minutes=30),
        BOOKED,
        place="",
        link="https://meet.google.com/abc-defg-hij",
    )
    at = confirmation_time(made, LONDON)
    assert at is not None
    [due] = due_confirmations(snapshot(meetings=[made]), at, LONDON)
    assert due.kind == "send_confirmation"
    failed = meeting("m", START, START + timedelta(minutes=30), BOOKED, place="")
    [ask] = due_confirmations(snapshot(meetings=[failed]), BOOKED, LONDON)
    assert (ask.kind, ask.due_at) == ("draft_confirmation_ask", BOOKED)


def test_a_question_about_where_goes_once_the_meeting_has_its_place_unless_edited() -> None:
    ask = draft("d", "c1", "confirmation_ask", BOOKED, meeting_id="m")
    linked = meeting(
        "m", START, START + timedelta(minutes=30), BOOKED, place="", link="https://meet.example/x"
    )
    world = snapshot(meetings=[linked], drafts=[ask])
    [gone] = stale_where_drafts(world, BOOKED)
    assert (gone.kind, gone.draft_id, gone.reason) == ("delete_draft", "d", "meeting_settled")
    assert meeting_due_at(linked, world, LONDON) == AT_ONCE
    # Still without a place: the question stands.
    bare = meeting("m", START, START + timedelta(minutes=30), BOOKED, place="")
    assert stale_where_drafts(snapshot(meetings=[bare], drafts=[ask]), BOOKED) == []
    # Edited by the user, it is theirs: kept, and nothing is due for it.
    mine = draft("d", "c1", "confirmation_ask", BOOKED, meeting_id="m", edited=True)
    kept = snapshot(meetings=[linked], drafts=[mine])
    assert stale_where_drafts(kept, BOOKED) == []
    assert meeting_due_at(linked, kept, LONDON) != AT_ONCE
    # A cancelled meeting needs no answer about where either.
    off = meeting("m", START, START + timedelta(minutes=30), BOOKED, place="", status="cancelled")
    assert [a.kind for a in stale_where_drafts(snapshot(meetings=[off], drafts=[ask]), BOOKED)] == [
        "delete_draft"
    ]

"""A referral's first contact waits until the person who named them has been thanked."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from tests.worker.domain.policies.builders import contact, iso, meeting, snapshot
from worker.domain.policies.outreach import due_outreach
from worker.domain.settings import Policy

POLICY = Policy(time_zone="Europe/London")
MET = datetime(2026, 3, 10, 15, tzinfo=UTC)
NAMED = MET + timedelta(hours=1)  # the notes naming Daniel, an hour after the meeting


def _story() -> tuple[ContactRow, ContactRow, MeetingRow]:
    referrer = contact("priya", stage="met")
    daniel = contact("daniel", source="referral", referred_by="priya", added_at=iso(NAMED))
    m = replace(
        meeting("m1", MET - timedelta(minutes=30), MET, MET - timedelta(days=3)),
        contact_id="priya",
        status="met",
    )
    return referrer, daniel, m


def test_the_referral_waits_for_the_referrers_thanks() -> None:
    referrer, daniel, m = _story()
    snap = snapshot(contacts=[referrer, daniel], meetings=[m])
    assert due_outreach(snap, NAMED + timedelta(hours=2), POLICY) == []
    thanked = replace(referrer, thanked_at=iso(NAMED + timedelta(hours=3)))
    snap = snapshot(contacts=[thanked, daniel], meetings=[m])
    [a] = due_outreach(snap, NAMED + timedelta(hours=3), POLICY)
    assert (a.contact_id, a.about_contact_id) == ("daniel", "priya")


def test_or_until_the_next_morning() -> None:
    referrer, daniel, m = _story()
    snap = snapshot(contacts=[referrer, daniel], meetings=[m])
    assert due_outreach(snap, datetime(2026, 3, 11, 7, 59, tzinfo=UTC), POLICY) == []
    [a] = due_outreach(snap, datetime(2026, 3, 11, 8, tzinfo=UTC), POLICY)
    assert a.contact_id == "daniel"


def test_no_wait_when_the_referrer_was_never_met() -> None:
    referrer = contact("priya")  # a friend who suggested Daniel: nobody to thank first
    daniel = contact("daniel", source="referral", referred_by="priya", added_at=iso(NAMED))
    [a] = due_outreach(snapshot(contacts=[referrer, daniel]), NAMED, POLICY)
    assert a.contact_id == "daniel"

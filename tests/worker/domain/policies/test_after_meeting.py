"""After a meeting: met, thank-yous (and to the referrer), keep in touch."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tests.worker.domain.policies.builders import contact, draft, iso, meeting, snapshot
from worker.domain.policies.after_meeting import due_keep_in_touch, due_met, due_thanks
from worker.domain.policies.due import due_actions
from worker.domain.settings import Policy

POLICY = Policy(time_zone="UTC")
START = datetime(2026, 3, 10, 15, tzinfo=UTC)
END = START + timedelta(minutes=30)


def test_meeting_is_met_after_its_end_plus_grace_unless_cancelled() -> None:
    m = meeting("m1", START, END, START - timedelta(days=5))
    assert due_met(snapshot(meetings=[m]), END + timedelta(minutes=14), POLICY) == []
    [met] = due_met(snapshot(meetings=[m]), END + timedelta(minutes=15), POLICY)
    assert met.kind == "mark_met"
    cancelled = replace(m, status="cancelled")
    assert due_met(snapshot(meetings=[cancelled]), END + timedelta(hours=1), POLICY) == []


def test_thank_you_and_referrer_thanks_once_each() -> None:
    ada = contact("ada")
    grace = contact("grace", referred_by="ada", stage="met")
    m = replace(
        meeting("m1", START, END, START - timedelta(days=5), contact_id="grace"),
        status="met",
        status_at=iso(END + timedelta(minutes=15)),
    )
    actions = due_thanks(
        snapshot(contacts=[ada, grace], meetings=[m]), END + timedelta(hours=1), POLICY
    )
    assert sorted((a.kind, a.contact_id) for a in actions) == [
        ("draft_referrer_thanks", "ada"),
        ("draft_thank_you", "grace"),
    ]
    drafts = [
        draft("t1", "grace", "thank_you", END, meeting_id="m1"),
        draft("t2", "ada", "referrer_thanks", END, about_contact_id="grace"),
    ]
    snap = snapshot(contacts=[ada, grace], meetings=[m], drafts=drafts)
    assert due_thanks(snap, END + timedelta(hours=2), POLICY) == []


def test_keep_in_touch_six_weeks_after_thanks() -> None:
    c = contact("c1", stage="thanked", thanked_at=iso(END))
    assert due_keep_in_touch(snapshot(contacts=[c]), END + timedelta(days=41), POLICY) == []
    [a] = due_keep_in_touch(snapshot(contacts=[c]), END + timedelta(days=42), POLICY)
    assert a.kind == "draft_keep_in_touch"


def test_due_actions_is_deterministic_and_ordered() -> None:
    contacts = [contact(f"c{i}", stage="to_write") for i in range(3)]
    m = meeting("m1", START, END, START - timedelta(days=5))
    snap = snapshot(contacts=contacts, meetings=[m])
    now = END + timedelta(hours=1)
    first = due_actions(snap, now, POLICY)
    assert first == due_actions(snap, now, POLICY)
    assert [a.due_at for a in first] == sorted(a.due_at for a in first)
    assert len({a.key for a in first}) == len(first)

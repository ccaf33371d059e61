"""Outreach drafts, nudges and giving up: polite persistence, never after a reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from events.projections.pipeline import ContactRow
from tests.worker.domain.policies.builders import contact, draft, iso, snapshot
from worker.domain.policies.outreach import due_nudges, due_outreach, stale_nudge_drafts
from worker.domain.settings import Policy

POLICY = Policy(time_zone="UTC")
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def sent_contact(cid: str = "c1", **kw: Any) -> ContactRow:
    return contact(cid, stage="sent", outreach_sent_at=iso(T0), **kw)


def test_outreach_only_for_chosen_contacts_and_capped_per_day() -> None:
    chosen = [contact(f"c{i}", stage="to_write", reach_out_at=iso(T0)) for i in range(7)]
    imported = [contact(f"i{i}", source="linkedin") for i in range(20)]
    no_email = contact("x", stage="to_write", emails=[])
    actions = due_outreach(snapshot(contacts=[*chosen, *imported, no_email]), T0, POLICY)
    assert len(actions) == 5
    assert {a.contact_id for a in actions} <= {c.contact_id for c in chosen}
    drafted = [draft(f"d{i}", f"c{i}", "outreach", T0 - timedelta(hours=1)) for i in range(3)]
    assert len(due_outreach(snapshot(contacts=chosen, drafts=drafted), T0, POLICY)) == 2
    yesterday = [draft(f"d{i}", f"c{i}", "outreach", T0 - timedelta(days=1)) for i in range(3)]
    assert len(due_outreach(snapshot(contacts=chosen, drafts=yesterday), T0, POLICY)) == 5


def test_referred_contact_gets_outreach_naming_the_referrer() -> None:
    referred = contact("r1", source="referral", referred_by="c1")
    [action] = due_outreach(snapshot(contacts=[referred]), T0, POLICY)
    assert action.about_contact_id == "c1"


def test_first_nudge_after_seven_days_not_before() -> None:
    snap = snapshot(contacts=[sent_contact()])
    assert due_nudges(snap, T0 + timedelta(days=6, hours=23), POLICY) == []
    [nudge] = due_nudges(snap, T0 + timedelta(days=7), POLICY)
    assert (nudge.kind, nudge.nudge_number) == ("draft_nudge", 1)


def test_no_nudge_after_a_reply_but_an_auto_reply_does_not_count() -> None:
    replied = contact("c1", stage="replied", outreach_sent_at=iso(T0), replied_at=iso(T0))
    assert due_nudges(snapshot(contacts=[replied]), T0 + timedelta(days=8), POLICY) == []
    auto = sent_contact(auto_replied_at=iso(T0))
    assert len(due_nudges(snapshot(contacts=[auto]), T0 + timedelta(days=8), POLICY)) == 1


def test_out_of_office_moves_the_nudge_past_the_return_date() -> None:
    away = sent_contact(out_of_office_until="2026-03-20")
    snap = snapshot(contacts=[away])
    assert due_nudges(snap, T0 + timedelta(days=10), POLICY) == []
    [nudge] = due_nudges(snap, datetime(2026, 3, 21, 8, tzinfo=UTC), POLICY)
    assert nudge.due_at == datetime(2026, 3, 21, 8, tzinfo=UTC)


def test_second_nudge_after_fourteen_days_and_never_a_third() -> None:
    once = contact(
        "c1",
        stage="nudged",
        outreach_sent_at=iso(T0),
        nudges_drafted=1,
        nudges_sent=1,
        last_nudge_sent_at=iso(T0 + timedelta(days=7)),
    )
    snap = snapshot(contacts=[once])
    assert due_nudges(snap, T0 + timedelta(days=13), POLICY) == []
    [second] = due_nudges(snap, T0 + timedelta(days=14), POLICY)
    assert second.nudge_number == 2
    twice = contact(
        "c1",
        stage="nudged",
        outreach_sent_at=iso(T0),
        nudges_drafted=2,
        nudges_sent=2,
        last_nudge_sent_at=iso(T0 + timedelta(days=14)),
    )
    later = due_nudges(snapshot(contacts=[twice]), T0 + timedelta(days=30), POLICY)
    assert [a.kind for a in later] == ["record_no_response"]


def test_nudge_waits_while_the_previous_draft_is_unsent_and_is_never_redrafted() -> None:
    c = sent_contact(nudges_drafted=1)
    pending = draft("n1", "c1", "nudge", T0 + timedelta(days=7), nudge_number=1)
    assert (
        due_nudges(snapshot(contacts=[c], drafts=[pending]), T0 + timedelta(days=20), POLICY) == []
    )
    pending.status = "discarded"
    assert (
        due_nudges(snapshot(contacts=[c], drafts=[pending]), T0 + timedelta(days=20), POLICY) == []
    )


def test_a_reply_deletes_the_waiting_nudge_draft() -> None:
    c = contact("c1", stage="replied", outreach_sent_at=iso(T0), replied_at=iso(T0))
    pending = draft("n1", "c1", "nudge", T0, nudge_number=1)
    [action] = stale_nudge_drafts(snapshot(contacts=[c], drafts=[pending]), T0)
    assert (action.kind, action.draft_id) == ("delete_draft", "n1")


def test_bounced_address_is_not_nudged() -> None:
    c = sent_contact(bounced=True)
    assert due_nudges(snapshot(contacts=[c]), T0 + timedelta(days=8), POLICY) == []

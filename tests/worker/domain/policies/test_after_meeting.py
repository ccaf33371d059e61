"""After a meeting: met, thanks from the notes or by the evening, re-rendering, keep in touch."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from events.projections.meetings import MeetingRow
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


def _met(contact_id: str = "grace", **kw: Any) -> MeetingRow:
    return replace(
        meeting("m1", START, END, START - timedelta(days=5), contact_id=contact_id),
        status="met",
        status_at=iso(END + timedelta(minutes=15)),
        **kw,
    )


def test_thanks_wait_for_the_notes_until_the_evening() -> None:
    """15:30 meeting in UTC: without notes, nothing at 17:59; the thanks at 18:00."""
    ada = contact("ada")
    grace = contact("grace", referred_by="ada", stage="met")
    snap = snapshot(contacts=[ada, grace], meetings=[_met()])
    assert due_thanks(snap, datetime(2026, 3, 10, 17, 59, tzinfo=UTC), POLICY) == []
    actions = due_thanks(snap, datetime(2026, 3, 10, 18, tzinfo=UTC), POLICY)
    assert sorted((a.kind, a.contact_id) for a in actions) == [
        ("draft_referrer_thanks", "ada"),
        ("draft_thank_you", "grace"),
    ]


def test_notes_bring_the_thanks_forward() -> None:
    noted = iso(END + timedelta(minutes=40))
    snap = snapshot(contacts=[contact("grace", stage="met")], meetings=[_met(notes_at=noted)])
    [a] = due_thanks(snap, END + timedelta(minutes=41), POLICY)
    assert (a.kind, a.due_at) == ("draft_thank_you", END + timedelta(minutes=40))


def test_evening_is_the_users_not_utc() -> None:
    """A 15:00 UTC meeting in New York (10:00 local) waits for notes until 18:00 local."""
    policy = Policy(time_zone="America/New_York")
    snap = snapshot(contacts=[contact("grace", stage="met")], meetings=[_met()])
    assert due_thanks(snap, datetime(2026, 3, 10, 21, 59, tzinfo=UTC), policy) == []
    assert due_thanks(snap, datetime(2026, 3, 10, 22, 0, tzinfo=UTC), policy) != []


def test_thank_you_and_referrer_thanks_once_each() -> None:
    ada = contact("ada")
    grace = contact("grace", referred_by="ada", stage="met")
    drafts = [
        draft("t1", "grace", "thank_you", END, meeting_id="m1", rendered_at=iso(END)),
        draft("t2", "ada", "referrer_thanks", END, about_contact_id="grace", rendered_at=iso(END)),
    ]
    snap = snapshot(contacts=[ada, grace], meetings=[_met()], drafts=drafts)
    assert due_thanks(snap, END + timedelta(days=1), POLICY) == []


def test_notes_after_the_draft_rerender_it_only_while_waiting_unedited() -> None:
    ada = contact("ada")
    grace = contact("grace", referred_by="ada", stage="met")
    evening = datetime(2026, 3, 10, 18, tzinfo=UTC)
    later = iso(evening + timedelta(hours=2))
    m = _met(notes_at=later)
    waiting = [
        draft("t1", "grace", "thank_you", evening, meeting_id="m1", rendered_at=iso(evening)),
        draft(
            "t2",
            "ada",
            "referrer_thanks",
            evening,
            about_contact_id="grace",
            rendered_at=iso(evening),
        ),
    ]
    now = evening + timedelta(hours=3)
    actions = due_thanks(snapshot(contacts=[ada, grace], meetings=[m], drafts=waiting), now, POLICY)
    assert sorted((a.kind, a.draft_id) for a in actions) == [
        ("rerender_draft", "t1"),
        ("rerender_draft", "t2"),
    ]
    untouched = [
        replace(waiting[0], edited=True),
        replace(waiting[1], status="sent"),
    ]
    snap = snapshot(contacts=[ada, grace], meetings=[m], drafts=untouched)
    assert due_thanks(snap, now, POLICY) == []
    # Re-rendered after the notes: nothing more to do.
    done = [replace(d, rendered_at=iso(now)) for d in waiting]
    assert due_thanks(snapshot(contacts=[ada, grace], meetings=[m], drafts=done), now, POLICY) == []


def test_keep_in_touch_every_eight_weeks_after_the_last_exchange() -> None:
    c = contact("c1", stage="thanked", thanked_at=iso(END), last_exchange_at=iso(END))
    assert (
        due_keep_in_touch(snapshot(contacts=[c]), END + timedelta(weeks=8, seconds=-1), POLICY)
        == []
    )
    [a] = due_keep_in_touch(snapshot(contacts=[c]), END + timedelta(weeks=8), POLICY)
    assert a.kind == "draft_keep_in_touch"
    # A reply a month later resets the cadence.
    replied = replace(c, last_exchange_at=iso(END + timedelta(weeks=4)))
    assert due_keep_in_touch(snapshot(contacts=[replied]), END + timedelta(weeks=8), POLICY) == []
    assert due_keep_in_touch(snapshot(contacts=[replied]), END + timedelta(weeks=12), POLICY)


def test_keep_in_touch_per_contact_closed_declined_and_referrers() -> None:
    at = END + timedelta(weeks=4)
    own = contact("c1", thanked_at=iso(END), last_exchange_at=iso(END), keep_in_touch_weeks=4)
    no = replace(own, contact_id="c2", keep_in_touch=False)
    closed = replace(own, contact_id="c3", closed="done")
    referrer = contact(
        "c4", referrer_thanked_at=iso(END), last_exchange_at=iso(END - timedelta(weeks=8))
    )
    never_met = contact("c5", last_exchange_at=iso(END - timedelta(weeks=20)))
    snap = snapshot(contacts=[own, no, closed, referrer, never_met])
    assert sorted(a.contact_id for a in due_keep_in_touch(snap, at, POLICY)) == ["c1", "c4"]
    # A draft made for this quiet stretch (even discarded) stands for it.
    made = draft("k1", "c1", "keep_in_touch", at, status="discarded")
    snap = snapshot(contacts=[own], drafts=[made])
    assert due_keep_in_touch(snap, at + timedelta(days=1), POLICY) == []


def test_due_actions_is_deterministic_and_ordered() -> None:
    contacts = [contact(f"c{i}", stage="to_write") for i in range(3)]
    m = meeting("m1", START, END, START - timedelta(days=5))
    snap = snapshot(contacts=contacts, meetings=[m])
    now = END + timedelta(hours=1)
    first = due_actions(snap, now, POLICY)
    assert first == due_actions(snap, now, POLICY)
    assert [a.due_at for a in first] == sorted(a.due_at for a in first)
    assert len({a.key for a in first}) == len(first)

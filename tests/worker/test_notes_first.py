"""Notes first, then thanks: stories on the sandbox mailbox, ticking the worker's policies
and doing what is due through the real effects, as the user and the contacts act."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from events.projections.pipeline import ContactRow
from tests.worker.world import World
from worker.services.notes import Notes, record_advice_outcome, record_notes
from worker.services.status import status

PRIYA = "priya@tailspin.example"
DANIEL = "daniel@fabrikam.example"
TAKEAWAY = "Your advice to start with the support queue stayed with me."


def settle(w: World) -> list[tuple[str, str]]:
    """Do everything due now; what was done about contacts, as (kind, outcome) (the
    user's daily summary to themselves is done too, and left out)."""
    done: list[tuple[str, str]] = []
    for action in w.due():
        outcome = w.runtime.perform(action.to_message())
        if action.contact_id:
            done.append((action.kind, outcome))
    return done


def until(w: World, when: datetime) -> list[tuple[str, str]]:
    """Tick every quarter hour up to `when`, doing what is due."""
    done: list[tuple[str, str]] = []
    while w.clock.now() < when:
        w.at(min(when, w.clock.now() + timedelta(minutes=15)))
        done += settle(w)
    return done


def meet(w: World, email: str, name: str, day: int = 1, **extra: Any) -> ContactRow:
    """Written to, answered, met on a later day 14:00-14:30 (London), marked met at 14:45."""
    w.outreach_sent(name, email, **extra)
    w.reply(email, "Happy to talk!")
    start = w.clock.now().replace(hour=14, minute=0) + timedelta(days=day)
    w.invite(email, start)
    until(w, start + timedelta(minutes=45))
    met = w.contact(email)
    assert met.stage == "met"
    return met


def drafted_text(w: World, email: str, kind: str) -> str:
    [draft] = [d for d in w.drafts() if d.to == email and d.kind == kind]
    [mailed] = [m for m in w.mail()["drafts"] if m["draftId"] == draft.provider_draft_id]
    return str(mailed["text"])


def kinds(done: list[tuple[str, str]]) -> list[str]:
    return [kind for kind, _ in done]


def test_notes_then_a_thank_you_quoting_them_and_naming_the_referrals(world: World) -> None:
    priya = meet(world, PRIYA, "Priya Raman")
    assert world.due("draft_thank_you") == []  # waiting for the notes
    [asked] = status(world.app, None)["notes_to_write"]
    assert asked["contact"] == "Priya Raman"
    assert "outreach notes" in asked["sentence"]
    record_notes(
        world.book,
        PRIYA,
        Notes(takeaway=TAKEAWAY, text=f"Talk to Daniel Ortiz <{DANIEL}> about onboarding."),
    )
    assert "draft_thank_you" in kinds(settle(world))
    assert status(world.app, None)["notes_to_write"] == []
    text = drafted_text(world, PRIYA, "thank_you")
    assert TAKEAWAY in text
    assert "Daniel Ortiz" in text
    assert "mention you" in text
    assert "[" not in text

    # Daniel hears "Priya suggested..." only once Priya's thanks have gone.
    world.later(hours=1)
    assert [a.contact_id for a in world.due("draft_outreach")] == []
    [thanks] = [d for d in world.drafts() if d.to == PRIYA and d.kind == "thank_you"]
    world.user_sends(thanks)
    [outreach] = world.due("draft_outreach")
    assert outreach.about_contact_id == priya.contact_id


def test_without_notes_a_complete_thank_you_by_the_evening(world: World) -> None:
    meet(world, PRIYA, "Priya Raman")
    evening = world.clock.now().replace(hour=18, minute=0)
    done = until(world, evening - timedelta(minutes=15))
    assert "draft_thank_you" not in kinds(done)
    assert "draft_thank_you" in kinds(until(world, evening))
    text = drafted_text(world, PRIYA, "thank_you")
    assert text.startswith("Dear Priya,")
    assert "Thank you for taking the time" in text
    assert "[" not in text
    assert text.rstrip().endswith("Sam Rivera")


def test_notes_after_the_mailbox_edit_leave_the_users_text(world: World) -> None:
    meet(world, PRIYA, "Priya Raman")
    until(world, world.clock.now().replace(hour=18, minute=0))
    [draft] = [d for d in world.drafts() if d.kind == "thank_you"]
    mine = "Dear Priya,\nThank you so much, in my own words.\nSam"
    world.sandbox.google.user_edits_draft(draft.provider_draft_id, mine)
    world.later(hours=2)
    record_notes(world.book, PRIYA, Notes(takeaway=TAKEAWAY))
    assert settle(world) == [
        ("rerender_draft", "skipped: edited in the mailbox; the user's text stays")
    ]
    assert "in my own words" in drafted_text(world, PRIYA, "thank_you")
    assert TAKEAWAY not in drafted_text(world, PRIYA, "thank_you")
    [row] = [d for d in world.drafts() if d.kind == "thank_you"]
    assert row.edited
    world.later(hours=1)
    assert world.due("rerender_draft") == []  # known as edited: never again


def test_notes_after_an_unedited_draft_rewrite_it_in_the_mailbox(world: World) -> None:
    meet(world, PRIYA, "Priya Raman")
    until(world, world.clock.now().replace(hour=18, minute=0))
    [draft] = [d for d in world.drafts() if d.kind == "thank_you"]
    world.later(hours=15)  # notes the next morning
    record_notes(world.book, PRIYA, Notes(takeaway=TAKEAWAY))
    assert settle(world) == [("rerender_draft", "done")]
    assert TAKEAWAY in drafted_text(world, PRIYA, "thank_you")
    [same] = [d for d in world.drafts() if d.kind == "thank_you"]
    assert (same.draft_id, same.message_id, same.edited) == (
        draft.draft_id,
        draft.message_id,
        False,
    )
    assert world.due("rerender_draft") == []


def test_notes_after_the_thank_you_was_sent_change_nothing(world: World) -> None:
    meet(world, PRIYA, "Priya Raman")
    until(world, world.clock.now().replace(hour=18, minute=0))
    [draft] = [d for d in world.drafts() if d.kind == "thank_you"]
    world.user_sends(draft)
    sent_before = [m["text"] for m in world.mail()["sent"]]
    world.later(hours=2)
    record_notes(world.book, PRIYA, Notes(takeaway=TAKEAWAY))
    assert settle(world) == []
    assert [m["text"] for m in world.mail()["sent"]] == sent_before
    assert world.mail()["drafts"] == []


def test_a_referrals_meeting_brings_the_update_to_whoever_named_them(world: World) -> None:
    priya = meet(world, PRIYA, "Priya Raman")
    record_notes(world.book, PRIYA, Notes(takeaway=TAKEAWAY, text=f"Daniel Ortiz <{DANIEL}>"))
    settle(world)
    [thanks] = [d for d in world.drafts() if d.kind == "thank_you"]
    world.user_sends(thanks)
    settle(world)  # Daniel's outreach, "Priya suggested..."
    [outreach] = [d for d in world.drafts() if d.to == DANIEL]
    world.user_sends(outreach)
    world.reply(DANIEL, "Sure, let's talk.")
    start = world.clock.now().replace(hour=14, minute=0) + timedelta(days=2)
    world.invite(DANIEL, start)
    until(world, start + timedelta(minutes=45))
    assert not [d for d in world.drafts() if d.kind == "referrer_thanks"]  # notes first
    went = "It was the most practical half hour of my search so far."
    record_notes(world.book, DANIEL, Notes(went=went))
    done = kinds(settle(world))
    assert sorted(done) == ["draft_referrer_thanks", "draft_thank_you"]
    [update] = [d for d in world.drafts() if d.kind == "referrer_thanks"]
    assert update.contact_id == priya.contact_id
    text = drafted_text(world, PRIYA, "referrer_thanks")
    assert "Daniel Ortiz" in text
    assert went in text
    assert "exactly the conversation I needed" not in text


def test_keep_in_touch_every_eight_weeks_reset_by_a_reply(world: World) -> None:
    meet(world, PRIYA, "Priya Raman")
    record_notes(world.book, PRIYA, Notes(takeaway=TAKEAWAY))
    settle(world)
    [thanks] = [d for d in world.drafts() if d.kind == "thank_you"]
    world.user_sends(thanks)
    thanked = world.clock.now()
    world.at(thanked + timedelta(weeks=7))
    # Priya answers the thank-you: a real exchange, so the eight weeks start again.
    world.sandbox.google.deliver_reply(
        to_message=thanks.message_id, body="Thanks! How is the search going?", sender=PRIYA
    )
    world.sync()
    replied = world.clock.now()
    world.at(thanked + timedelta(weeks=8, days=1))
    assert world.due("draft_keep_in_touch") == []  # a week after her reply: not yet
    record_advice_outcome(world.book, PRIYA, "read Inspired")
    world.at(replied + timedelta(weeks=8))
    assert "draft_keep_in_touch" in kinds(settle(world))
    text = drafted_text(world, PRIYA, "keep_in_touch")
    assert "Inspired" in text
    assert "[" not in text


def test_keep_in_touch_without_anything_concrete_asks_a_question(world: World) -> None:
    meet(world, PRIYA, "Priya Raman", company="Tailspin")
    until(world, world.clock.now().replace(hour=18, minute=0))
    [thanks] = [d for d in world.drafts() if d.kind == "thank_you"]
    world.user_sends(thanks)
    world.later(weeks=8, hours=1)
    assert "draft_keep_in_touch" in kinds(settle(world))
    text = drafted_text(world, PRIYA, "keep_in_touch")
    assert "?" in text
    assert "[" not in text


def test_keep_in_touch_stops_when_they_say_no(world: World) -> None:
    meet(world, PRIYA, "Priya Raman")
    record_notes(world.book, PRIYA, Notes(takeaway=TAKEAWAY, keep_in_touch=False))
    settle(world)
    [thanks] = [d for d in world.drafts() if d.kind == "thank_you"]
    world.user_sends(thanks)
    world.at(datetime(2026, 9, 1, 9, tzinfo=UTC))
    assert world.due("draft_keep_in_touch") == []

"""A contact's story in words: one table for `outreach history` and the page's timeline,
dates and times as people write them, in the user's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import get_args

from events.projections.pipeline import waiting_words
from events.types import EVENT_TYPES, ContactEvent, DraftKind
from worker.domain.wording import DRAFT_KIND_WORDS
from worker.services.event_words import WORDS, Telling, as_sentence, told

LONDON = Telling("Europe/London", {"c-grace": "Grace Hopper"})


def said(type_: str, **fields: object) -> str:
    return told(type_, dict(fields), LONDON)


def test_every_event_of_a_persons_story_has_words() -> None:
    # A contact's story is the events of contact streams; the accounts' are not in it.
    persons = {t for t, cls in EVENT_TYPES.items() if issubclass(cls, ContactEvent)}
    assert persons == set(WORDS)


def test_an_out_of_office_says_the_day_they_are_back() -> None:
    back = said("reply.received", kind="out_of_office", return_date=date(2026, 3, 16))
    assert as_sentence(back) == (
        "An automatic out-of-office answer came (away until Monday 16 March)."
    )


def test_a_bounce_says_the_message_did_not_arrive_without_the_servers_subject() -> None:
    bounced = said("reply.received", kind="bounce", subject="Undelivered Mail Returned")
    assert bounced == "your message could not be delivered"


def test_offered_times_and_the_answer_read() -> None:
    assert said("times.offered", subject="Re: Coffee?") == (
        "a reply offering times was prepared for your review: “Re: Coffee?”"
    )
    assert said("times.sent") == "your reply offering times was sent"
    assert said("times.answered", outcome="chosen", choice=2) == (
        "they chose time 2 of those offered"
    )
    assert said("times.answered", outcome="taken", choice=1) == (
        "they chose time 1, booked for something else since"
    )
    assert said("times.answered", outcome="unclear") == "they answered about times"


def test_who_cancelled_is_said_in_words() -> None:
    assert said("meeting.cancelled", by="contact") == "they cancelled the meeting"
    assert said("meeting.cancelled", by="user") == "you cancelled the meeting"


def test_a_meeting_time_is_in_the_users_zone() -> None:
    start = datetime(2026, 7, 2, 13, 0, tzinfo=UTC)
    assert as_sentence(said("meeting.scheduled", start=start)) == (
        "A meeting was set for Thu 2 Jul 2026 14:00 BST."
    )


def test_a_referral_names_who_introduced_them() -> None:
    added = said("contact.added", source="referral", referred_by="c-grace", name="Alan Turing")
    assert added == "added to your contacts introduced by Grace Hopper as Alan Turing"


def test_a_type_from_a_newer_release_is_still_readable() -> None:
    assert said("meeting.moved_online") == "meeting moved online"


def test_a_waiting_draft_is_named_as_everywhere_else() -> None:
    # The pipeline's next step names each kind with the words lists and history use.
    for kind in get_args(DraftKind):
        assert waiting_words(kind) == f"your {DRAFT_KIND_WORDS[kind]} waits for review"

"""A person's history from the log, in sentences a user reads (the page's timeline)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from events.codec import Decoded
from events.projections.pipeline import day_words

Fields = dict[str, Any]
Say = Callable[[Fields, str], str]


@dataclass(frozen=True)
class Moment:
    at: datetime
    #: When, written in the user's zone ("Mon 2 Mar 2026, 09:00 GMT").
    when: str
    sentence: str
    #: What the contact wrote, shown under the sentence (a reply's excerpt).
    excerpt: str = ""


def local_time(at: datetime, zone: str) -> str:
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M %Z}"


def _time(value: Any, zone: str) -> str:
    if isinstance(value, datetime):
        return local_time(value, zone)
    return str(value)


_DISCARDED: Final[dict[str, str]] = {
    "user": "you discarded it",
    "deleted_in_mailbox": "it was deleted in your mailbox",
    "superseded_by_reply": "they replied first",
    "contact_forgotten": "the contact was forgotten",
}
_CLOSED: Final[dict[str, str]] = {
    "declined": "they declined",
    "not_now": "not now",
    "done": "done",
    "complained": "they reported your message as spam",
}


def _times_answer(f: Fields, _zone: str) -> str:
    n = f.get("choice")
    return {
        "chosen": f"They chose time {n} of those offered.",
        "taken": f"They chose time {n}, booked for something else since.",
        "declined": "Their answer about times reads as a no.",
    }.get(str(f.get("outcome")), "They answered about times.")


def _reply(f: Fields, zone: str) -> str:
    kind = f.get("kind", "reply")
    if kind == "bounce":
        return "Your message could not be delivered."
    if f.get("auto_reply") or kind != "reply":
        back = f.get("return_date")
        until = f" (away until {day_words(str(back))})" if back else ""
        return f"An automatic reply came back{until}."
    return f"They replied: “{f.get('subject') or '(no subject)'}”."


#: One sentence per event type; types not listed (bookkeeping) are left out.
SENTENCES: Final[dict[str, Say]] = {
    "contact.added": lambda f, _z: (
        "Added"
        + {"linkedin": " from LinkedIn", "csv": " from a file", "referral": " as a referral"}.get(
            f.get("source", ""), ""
        )
        + "."
    ),
    "contact.updated": lambda _f, _z: "Details changed.",
    "contact.merged": lambda _f, _z: "Merged with another record of the same person.",
    "contact.closed": lambda f, _z: (
        f"Closed: {_CLOSED.get(f.get('outcome', ''), 'done')}"
        + (f" — {f['note']}" if f.get("note") else "")
        + "."
    ),
    "contact.reopened": lambda _f, _z: "Reopened.",
    "outreach.requested": lambda _f, _z: "You chose to write to them.",
    "outreach.drafted": lambda _f, _z: "A first message was prepared for your review.",
    "nudge.drafted": lambda _f, _z: "A reminder was prepared for your review.",
    "thank_you.drafted": lambda _f, _z: "A thank-you was prepared for your review.",
    "referrer_thanks.drafted": lambda _f, _z: "A thanks to their referrer was prepared.",
    "keep_in_touch.drafted": lambda _f, _z: "A keep-in-touch note was prepared.",
    "draft.updated": lambda _f, _z: "You edited a draft.",
    "draft.discarded": lambda f, _z: (
        "A draft was dropped: " + _DISCARDED.get(f.get("reason", ""), "discarded") + "."
    ),
    "outreach.sent": lambda f, _z: f"You wrote to them: “{f.get('subject') or '(no subject)'}”.",
    "nudge.sent": lambda _f, _z: "You sent a gentle reminder.",
    "contact.thanked": lambda _f, _z: "You thanked them.",
    "referrer.thanked": lambda _f, _z: "You thanked them for an introduction.",
    "kept_in_touch": lambda _f, _z: "You kept in touch.",
    "reply.received": _reply,
    "outreach.no_response": lambda _f, _z: "No answer after the reminders; nothing more is sent.",
    "meeting.scheduled": lambda f, z: f"A meeting was set for {_time(f.get('start'), z)}.",
    "meeting.rescheduled": lambda f, z: f"The meeting moved to {_time(f.get('start'), z)}.",
    "meeting.confirmed": lambda _f, _z: "The meeting was confirmed to them.",
    "meeting.cancelled": lambda _f, _z: "The meeting was cancelled.",
    "meeting.declined": lambda _f, _z: "They declined the meeting.",
    "meeting.met": lambda _f, _z: "You met.",
    "meeting.no_show": lambda _f, _z: "They did not come to the meeting.",
    "notes.recorded": lambda _f, _z: "You wrote notes.",
    "contact.forgotten": lambda _f, _z: "Their personal details were forgotten.",
    "times.offered": lambda _f, _z: "A reply offering times to meet was prepared for your review.",
    "times.sent": lambda _f, _z: "You offered them times to meet.",
    "times.answered": _times_answer,
    "confirmation_ask.drafted": lambda _f, _z: "A note asking where to meet was prepared.",
    "confirmation_ask.sent": lambda _f, _z: "You asked them where to meet.",
    "decline_thanks.drafted": lambda _f, _z: "A thank-you for their answer was prepared.",
    "decline_thanks.sent": lambda _f, _z: "You thanked them for their answer.",
    "meeting.details_changed": lambda _f, _z: "The meeting's place or link changed.",
    "outcome.recorded": lambda _f, _z: "You noted something you did thanks to them.",
}


def moment(d: Decoded, zone: str) -> Moment | None:
    say = SENTENCES.get(d.stored.type)
    if say is None:
        return None
    fields = d.event.fields()
    excerpt = ""
    if d.stored.type == "reply.received" and fields.get("kind", "reply") == "reply":
        excerpt = str(fields.get("excerpt") or "")
    if d.stored.type == "notes.recorded":
        excerpt = str(fields.get("text") or "")
    sentence = say(fields, zone)
    if d.forgotten:
        sentence += " (personal details forgotten)"
    at = d.stored.occurred_at
    return Moment(at=at, when=local_time(at, zone), sentence=sentence, excerpt=excerpt)


def timeline(entries: list[Decoded], zone: str) -> list[Moment]:
    """The contact's history (`ContactBook.history`), newest first, times in `zone`."""
    found = (moment(d, zone) for d in entries)
    return sorted((m for m in found if m is not None), key=lambda m: m.at, reverse=True)

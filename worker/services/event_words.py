"""What each event of a contact's log says happened, in the user's words: the one table
behind `outreach history` (clauses, as a list reads them) and a person's timeline on the
page (the same words as sentences). Two tables told the same events differently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from events.projections.pipeline import day_words
from events.types import EventType
from worker.domain.wording import draft_kind_words
from worker.services.local_time import local_time

Fields = dict[str, Any]


@dataclass(frozen=True)
class Telling:
    """What the words need besides the event: the user's zone, and the names of the
    people an event points to (who introduced them, the record merged in)."""

    zone: str
    names: Mapping[str, str] = field(default_factory=dict)


Say = Callable[[Fields, Telling], str]

#: Said after an event whose personal fields were shredded (the contact forgotten).
FORGOTTEN: Final = " (personal details forgotten)"

_DISCARDED: Final[dict[str, str]] = {
    "user": "you discarded it",
    "deleted_in_mailbox": "it was deleted in your mailbox",
    "superseded_by_reply": "they replied first",
    "contact_forgotten": "the contact was forgotten",
    "meeting_settled": "no need to ask where any more, the meeting has its place or link",
}
_CLOSED: Final[dict[str, str]] = {"declined": "they declined", "not_now": "not now", "done": "done"}
_ADDED_FROM: Final[dict[str, str]] = {
    "linkedin": "from your LinkedIn export",
    "google": "from your Google contacts",
    "outlook": "from your Outlook contacts",
    "vcard": "from a vCard file",
    "csv": "from a contacts file",
}
_REPLY: Final[dict[str, str]] = {
    "reply": "they replied",
    "out_of_office": "an automatic out-of-office answer came",
    "auto_reply": "an automatic answer came",
    "bounce": "your message could not be delivered",
}
_TIMES_ANSWER: Final[dict[str, str]] = {
    "chosen": "they chose time {n} of those offered",
    "taken": "they chose time {n}, booked for something else since",
    "declined": "their answer about times reads as a no",
}


def discard_words(reason: str) -> str:
    """Why a draft was dropped, in words (a reason from a newer release: its name)."""
    return _DISCARDED.get(reason, reason.replace("_", " "))


def _subject(f: Fields) -> str:
    return f": “{f['subject']}”" if f.get("subject") else ""


def _at(value: Any, zone: str) -> str:
    return local_time(value.isoformat() if isinstance(value, datetime) else str(value), zone)


def _drafted(kind: str) -> Say:
    words = draft_kind_words(kind)
    article = "an" if words[0] in "aeiou" else "a"
    return lambda f, _t: f"{article} {words} was prepared for your review{_subject(f)}"


def _sent(kind: str) -> Say:
    return lambda f, _t: f"your {draft_kind_words(kind)} was sent{_subject(f)}"


def _added(f: Fields, t: Telling) -> str:
    if f.get("source") == "referral":
        how = f"introduced by {t.names.get(str(f.get('referred_by') or ''), 'a contact')}"
    else:
        how = _ADDED_FROM.get(str(f.get("source")), "by you")
    return f"added to your contacts {how}" + (f" as {f['name']}" if f.get("name") else "")


def _updated(f: Fields, _t: Telling) -> str:
    changed = [k.replace("_", " ") for k, v in f.items() if k != "contact_id" and v is not None]
    return f"you corrected their {', '.join(changed) or 'details'}"


def _closed(f: Fields, _t: Telling) -> str:
    if f.get("outcome") == "complained":  # closed by the sync, not by the user
        return "they reported your message as spam: closed, nothing more goes to them"
    note = f" — {f['note']}" if f.get("note") else ""
    return f"you closed this contact: {_CLOSED.get(str(f.get('outcome')), 'closed')}{note}"


def _reply(f: Fields, _t: Telling) -> str:
    kind = str(f.get("kind") or "reply")
    text = _REPLY.get(kind, "they replied")
    if kind != "bounce":
        text += _subject(f)
    if f.get("return_date"):
        text += f" (away until {day_words(str(f['return_date']))})"
    return text


def _times_answer(f: Fields, _t: Telling) -> str:
    said = _TIMES_ANSWER.get(str(f.get("outcome")), "they answered about times")
    return said.format(n=f.get("choice"))


def _cancelled(f: Fields, _t: Telling) -> str:
    return "they cancelled the meeting" if f.get("by") == "contact" else "you cancelled the meeting"


#: One clause per event type of a contact's story (every `ContactEvent`; the accounts'
#: and the daily summary's are no part of it): tests/worker/test_event_words.py checks it.
WORDS: Final[dict[EventType, Say]] = {
    "contact.added": _added,
    "contact.updated": _updated,
    "contact.merged": lambda f, t: (
        f"{t.names.get(str(f['contact_id']), 'a duplicate')}'s record was merged into this one"
    ),
    "contact.closed": _closed,
    "contact.reopened": lambda _f, _t: "you reopened this contact",
    "contact.forgotten": lambda _f, _t: "their personal details were forgotten",
    "outreach.requested": lambda _f, _t: "you chose to write to them",
    "outreach.drafted": _drafted("outreach"),
    "nudge.drafted": _drafted("nudge"),
    "thank_you.drafted": _drafted("thank_you"),
    "referrer_thanks.drafted": _drafted("referrer_thanks"),
    "keep_in_touch.drafted": _drafted("keep_in_touch"),
    "times.offered": _drafted("propose_times"),
    "confirmation_ask.drafted": _drafted("confirmation_ask"),
    "decline_thanks.drafted": _drafted("decline_thanks"),
    "draft.updated": lambda f, _t: f"a draft was edited{_subject(f)}",
    "draft.discarded": lambda f, _t: (
        f"a draft was dropped: {discard_words(str(f.get('reason') or 'discarded'))}"
    ),
    "outreach.sent": _sent("outreach"),
    "nudge.sent": _sent("nudge"),
    "contact.thanked": _sent("thank_you"),
    "referrer.thanked": _sent("referrer_thanks"),
    "kept_in_touch": _sent("keep_in_touch"),
    "times.sent": _sent("propose_times"),
    "confirmation_ask.sent": _sent("confirmation_ask"),
    "decline_thanks.sent": _sent("decline_thanks"),
    "reply.received": _reply,
    "times.answered": _times_answer,
    "outreach.no_response": lambda _f, _t: "no answer after the last nudge: nothing more is sent",
    "meeting.scheduled": lambda f, t: f"a meeting was set for {_at(f.get('start'), t.zone)}",
    "meeting.rescheduled": lambda f, t: f"the meeting moved to {_at(f.get('start'), t.zone)}",
    "meeting.details_changed": lambda _f, _t: "the meeting's place or link changed",
    "meeting.confirmed": lambda _f, _t: "the meeting confirmation was sent",
    "meeting.cancelled": _cancelled,
    "meeting.declined": lambda _f, _t: "they declined the meeting",
    "meeting.met": lambda _f, _t: "you met",
    "meeting.no_show": lambda _f, _t: "they did not come to the meeting",
    "notes.recorded": lambda _f, _t: "you wrote notes on the meeting",
    "outcome.recorded": lambda _f, _t: "you noted something you did thanks to them",
    "action.skipped": lambda f, _t: (
        f"not done ({str(f.get('action', '')).replace('_', ' ')}): {f.get('reason', '')}"
    ),
    "action.failed": lambda f, _t: (
        f"failed ({str(f.get('action', '')).replace('_', ' ')}): {f.get('error', '')}"
    ),
}

_BY_NAME: Final[dict[str, Say]] = {str(k): v for k, v in WORDS.items()}


def told(type_: str, fields: Fields, telling: Telling) -> str:
    """The event in words, lower case (a type from a newer release: its name in words)."""
    say = _BY_NAME.get(type_)
    return say(fields, telling) if say else type_.replace(".", " ").replace("_", " ")


def as_sentence(clause: str) -> str:
    """A clause as a sentence of its own: capitalised, with its full stop."""
    if not clause:
        return clause
    end = "" if clause.endswith((".", "!", "?")) else "."
    return clause[0].upper() + clause[1:] + end

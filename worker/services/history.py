"""A contact's log told in sentences, times in the user's zone (`outreach history`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from events.codec import Decoded
from events.projections.pipeline import ContactRow, day_words
from worker.domain.wording import draft_kind_words
from worker.services.contacts import ContactBook
from worker.services.people import local_time

_DISCARDED = {
    "user": "you discarded it",
    "deleted_in_mailbox": "it was deleted in the mailbox",
    "superseded_by_reply": "their reply made it unnecessary",
    "contact_forgotten": "the contact was forgotten",
}
_REPLY = {
    "reply": "they replied",
    "out_of_office": "an automatic out-of-office answer came",
    "auto_reply": "an automatic answer came",
    "bounce": "the message bounced",
}
_CLOSED = {"declined": "they declined", "not_now": "not now", "done": "done"}


def _subject(f: dict[str, Any]) -> str:
    return f": “{f['subject']}”" if f.get("subject") else ""


def _drafted(kind: str) -> Callable[[dict[str, Any]], str]:
    words = draft_kind_words(kind)
    article = "an" if words[0] in "aeiou" else "a"
    return lambda f: f"{article} {words} was drafted for your review{_subject(f)}"


def _sent(kind: str) -> Callable[[dict[str, Any]], str]:
    return lambda f: f"your {draft_kind_words(kind)} was sent{_subject(f)}"


def _reply(f: dict[str, Any]) -> str:
    text = _REPLY.get(str(f.get("kind")), "they replied") + _subject(f)
    if f.get("return_date"):
        text += f" (back on {day_words(str(f['return_date']))})"
    return text


def _closed(f: dict[str, Any]) -> str:
    if f.get("outcome") == "complained":  # closed by the sync, not by the user
        return "they reported your message as spam: closed, nothing more goes to them"
    note = f" — {f['note']}" if f.get("note") else ""
    return f"you closed this contact: {_CLOSED.get(str(f.get('outcome')), 'closed')}{note}"


def _updated(f: dict[str, Any]) -> str:
    changed = [k.replace("_", " ") for k, v in f.items() if k != "contact_id" and v is not None]
    return f"you corrected their {', '.join(changed) or 'details'}"


#: One sentence per event type; the rest fall back to the type in words.
_SENTENCES: dict[str, Callable[[dict[str, Any]], str]] = {
    "contact.updated": _updated,
    "contact.closed": _closed,
    "contact.reopened": lambda f: "you reopened this contact",
    "contact.forgotten": lambda f: "you had their personal data forgotten",
    "outreach.requested": lambda f: "you chose to write to them",
    "outreach.drafted": _drafted("outreach"),
    "nudge.drafted": _drafted("nudge"),
    "thank_you.drafted": _drafted("thank_you"),
    "referrer_thanks.drafted": _drafted("referrer_thanks"),
    "keep_in_touch.drafted": _drafted("keep_in_touch"),
    "decline_thanks.drafted": _drafted("decline_thanks"),
    "draft.updated": lambda f: f"a draft was edited{_subject(f)}",
    "draft.discarded": lambda f: f"a draft was dropped: {_DISCARDED.get(f['reason'], f['reason'])}",
    "outreach.sent": _sent("outreach"),
    "nudge.sent": _sent("nudge"),
    "contact.thanked": _sent("thank_you"),
    "referrer.thanked": _sent("referrer_thanks"),
    "kept_in_touch": _sent("keep_in_touch"),
    "decline_thanks.sent": _sent("decline_thanks"),
    "reply.received": _reply,
    "outreach.no_response": lambda f: "no answer after the last nudge: nothing more is sent",
    "meeting.confirmed": lambda f: "the meeting confirmation was sent",
    "meeting.cancelled": lambda f: f"the meeting was cancelled (by {f.get('by', 'you')})",
    "meeting.declined": lambda f: "they declined the meeting",
    "meeting.met": lambda f: "you met",
    "meeting.no_show": lambda f: "they did not come to the meeting",
    "notes.recorded": lambda f: "you wrote notes on the meeting",
    "action.skipped": lambda f: f"not done ({f['action'].replace('_', ' ')}): {f['reason']}",
    "action.failed": lambda f: f"failed ({f['action'].replace('_', ' ')}): {f['error']}",
}


def sentences(book: ContactBook, entries: list[Decoded]) -> list[dict[str, str]]:
    zone = book.app.settings.policy.time_zone
    # The rows these events name, the merged-away ones included: their names tell what
    # was merged (one read by key).
    named = set()
    for d in entries:
        f = d.event.fields()
        if d.stored.type == "contact.added" and f.get("referred_by"):
            named.add(str(f["referred_by"]))
        elif d.stored.type == "contact.merged":
            named.add(str(f["contact_id"]))
    rows = book.app.projector.find(ContactRow, contact_id=sorted(named)) if named else []
    names = {r.contact_id: r.name or "?" for r in rows}
    out = []
    for d in entries:
        f = d.event.fields()
        t = d.stored.type
        if t == "contact.added":
            how = {
                "linkedin": "from your LinkedIn export",
                "google": "from your Google contacts",
                "outlook": "from your Outlook contacts",
                "vcard": "from a vCard file",
                "csv": "from a contacts file",
                "referral": f"introduced by {names.get(f.get('referred_by') or '', 'a contact')}",
            }.get(str(f.get("source")), "by you")
            text = f"added to your contacts {how}" + (f" as {f['name']}" if f.get("name") else "")
        elif t == "contact.merged":
            text = f"{names.get(f['contact_id'], 'a duplicate')}'s record was merged into this one"
        elif t in ("meeting.scheduled", "meeting.rescheduled"):
            verb = "set" if t == "meeting.scheduled" else "moved"
            text = f"a meeting was {verb} for {local_time(f['start'].isoformat(), zone)}"
        else:
            make = _SENTENCES.get(t)
            text = make(f) if make else t.replace(".", " ").replace("_", " ")
        if d.forgotten:
            text += " [personal data forgotten]"
        out.append({"when": local_time(d.stored.occurred_at.isoformat(), zone), "sentence": text})
    return out

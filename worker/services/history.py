"""A contact's log told in clauses, times in the user's zone (`outreach history`); the
words are worker/services/event_words.py's, as the page's timeline says them."""

from __future__ import annotations

from events.codec import Decoded
from events.projections.pipeline import ContactRow
from worker.services.contacts import ContactBook
from worker.services.event_words import FORGOTTEN, Telling, told
from worker.services.local_time import local_time


def telling_for(book: ContactBook, entries: list[Decoded]) -> Telling:
    """The user's zone, and the names of the people these events point to: whoever
    introduced the contact, the records merged in (the merged-away ones included; one
    read by key)."""
    named = set()
    for d in entries:
        f = d.event.fields()
        if d.stored.type == "contact.added" and f.get("referred_by"):
            named.add(str(f["referred_by"]))
        elif d.stored.type == "contact.merged":
            named.add(str(f["contact_id"]))
    rows = book.app.projector.find(ContactRow, contact_id=sorted(named)) if named else []
    names = {r.contact_id: r.name or "?" for r in rows}
    return Telling(book.app.settings.policy.time_zone, names)


def sentences(book: ContactBook, entries: list[Decoded]) -> list[dict[str, str]]:
    telling = telling_for(book, entries)
    out = []
    for d in entries:
        text = told(d.stored.type, d.event.fields(), telling)
        if d.forgotten:
            text += FORGOTTEN
        when = local_time(d.stored.occurred_at.isoformat(), telling.zone)
        out.append({"when": when, "sentence": text})
    return out

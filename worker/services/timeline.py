"""A person's history from the log, in sentences a user reads (the page's timeline)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from events.codec import Decoded
from worker.services.event_words import FORGOTTEN, Telling, as_sentence, told


@dataclass(frozen=True)
class Moment:
    at: datetime
    #: When, written in the user's zone ("Mon 2 Mar 2026, 09:00 GMT").
    when: str
    sentence: str
    #: What the contact wrote, shown under the sentence (a reply's excerpt).
    excerpt: str = ""


#: Bookkeeping the page leaves out: a failed attempt is retried and told once it is done
#: or skipped (`outreach history` lists every attempt).
LEFT_OUT: Final[frozenset[str]] = frozenset({"action.failed"})


def local_time(at: datetime, zone: str) -> str:
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M %Z}"


def moment(d: Decoded, telling: Telling) -> Moment | None:
    if d.stored.type in LEFT_OUT:
        return None
    fields = d.event.fields()
    excerpt = ""
    if d.stored.type == "reply.received" and fields.get("kind", "reply") == "reply":
        excerpt = str(fields.get("excerpt") or "")
    if d.stored.type == "notes.recorded":
        excerpt = str(fields.get("text") or "")
    sentence = as_sentence(told(d.stored.type, fields, telling))
    if d.forgotten:
        sentence = sentence.removesuffix(".") + FORGOTTEN + "."
    at = d.stored.occurred_at
    return Moment(at=at, when=local_time(at, telling.zone), sentence=sentence, excerpt=excerpt)


def timeline(entries: list[Decoded], telling: Telling) -> list[Moment]:
    """The contact's history (`ContactBook.history`), newest first, in the words of
    `outreach history` (worker/services/event_words.py) as sentences."""
    # Newest first; of events at the same moment, the later in the log first.
    found = [(m.at, n, m) for n, d in enumerate(entries) if (m := moment(d, telling))]
    return [m for _at, _n, m in sorted(found, key=lambda t: (t[0], t[1]), reverse=True)]

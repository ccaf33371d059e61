"""Notes after a meeting, and the referrals named in them ("Name <email>")."""

from __future__ import annotations

import re

from events.entry import Entry
from events.ids import random_id
from events.projections.meetings import MeetingRow
from events.types import ContactAdded, NotesRecorded
from worker.domain.addresses import check_address, check_text
from worker.services.contacts import ContactBook

# A name is the last few words before "<address>", after any sentence punctuation:
# "Loved it. Talk to Alan Turing <alan@x.org>" names Alan Turing, not the sentence.
_REFERRAL = re.compile(
    r"(?P<name>(?:[^\W\d_][\w'’.-]*\s+){0,3}[^\W\d_][\w'’.-]*)\s*<(?P<email>[^<>\s]+)>"
)
_LEAD_WORDS = {"talk", "to", "with", "ask", "contact", "meet", "email", "write", "and", "also"}


def referrals_in(text: str) -> list[tuple[str, str]]:
    """Every "Name <email>" in the text, validated (line and column named on error)."""
    found = []
    for match in _REFERRAL.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        where = f"notes line {line}"
        words = match["name"].split()
        # A word closing a sentence ("engines.") ends the text before the name; an
        # initial ("M.") does not.
        ends = [i for i, w in enumerate(words[:-1]) if w[-1] in ".!?" and len(w) > 2]
        if ends:
            words = words[ends[-1] + 1 :]
        while len(words) > 1 and words[0].lower() in _LEAD_WORDS:
            words = words[1:]
        name = check_text(" ".join(words), f"{where}: name", required=True)
        found.append((name, check_address(match["email"], f"{where}: email")))
    return found


def record_notes(book: ContactBook, ref: str, text: str) -> list[str]:
    """Record notes on a contact; each new referral becomes a contact referred by them.

    Returns the names of the contacts added. A referral whose address is already
    known is noted but not added twice.
    """
    contact = book.resolve(ref)
    referrals = referrals_in(text)
    known = {e.lower() for c in book.all() for e in c.emails}
    meetings = [
        m for m in book.app.projector.rows(MeetingRow) if m.contact_id == contact.contact_id
    ]
    meeting_id = max(meetings, key=lambda m: m.start).meeting_id if meetings else None
    entries = [
        Entry(
            NotesRecorded(
                contact_id=contact.contact_id,
                meeting_id=meeting_id,
                text=text,
                referrals=[{"name": n, "email": e} for n, e in referrals],
            )
        )
    ]
    added = []
    for name, email in referrals:
        if email.lower() in known:
            continue
        known.add(email.lower())
        added.append(name)
        entries.append(
            Entry(
                ContactAdded(
                    contact_id=random_id(),
                    name=name,
                    emails=[email],
                    how_we_know=f"introduced by {contact.name}",
                    referred_by=contact.contact_id,
                    source="referral",
                )
            )
        )
    book.app.journal.record_all(entries)
    return added

"""Notes after a meeting (what stayed with the user, the referrals named in them as
"Name <email>", whether to keep in touch), outcomes of a contact's advice, and reading
them back for the messages that quote them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from events.entry import Entry
from events.ids import random_id
from events.projections.meetings import MeetingRow
from events.types import ContactAdded, NotesRecorded, OutcomeRecorded
from worker.domain.addresses import InvalidInput, check_text
from worker.domain.names import fold
from worker.domain.referral_text import read_referrals
from worker.services.app import App
from worker.services.contacts import ContactBook

MAX_SENTENCE = 600  # a takeaway or an update is a sentence or two, quoted in a message


def referrals_in(text: str) -> list[tuple[str, str]]:
    """Every person named with an address in the text (worker.domain.referral_text)."""
    return [(r.name, r.email) for r in read_referrals(text).found if r.email]


@dataclass(frozen=True)
class Notes:
    """What the user wrote after a meeting (all optional but one)."""

    text: str = ""
    takeaway: str = ""
    went: str = ""
    keep_in_touch: bool | None = None
    how: str = ""
    every_weeks: int | None = None

    def checked(self) -> Notes:
        """The notes with each field checked (one-line errors naming the field)."""
        takeaway = _sentence(self.takeaway, "notes: takeaway")
        went = _sentence(self.went, "notes: how it went")
        how = check_text(self.how, "notes: how to keep in touch", max_len=200) or ""
        if self.every_weeks is not None and not 1 <= self.every_weeks <= 104:
            raise InvalidInput("notes: --every must be between 1 and 104 weeks")
        if not (self.text.strip() or takeaway or went or self.keep_in_touch is not None):
            raise InvalidInput("notes: empty; nothing recorded")
        return Notes(self.text.strip(), takeaway, went, self.keep_in_touch, how, self.every_weeks)


def _sentence(value: str, where: str) -> str:
    """A sentence the user wrote, to be quoted: one line, ending like a sentence."""
    text = " ".join(value.split())
    if not text:
        return ""
    checked = check_text(text, where, max_len=MAX_SENTENCE) or ""
    return checked if checked[-1] in ".!?…\"'”)" else checked + "."


def record_notes(book: ContactBook, ref: str, notes: Notes | str) -> list[str]:
    """Record notes on a contact; each new referral becomes a contact referred by them.

    Returns the names of the contacts added. A referral whose address is already
    known is noted but not added twice.
    """
    notes = (Notes(text=notes) if isinstance(notes, str) else notes).checked()
    text = notes.text
    contact = book.resolve(ref)
    # Named with an address, or without one yet (an open referral: `contacts edit` adds it).
    referrals = [
        (r.name, r.email, r.company)
        for r in read_referrals(text, not_them=[contact.name or ""]).found
    ]
    known = {e.lower() for c in book.all() for e in c.emails}
    known_names = {fold(c.name or "") for c in book.all()}
    meetings = book.app.projector.find(MeetingRow, contact_id=contact.contact_id)
    meeting_id = max(meetings, key=lambda m: m.start).meeting_id if meetings else None
    entries = [
        Entry(
            NotesRecorded(
                contact_id=contact.contact_id,
                meeting_id=meeting_id,
                text=text,
                referrals=[{"name": n, "email": e} for n, e, _ in referrals],
                takeaway=notes.takeaway,
                went=notes.went,
                keep_in_touch=notes.keep_in_touch,
                how=notes.how,
                every_weeks=notes.every_weeks,
            )
        )
    ]
    added = []
    for name, email, company in referrals:
        if (email.lower() in known) if email else (fold(name) in known_names):
            continue
        known.add((email or "").lower())
        known_names.add(fold(name))
        added.append(name)
        entries.append(
            Entry(
                ContactAdded(
                    contact_id=random_id(),
                    name=name,
                    emails=[email] if email else [],
                    company=company,
                    how_we_know=f"introduced by {contact.name}",
                    referred_by=contact.contact_id,
                    source="referral",
                )
            )
        )
    book.app.journal.record_all(entries)
    return added


def record_advice_outcome(book: ContactBook, ref: str, text: str) -> None:
    """Something the user did thanks to this contact's advice ("read Inspired")."""
    contact = book.resolve(ref)
    what = check_text(" ".join(text.split()), "notes: outcome", max_len=300, required=True)
    book.app.journal.record(OutcomeRecorded(contact_id=contact.contact_id, text=what or ""))


# --- reading them back (the messages quote them) -------------------------------------


@dataclass(frozen=True)
class MeetingNotes:
    """The notes on one meeting, merged: the latest of each field the user gave."""

    takeaway: str = ""
    went: str = ""
    referrals: list[str] = field(default_factory=list)  # names, in the order given


def notes_on(app: App, contact_id: str, meeting_id: str | None) -> MeetingNotes:
    """What the user wrote about this meeting (about any, when `meeting_id` is None)."""
    takeaway = went = ""
    names: list[str] = []
    for decoded in app.journal.contact_history(contact_id):
        event = decoded.event
        if not isinstance(event, NotesRecorded) or decoded.forgotten:
            continue
        if meeting_id is not None and event.meeting_id != meeting_id:
            continue
        takeaway = event.takeaway or takeaway
        went = event.went or went
        for referral in event.referrals:
            name = str(referral.get("name") or "")
            if name and name not in names:
                names.append(name)
    return MeetingNotes(takeaway, went, names)


def outcomes_since(app: App, contact_id: str, since: str | None) -> list[str]:
    """Outcomes of this contact's advice recorded after `since` (not yet told them)."""
    after = datetime.fromisoformat(since) if since else None
    return [
        d.event.text
        for d in app.journal.contact_history(contact_id)
        if isinstance(d.event, OutcomeRecorded)
        and not d.forgotten
        and (after is None or d.stored.occurred_at > after)
    ]


def and_join(items: list[str]) -> str:
    """ "A", "A and B", "A, B and C": names and phrases as a sentence lists them."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --- the notes form (what `outreach notes` opens in the editor) ----------------------

FORM = """\
# Notes on {name}, after your meeting. Lines starting with # are left out.
#
# What stayed with you, as you would say it to {first} (your thank-you quotes it):
Takeaway:
#
# How it went, in a sentence for whoever introduced you (their update quotes it):
Went:
#
# May you keep in touch (yes or no), and how they would like it:
Keep in touch:
How:
#
# Your own notes (kept private). Name referrals as "Name <email>": each becomes a
# contact introduced by {name}, and your thank-you names them.

"""
_FIELD = re.compile(r"^(takeaway|went|keep in touch|how)[ \t]*:[ \t]*(.*)$", re.I)


def yes_no(value: str, where: str) -> bool | None:
    """yes/no as people type it; empty: not said."""
    word = value.strip().lower()
    if not word:
        return None
    if word in ("yes", "y", "true", "ok", "sure"):
        return True
    if word in ("no", "n", "false", "never"):
        return False
    raise InvalidInput(f"{where}: say yes or no, not {value.strip()!r}")


def parse_form(text: str) -> Notes:
    """The notes form as the user left it: the labelled lines, the rest as free text."""
    fields: dict[str, str] = {}
    free: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.lstrip().startswith("#"):
            continue
        match = _FIELD.match(line.strip())
        if match and match[1].lower() not in fields:
            fields[match[1].lower()] = match[2].strip()
            continue
        free.append(line)
    keep = yes_no(fields.get("keep in touch", ""), "notes: Keep in touch")
    return Notes(
        text="\n".join(free).strip(),
        takeaway=fields.get("takeaway", ""),
        went=fields.get("went", ""),
        keep_in_touch=keep,
        how=fields.get("how", ""),
    )

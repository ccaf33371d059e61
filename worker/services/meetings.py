"""Meetings from the user's side: saying it took place (or not), and the briefing before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from events.ids import derive_id, new_id
from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.types import MeetingMet, MeetingNoShow
from worker.domain.addresses import InvalidInput
from worker.services.contacts import ContactBook, is_listed

#: From the guides (docs on informational interviews): what is not found online. Never
#: a question about openings: asking for a job turns a would-be ally into an assessor.
QUESTIONS = (
    "How did your career path lead you to this field, and how did you get your start?",
    "What does a typical day or week look like for you?",
    "What do you find most challenging about your work, and what is most rewarding?",
    "What prepared you best for this role?",
    "What surprised you most when you started?",
    "Which skills or certificates would you recommend to someone entering the field?",
    "What would you tell your past self at the start of your career?",
    "What is working at {company} like?",
    "Who else should I talk to, and would you be willing to introduce me?",
)


@dataclass(frozen=True)
class MeetingOutcome:
    contact: ContactRow
    meeting: MeetingRow
    what: str  # "met", "no-show", "already met", "already a no-show"
    drafts_waiting: list[DraftRow]


def latest_meeting(book: ContactBook, contact: ContactRow) -> MeetingRow | None:
    meetings = book.app.projector.find(MeetingRow, contact_id=contact.contact_id)
    return max(meetings, key=lambda m: m.start) if meetings else None


def record_outcome(book: ContactBook, ref: str, *, no_show: bool = False) -> MeetingOutcome:
    """Record that the contact's latest meeting took place, or that they did not come.

    A no-show corrects an earlier "met" (the worker marks a meeting met when it ends);
    "met" corrects a no-show. Saying it again records nothing.
    """
    contact = book.resolve(ref)
    meeting = latest_meeting(book, contact)
    if meeting is None:
        raise InvalidInput(f"{contact.name}: no meeting in the log")
    if meeting.status in ("cancelled", "declined"):
        raise InvalidInput(f"{contact.name}: the latest meeting was {meeting.status}")
    if datetime.fromisoformat(meeting.start) > book.app.clock.now():
        raise InvalidInput(f"{contact.name}: the meeting has not started yet ({meeting.start})")
    wanted = "no_show" if no_show else "met"
    label = "no-show" if no_show else "met"
    waiting = book.app.projector.find(DraftRow, meeting_id=meeting.meeting_id, status="pending")
    if meeting.status == wanted:
        return MeetingOutcome(contact, meeting, f"already {label}", waiting)
    if no_show:
        event: MeetingMet | MeetingNoShow = MeetingNoShow(
            contact_id=contact.contact_id, meeting_id=meeting.meeting_id
        )
        event_id = new_id()
    else:
        event = MeetingMet(contact_id=contact.contact_id, meeting_id=meeting.meeting_id)
        # While still scheduled this is the fact the worker records when the meeting
        # ends: the same id makes its later run find it done. A correction is new.
        scheduled = meeting.status == "scheduled"
        event_id = derive_id("action", f"met:{meeting.meeting_id}") if scheduled else new_id()
    book.app.journal.record(event, event_id=event_id)
    return MeetingOutcome(contact, meeting, label, waiting)


def _when(start: str, end: str, zone: str) -> dict[str, Any]:
    begins = datetime.fromisoformat(start).astimezone(ZoneInfo(zone))
    minutes = int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())
    return {
        "text": f"{begins:%A %d %B %Y, %H:%M} {zone} ({begins:%Z})",
        "minutes": minutes // 60,
    }


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def briefing(book: ContactBook, ref: str) -> dict[str, Any]:
    """Who they are, how you know them, the meeting, the thread so far, what to ask."""
    app = book.app
    contact = book.resolve(ref)
    zone = app.settings.policy.time_zone
    referrer = None
    if contact.referred_by:
        found = app.projector.get(ContactRow, contact.referred_by)
        referrer = found.name if found is not None and is_listed(found) else None
    meeting = latest_meeting(book, contact)
    meeting_info: dict[str, Any] | None = None
    if meeting is not None:
        when = _when(meeting.start, meeting.end, zone)
        meeting_info = {
            "status": meeting.status,
            "start": meeting.start,
            "when": when["text"],
            "minutes": when["minutes"],
            "their_time": (
                _when(meeting.start, meeting.end, meeting.time_zone)["text"]
                if meeting.time_zone and meeting.time_zone != zone
                else None
            ),
            "place": meeting.place or "",
            "confirmed": meeting.confirmed_for_start == meeting.start,
        }
    thread: list[dict[str, Any]] = []
    notes: list[str] = []
    for d in app.journal.contact_history(contact.contact_id):
        f = d.event.fields()
        t = d.stored.type
        if t == "reply.received":
            thread.append(
                {
                    "at": _iso(f["received_at"]),
                    "from": "them" if f["kind"] == "reply" else f"them ({f['kind']})",
                    "subject": f["subject"],
                    "excerpt": f["excerpt"],
                }
            )
        elif "sent_at" in f and "draft_id" in f:  # a message of ours that went out
            thread.append(
                {"at": _iso(f["sent_at"]), "from": "you", "subject": f["subject"], "excerpt": ""}
            )
        elif t == "notes.recorded" and f["text"]:
            notes.append(f["text"])
    company = contact.company or "your organisation"
    return {
        "contact_id": contact.contact_id,
        "name": contact.name,
        "role": contact.role,
        "company": contact.company,
        "emails": contact.emails,
        "url": contact.url,
        "how_we_know": contact.how_we_know,
        "referred_by": referrer,
        "stage": contact.stage,
        "meeting": meeting_info,
        "thread": sorted(thread, key=lambda m: m["at"]),
        "notes": notes,
        "questions": [q.format(company=company) for q in QUESTIONS],
        "reminders": [
            "Be punctual and keep to the time you asked for.",
            "Take notes, or write them down right after (outreach notes CONTACT).",
            "Bring a resume, but offer it only if asked; do not ask for a job.",
        ],
    }

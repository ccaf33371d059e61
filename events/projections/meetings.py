"""Meetings: upcoming and past, with what was confirmed for which start time."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from events.projections.base import Fact, Projection, Rows, on_row
from events.projections.rows import Row

# scheduled -> (met | no_show | cancelled | declined); a reschedule keeps it scheduled.
MeetingStatus = Literal["scheduled", "cancelled", "declined", "met", "no_show"]
STATUSES: Final[tuple[MeetingStatus, ...]] = (
    "scheduled",
    "cancelled",
    "declined",
    "met",
    "no_show",
)
#: The status each ending event leaves a meeting in.
ENDED_BY: Final[dict[str, MeetingStatus]] = {
    "meeting.cancelled": "cancelled",
    "meeting.declined": "declined",
    "meeting.met": "met",
    "meeting.no_show": "no_show",
}


@dataclass(slots=True, kw_only=True)
class MeetingRow(Row):
    KEY = "meeting_id"
    TABLE = "meetings"
    INDEXED = ("due_at", "contact_id", "status")
    meeting_id: str
    contact_id: str
    account_id: str = ""
    provider_event_id: str = ""
    start: str = ""
    end: str = ""
    time_zone: str = "UTC"
    place: str | None = None
    status: MeetingStatus = "scheduled"
    scheduled_at: str = ""
    reschedules: int = 0
    confirmed_for_start: str | None = None
    confirmation_message_id: str | None = None
    confirmed_at: str | None = None
    status_at: str = ""
    #: The video call's join link, when the event has one.
    link: str | None = None
    #: The calendar is still making the video call: its link is to come.
    link_pending: bool = False
    #: The user's own answer to the event ("needsAction" until they accept an invitation).
    user_response: str = "accepted"
    #: When the user last wrote notes on this meeting (the thank-you waits for them).
    notes_at: str | None = None
    #: The next moment a policy may find work for this meeting (None: nothing until
    #: something happens); set by the worker's dater (docs/performance.md).
    due_at: str | None = None


def _forgotten(rows: Rows[MeetingRow], fact: Fact) -> None:
    # By the indexed column: a catch-up then loads this contact's meetings, not all of them.
    for row in rows.where("contact_id", [fact.payload["contact_id"]]):
        row.place = row.link = None
        rows.touch(row.meeting_id)


def _merged(rows: Rows[MeetingRow], fact: Fact) -> None:
    # One person now: their meetings follow the contact they were merged into.
    for row in rows.where("contact_id", [fact.payload["contact_id"]]):
        row.contact_id = fact.payload["into"]
        rows.touch(row.meeting_id)


def _scheduled(rows: Rows[MeetingRow], fact: Fact) -> None:
    p, at = fact.payload, fact.occurred_at
    mid = p["meeting_id"]
    rows.put(
        mid,
        MeetingRow(
            meeting_id=mid,
            contact_id=p["contact_id"],
            account_id=p.get("account_id", ""),
            provider_event_id=p.get("provider_event_id", ""),
            start=p["start"],
            end=p["end"],
            time_zone=p.get("time_zone", "UTC"),
            place=p.get("place"),
            link=p.get("link") or None,
            link_pending=bool(p.get("link_pending", False)),
            user_response=p.get("user_response", "accepted"),
            scheduled_at=at,
            status_at=at,
        ),
    )


def _noted(row: MeetingRow, fact: Fact) -> None:
    row.notes_at = fact.occurred_at


def _rescheduled(row: MeetingRow, fact: Fact) -> None:
    p = fact.payload
    row.start, row.end = p["start"], p["end"]
    row.time_zone = p.get("time_zone", row.time_zone)
    row.place = p.get("place", row.place)
    row.link = p.get("link") or None
    row.link_pending = bool(p.get("link_pending", False))
    row.user_response = p.get("user_response", row.user_response)
    row.status = "scheduled"
    row.reschedules += 1
    row.status_at = fact.occurred_at


def _details_changed(row: MeetingRow, fact: Fact) -> None:
    p = fact.payload
    row.place = p.get("place") or None
    row.link = p.get("link") or None
    row.link_pending = bool(p.get("link_pending", False))
    row.user_response = p.get("user_response", row.user_response)


def _confirmed(row: MeetingRow, fact: Fact) -> None:
    p = fact.payload
    row.confirmed_for_start = p["for_start"]
    row.confirmation_message_id = p["message_id"]
    row.confirmed_at = p.get("sent_at") or fact.occurred_at


def _ended(row: MeetingRow, fact: Fact) -> None:
    row.status = ENDED_BY[fact.type]
    row.status_at = fact.occurred_at


class Meetings(Projection[MeetingRow]):
    name = "meetings"
    row_type = MeetingRow
    handlers = MappingProxyType(
        {
            "meeting.scheduled": _scheduled,
            "meeting.rescheduled": on_row("meeting_id", _rescheduled),
            "meeting.details_changed": on_row("meeting_id", _details_changed),
            "meeting.confirmed": on_row("meeting_id", _confirmed),
            "meeting.cancelled": on_row("meeting_id", _ended),
            "meeting.declined": on_row("meeting_id", _ended),
            "meeting.met": on_row("meeting_id", _ended),
            "meeting.no_show": on_row("meeting_id", _ended),
            "notes.recorded": on_row("meeting_id", _noted),
            "contact.forgotten": _forgotten,
            "contact.merged": _merged,
        }
    )
    # The place; nothing else sealed is shown.
    personal = frozenset({"meeting.scheduled", "meeting.rescheduled", "meeting.details_changed"})

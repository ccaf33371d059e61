"""Meetings: upcoming and past, with what was confirmed for which start time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from events.projections.base import Fact, Projection, Rows
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
    #: The user's own answer to the event ("needsAction" until they accept an invitation).
    user_response: str = "accepted"
    #: When the user last wrote notes on this meeting (the thank-you waits for them).
    notes_at: str | None = None
    #: The next moment a policy may find work for this meeting (None: nothing until
    #: something happens); set by the worker's dater (docs/performance.md).
    due_at: str | None = None


class Meetings(Projection[MeetingRow]):
    name = "meetings"
    row_type = MeetingRow
    handles = frozenset(
        {
            "meeting.scheduled",
            "meeting.rescheduled",
            "meeting.details_changed",
            "meeting.confirmed",
            "meeting.cancelled",
            "meeting.declined",
            "meeting.met",
            "meeting.no_show",
            "contact.forgotten",
            "notes.recorded",
            "contact.merged",
        }
    )
    # The place; nothing else sealed is shown.
    personal = frozenset({"meeting.scheduled", "meeting.rescheduled", "meeting.details_changed"})

    def apply(self, rows: Rows[MeetingRow], fact: Fact) -> None:
        p = fact.payload
        t = fact.type
        at = fact.occurred_at
        if t == "contact.forgotten":
            for row in rows.values():
                if row.contact_id == p["contact_id"]:
                    row.place = row.link = None
                    rows.touch(row.meeting_id)
            return
        if t == "contact.merged":
            # One person now: their meetings follow the contact they were merged into.
            for row in rows.values():
                if row.contact_id == p["contact_id"]:
                    row.contact_id = p["into"]
                    rows.touch(row.meeting_id)
            return
        if t == "notes.recorded":
            noted = rows.get(p.get("meeting_id") or "")
            if noted is not None:
                noted.notes_at = at
                rows.touch(noted.meeting_id)
            return
        mid = p["meeting_id"]
        if t == "meeting.scheduled":
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
                    user_response=p.get("user_response", "accepted"),
                    scheduled_at=at,
                    status_at=at,
                ),
            )
            return
        found = rows.get(mid)
        if found is None:
            return
        row = found
        rows.touch(mid)
        if t == "meeting.rescheduled":
            row.start, row.end = p["start"], p["end"]
            row.time_zone = p.get("time_zone", row.time_zone)
            row.place = p.get("place", row.place)
            row.link = p.get("link") or None
            row.user_response = p.get("user_response", row.user_response)
            row.status = "scheduled"
            row.reschedules += 1
            row.status_at = at
        elif t == "meeting.details_changed":
            row.place = p.get("place") or None
            row.link = p.get("link") or None
            row.user_response = p.get("user_response", row.user_response)
        elif t == "meeting.confirmed":
            row.confirmed_for_start = p["for_start"]
            row.confirmation_message_id = p["message_id"]
            row.confirmed_at = p.get("sent_at") or at
        else:
            row.status = ENDED_BY[t]
            row.status_at = at

"""Google Calendar: inviting a contact without ever duplicating the event, and syncing
events (a windowed first sync, then sync tokens)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from integrations.google.client import Calls
from integrations.google.errors import GoogleRefused
from integrations.protocol import BusyTime, CalendarEventSeen, CreatedEvent, EventRequest

SYNC_CURSOR = "calendar.sync"
PAST = timedelta(days=30)
FUTURE = timedelta(days=180)
PAGE_SIZE = 250


def event_id_for(request: EventRequest) -> str:
    """A Calendar event id derived from the request, so a retry finds the first attempt.

    Google allows base32hex characters (a-v, 0-9), 5 to 1024 of them.
    """
    seed = request.request_id or "|".join(
        [request.summary, request.start.isoformat(), *sorted(request.attendees)]
    )
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return base64.b32hexencode(digest).decode("ascii").rstrip("=").lower()


def _when(moment: datetime, zone: str) -> dict[str, str]:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return {"dateTime": moment.isoformat(), "timeZone": zone}


class Events:
    """The primary calendar of one account.

    Parameters:
        calendar: the Calendar discovery client.
        calls: executes requests (quota, retries, errors).
        email: the account's address.
        now: the current time, aware.
    """

    def __init__(
        self, calendar: Any, calls: Calls, email: str, now: Callable[[], datetime]
    ) -> None:
        self.calendar = calendar
        self.calls = calls
        self.email = email
        self.now = now

    def create(self, request: EventRequest) -> CreatedEvent:
        """Insert the event with invitations sent; an earlier attempt's event is reused."""
        event_id = event_id_for(request)
        body: dict[str, Any] = {
            "id": event_id,
            "summary": request.summary,
            "start": _when(request.start, request.time_zone),
            "end": _when(request.end, request.time_zone),
            "attendees": [{"email": address} for address in request.attendees],
        }
        if request.location:
            body["location"] = request.location
        if request.description:
            body["description"] = request.description
        if request.video_call:
            # "conferenceData.createRequest: A request to generate a new conference";
            # honoured only with conferenceDataVersion=1 (Calendar API, events.insert).
            # The answer may carry it "pending", its link still to come (_link_pending).
            body["conferenceData"] = {
                "createRequest": {
                    "requestId": event_id,
                    "conferenceSolutionKey": {"type": "hangoutsMeet"},
                }
            }

        def insert() -> Any:
            return self.calendar.events().insert(
                calendarId="primary",
                body=body,
                sendUpdates="all",
                conferenceDataVersion=1 if request.video_call else 0,
            )

        try:
            created = self.calls.execute(insert)
        except GoogleRefused as error:
            # 409 duplicate: a previous attempt (maybe one whose answer was lost) made it;
            # its links are read from the event itself.
            if error.status != 409:
                raise
            created = self.calls.execute(
                lambda: self.calendar.events().get(calendarId="primary", eventId=event_id)
            )
        return created_event(created)

    def time_zone(self) -> str:
        """The primary calendar's IANA zone. Read from an events list (one item, only the
        zone field) because calendars.get and settings.get need wider scopes than the
        calendar.events this app asks for."""
        page = self.calls.execute(
            lambda: self.calendar.events().list(
                calendarId="primary", maxResults=1, fields="timeZone"
            )
        )
        return str(page.get("timeZone") or "UTC")

    def busy(self, start: datetime, end: datetime) -> list[BusyTime]:
        """Busy times of the primary calendar over [start, end) through events.list (the
        calendar.events scope we hold; freebusy.query would need calendar.readonly)."""
        found: list[BusyTime] = []
        params: dict[str, Any] = {
            "calendarId": "primary",
            "timeMin": _rfc3339(start),
            "timeMax": _rfc3339(end),
            "singleEvents": True,  # each instance of a recurring meeting takes its own time
            "maxResults": PAGE_SIZE,
        }
        while True:
            page = self._page(params, expiring=False)
            zone = str(page.get("timeZone") or "UTC")
            for item in page.get("items", []):
                taken = _busy(item, zone, self.email.lower())
                if taken is not None:
                    found.append(taken)
            token = page.get("nextPageToken")
            if not token:
                return found
            params["pageToken"] = token

    # sync ------------------------------------------------------------------------------
    def sync(self, cursors: dict[str, str], addresses: set[str]) -> list[CalendarEventSeen]:
        """Changed events involving `addresses`; updates cursors[SYNC_CURSOR] in place.
        An expired sync token (410) costs one full sync, never a loop."""
        token = cursors.get(SYNC_CURSOR)
        if token:
            try:
                items, zone, next_token = self._list(sync_token=token)
            except _Expired:
                items, zone, next_token = self._list(sync_token=None)
        else:
            items, zone, next_token = self._list(sync_token=None)
        cursors[SYNC_CURSOR] = next_token
        wanted = {a.lower() for a in addresses}
        return [seen(item, zone) for item in items if _involves(item, wanted)]

    def _list(self, sync_token: str | None) -> tuple[list[dict[str, Any]], str, str]:
        items: list[dict[str, Any]] = []
        page_token: str | None = None
        now = self.now()
        while True:
            params: dict[str, Any] = {
                "calendarId": "primary",
                "singleEvents": True,
                "maxResults": PAGE_SIZE,
                # Deleted events too, on a full list as well: after a 410 the re-list must
                # still report the meetings deleted while the token was stale (a list
                # without it omits them, and the worker would confirm a meeting that is
                # gone). Google allows showDeleted beside a syncToken.
                "showDeleted": True,
            }
            if page_token:
                params["pageToken"] = page_token
            if sync_token:
                params["syncToken"] = sync_token
            else:
                params["timeMin"] = _rfc3339(now - PAST)
                params["timeMax"] = _rfc3339(now + FUTURE)
            page = self._page(params, expiring=sync_token is not None)
            items += page.get("items", [])
            page_token = page.get("nextPageToken")
            if not page_token:
                return items, str(page.get("timeZone") or "UTC"), str(page["nextSyncToken"])

    def _page(self, params: dict[str, Any], *, expiring: bool) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = self.calls.execute(
                lambda: self.calendar.events().list(**params)
            )
        except GoogleRefused as error:
            if expiring and error.status == 410:
                raise _Expired from error
            raise
        return answer


class _Expired(Exception):
    """The sync token is too old: Google wants a full sync."""


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _involves(item: dict[str, Any], wanted: set[str]) -> bool:
    if item.get("status") == "cancelled":
        return True  # tombstones carry no attendees; the worker ignores unknown ids
    people = [_email(a) for a in item.get("attendees") or []]
    people += [_email(item.get("organizer")), _email(item.get("creator"))]
    return any(p.lower() in wanted for p in people if p)


def _email(person: Any) -> str:
    # Fields may come null, or not as documented: read defensively, never fail a sync.
    return str(person.get("email") or "") if isinstance(person, dict) else ""


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _moment(when: Any, zone: str) -> tuple[datetime | None, bool]:
    """The instant and whether it is a whole day; (None, False) when it cannot be read,
    so one malformed event is skipped instead of failing every sync pass."""
    if not isinstance(when, dict):
        return None, False
    try:
        if when.get("dateTime"):
            found = datetime.fromisoformat(str(when["dateTime"]).replace("Z", "+00:00"))
            # Shown in the event's own zone: a confirmation must say the time as it was set.
            local = _zone(str(when.get("timeZone") or zone))
            if found.tzinfo is None:
                found = found.replace(tzinfo=local)
            # In UTC too: the log stores it so (year 9999 at -12:00 cannot be).
            found.astimezone(UTC)
            return found.astimezone(local), False
        if when.get("date"):
            day = date.fromisoformat(str(when["date"]))
            return datetime.combine(day, time(), _zone(zone)), True
    except (ValueError, OverflowError):
        pass
    return None, False


def _busy(item: dict[str, Any], calendar_zone: str, me: str) -> BusyTime | None:
    """The time an event takes, or None when it takes none. Events resource: status
    "cancelled"; transparency "transparent": "The event does not block time on the
    calendar"; an attendee with "self" true is the user, and one who declined is free
    (https://developers.google.com/calendar/api/v3/reference/events)."""
    if item.get("status") == "cancelled" or item.get("transparency") == "transparent":
        return None
    for a in item.get("attendees") or []:
        mine = isinstance(a, dict) and (a.get("self") or _email(a).lower() == me)
        if mine and a.get("responseStatus") == "declined":
            return None
    start, all_day = _moment(item.get("start"), calendar_zone)
    end, _ = _moment(item.get("end"), calendar_zone)
    if start is None or end is None:
        return None
    return BusyTime(start=start, end=end, all_day=all_day)


def seen(item: dict[str, Any], calendar_zone: str) -> CalendarEventSeen:
    """A Calendar event resource as the worker sees it."""
    start_when = item.get("start")
    given_zone = start_when.get("timeZone") if isinstance(start_when, dict) else None
    # An unknown zone name would be stored with the meeting and fail whoever reads it.
    zone = str(given_zone or calendar_zone)
    zone = zone if _zone(zone).key == zone else calendar_zone
    start, all_day = _moment(start_when, zone)
    end, _ = _moment(item.get("end"), zone)
    attendees = [a for a in item.get("attendees") or [] if isinstance(a, dict)]
    return CalendarEventSeen(
        provider_event_id=str(item["id"]),
        status=str(item.get("status") or "confirmed"),
        start=start,
        end=end,
        time_zone=zone,
        all_day=all_day,
        attendees={
            _email(a).lower(): str(a.get("responseStatus") or "needsAction")
            for a in attendees
            if _email(a)
        },
        location=str(item.get("location") or ""),
        summary=str(item.get("summary") or ""),
        link=_join_link(item),
        link_pending=_link_pending(item),
    )


def created_event(item: dict[str, Any]) -> CreatedEvent:
    """An Events resource as events.insert (or events.get) returns it: "htmlLink: An
    absolute link to this event in the Google Calendar Web UI" (Events resource)."""
    return CreatedEvent(
        provider_event_id=str(item["id"]),
        calendar_link=str(item.get("htmlLink") or ""),
        link=_join_link(item),
        link_pending=_link_pending(item),
    )


def _join_link(item: dict[str, Any]) -> str:
    """The video link: `hangoutLink`, else the conference's "video" entry point ("The
    type of the conference entry point. Possible values are: video, phone, more, sip";
    Events resource, developers.google.com/calendar/api/v3/reference/events)."""
    if isinstance(item.get("hangoutLink"), str) and item["hangoutLink"]:
        return str(item["hangoutLink"])
    conference = item.get("conferenceData")
    points = conference.get("entryPoints") if isinstance(conference, dict) else None
    for point in points if isinstance(points, list) else []:
        if isinstance(point, dict) and point.get("entryPointType") == "video":
            return str(point.get("uri") or "")
    return ""


def _link_pending(item: dict[str, Any]) -> bool:
    """Whether Google is still making the event's Meet. Conferences are made
    asynchronously: "createRequest: A request to generate a new conference and attach it
    to the event. The data is generated asynchronously. To see whether the data is present
    check the status field", and statusCode "pending" is "the conference create request is
    still being processed" (ConferenceData, ConferenceRequestStatus; Events resource). An
    insert may answer so: the link comes with a later change of the event."""
    conference = item.get("conferenceData")
    request = conference.get("createRequest") if isinstance(conference, dict) else None
    status = request.get("status") if isinstance(request, dict) else None
    code = status.get("statusCode") if isinstance(status, dict) else None
    return code == "pending" and not _join_link(item)

"""Outlook calendar: creating invitations without duplicates, and events as the worker
sees them (times in the event's own zone)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from integrations.microsoft.graph import Graph
from integrations.protocol import BusyTime, CalendarEventSeen, CreatedEvent, EventRequest

# Windows zone names Outlook reports in originalStartTimeZone, mapped to IANA. Unknown
# names fall back to the zone we asked Graph to render times in.
WINDOWS_ZONES = {
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
    "GMT Standard Time": "Europe/London",
    "W. Europe Standard Time": "Europe/Berlin",
    "Central Europe Standard Time": "Europe/Budapest",
    "Central European Standard Time": "Europe/Warsaw",
    "Romance Standard Time": "Europe/Paris",
    "E. Europe Standard Time": "Europe/Chisinau",
    "FLE Standard Time": "Europe/Kiev",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "Pacific Standard Time": "America/Los_Angeles",
    "India Standard Time": "Asia/Kolkata",
    "China Standard Time": "Asia/Shanghai",
    "Tokyo Standard Time": "Asia/Tokyo",
    "AUS Eastern Standard Time": "Australia/Sydney",
}
# Graph's response values → the protocol's (Google's) vocabulary.
RESPONSES = {
    "none": "needsAction",
    "notResponded": "needsAction",
    "organizer": "accepted",
    "accepted": "accepted",
    "tentativelyAccepted": "tentative",
    "declined": "declined",
}


def transaction_id(request_id: str) -> str:
    """Graph's duplicate guard for creates: the same request always gets the same id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"outreach:event:{request_id}"))


def zone_name(name: str, fallback: str) -> str:
    """The IANA name for an IANA or Windows zone name, else `fallback`."""
    name = WINDOWS_ZONES.get(name, name)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback
    return name


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(WINDOWS_ZONES.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _local(moment: datetime, zone: str) -> dict[str, str]:
    """A dateTimeTimeZone: the wall time in the zone the meeting was set in, so Outlook
    shows it (and its recurrence rules apply) as the user meant."""
    local = moment.astimezone(_zone(zone)).replace(tzinfo=None)
    return {"dateTime": local.isoformat(timespec="seconds"), "timeZone": zone}


def parse_when(value: Any, fallback_zone: str) -> datetime | None:
    """A Graph dateTimeTimeZone (seven fractional digits, zone beside it) as aware."""
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        return None
    text = value["dateTime"]
    head, dot, fraction = text.partition(".")
    text = f"{head}.{fraction[:6]}" if dot else head
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_zone(str(value.get("timeZone") or fallback_zone)))
        # The log keeps times in UTC; one it cannot hold (9999-12-31 at -12:00) or a
        # malformed one is read as no time, so the event is skipped, not every sync failed.
        moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment


class Events:
    """Events of the mailbox's default calendar.

    Parameters:
        graph: the mailbox's Graph session.
        email: the account's address (its own answer is the event's responseStatus).
    """

    def __init__(self, graph: Graph, email: str) -> None:
        self.graph = graph
        self.email = email

    def create(self, request: EventRequest) -> CreatedEvent:
        """Create the event; Graph sends the invitations. A retry with the same
        request_id answers the first event (transactionId), never a second one."""
        body: dict[str, Any] = {
            "subject": request.summary,
            "body": {"contentType": "text", "content": request.description},
            "start": _local(request.start, request.time_zone),
            "end": _local(request.end, request.time_zone),
            "location": {"displayName": request.location},
            "attendees": [
                {"emailAddress": {"address": a}, "type": "required"} for a in request.attendees
            ],
        }
        if request.video_call:
            # "You can create a meeting and allow attendees to join the meeting online, by
            # setting isOnlineMeeting to true, and onlineMeetingProvider to one of the
            # providers supported by the parent calendar" (Create or set an event as an
            # online meeting in an Outlook calendar); "By default, onlineMeetingProvider
            # is unknown" (event resource), and isOnlineMeeting alone may make no call.
            # The join link then comes with the invitation. A calendar that allows no
            # provider gets the event without a call: no link, so the worker drafts a
            # note asking where (confirmations.needs_place) instead of confirming blind.
            provider = online_meeting_provider(self._calendar_providers())
            if provider:
                body["isOnlineMeeting"] = True
                body["onlineMeetingProvider"] = provider
        if request.request_id:
            body["transactionId"] = transaction_id(request.request_id)
        # transactionId makes the create idempotent, so retrying a lost answer is safe.
        created = self.graph.call("POST", "/me/events", what="graph.events.create", body=body)
        assert created is not None
        # "webLink: The URL to open the event in Outlook on the web" (event resource).
        return CreatedEvent(
            provider_event_id=str(created["id"]),
            calendar_link=str(created.get("webLink") or ""),
            link=join_url(created),
        )

    def _calendar_providers(self) -> dict[str, Any]:
        """The default calendar's online meeting providers: "Look for the
        allowedOnlineMeetingProviders and defaultOnlineMeetingProvider properties to verify
        if an Outlook calendar supports any online meeting providers"
        (learn.microsoft.com/graph/outlook-calendar-online-meetings). Asked only when a
        video call is created, never on a sync."""
        return self.graph.get(
            "/me/calendar",
            what="graph.calendar.get",
            params={"$select": "defaultOnlineMeetingProvider,allowedOnlineMeetingProviders"},
        )

    def busy(self, start: datetime, end: datetime) -> list[BusyTime]:
        """Busy times of the default calendar over [start, end) through calendarView
        (recurring meetings come expanded, one occurrence each), every page followed."""
        found: list[BusyTime] = []
        url = "/me/calendarView"
        params: dict[str, str] | None = {
            "startDateTime": start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "endDateTime": end.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "$select": "start,end,isAllDay,isCancelled,showAs,responseStatus,originalStartTimeZone",
            "$top": "100",
        }
        while True:
            page = self.graph.get(url, what="graph.calendarView", params=params)
            for item in page.get("value") or []:
                taken = self._busy(item)
                if taken is not None:
                    found.append(taken)
            link = page.get("@odata.nextLink")
            if not link:
                return found
            url, params = str(link), None  # the link carries every option

    def _busy(self, item: dict[str, Any]) -> BusyTime | None:
        """The time an event takes, or None. event resource: showAs "free" and
        "workingElsewhere" leave the user available; isCancelled; responseStatus.response
        "declined" (https://learn.microsoft.com/graph/api/resources/event)."""
        if item.get("isCancelled") or item.get("showAs") in ("free", "workingElsewhere"):
            return None
        if (item.get("responseStatus") or {}).get("response") == "declined":
            return None
        zone = str((item.get("start") or {}).get("timeZone") or self.graph.time_zone)
        first = parse_when(item.get("start"), zone)
        last = parse_when(item.get("end"), zone)
        if first is None or last is None:
            return None
        if not item.get("isAllDay"):
            return BusyTime(start=first, end=last)
        # An all-day event is midnight to midnight where it was made; shown in another
        # zone (the Prefer header's) its bounds fall on the wrong dates.
        own = _zone(zone_name(str(item.get("originalStartTimeZone") or ""), zone))
        return BusyTime(start=first.astimezone(own), end=last.astimezone(own), all_day=True)

    def seen(self, item: dict[str, Any]) -> CalendarEventSeen:
        """A Graph event (or an @removed entry) as the worker sees it."""
        if "@removed" in item:
            return CalendarEventSeen(
                provider_event_id=str(item["id"]),
                status="cancelled",
                start=None,
                end=None,
                time_zone=self.graph.time_zone,
                all_day=False,
                attendees={},
            )
        rendered_zone = str((item.get("start") or {}).get("timeZone") or self.graph.time_zone)
        zone = zone_name(str(item.get("originalStartTimeZone") or ""), rendered_zone)
        start = parse_when(item.get("start"), rendered_zone)
        end = parse_when(item.get("end"), rendered_zone)
        # Shown in the event's own zone: a confirmation must say the time as it was set.
        local = _zone(zone)
        attendees = {
            str(a["emailAddress"]["address"]).lower(): RESPONSES.get(
                str((a.get("status") or {}).get("response", "none")), "needsAction"
            )
            for a in item.get("attendees") or []
            if (a.get("emailAddress") or {}).get("address")
        }
        if item.get("isOrganizer") is False:
            mine = str((item.get("responseStatus") or {}).get("response", "none"))
            attendees[self.email.lower()] = RESPONSES.get(mine, "needsAction")
            # Graph lists the organizer apart from the attendees (Google lists them among
            # them); the worker looks for the contact among the attendees, so without this
            # a contact's own invitation was never recorded as a meeting.
            organizer = _address_of(item.get("organizer")).lower()
            if organizer:
                attendees.setdefault(organizer, "accepted")
        return CalendarEventSeen(
            provider_event_id=str(item["id"]),
            status="cancelled" if item.get("isCancelled") else "confirmed",
            start=_in_zone(start, local),
            end=_in_zone(end, local),
            time_zone=zone,
            all_day=bool(item.get("isAllDay")),
            attendees=attendees,
            location=str((item.get("location") or {}).get("displayName", "")),
            summary=str(item.get("subject", "")),
            link=join_url(item),
        )


def online_meeting_provider(calendar: dict[str, Any]) -> str:
    """The provider to make a video call with on this calendar (Graph calendar resource):
    its default, else Teams when allowed; "" when it allows none ("unknown" is no
    provider: a personal account without Teams answers ["unknown"])."""
    allowed = {
        str(p) for p in calendar.get("allowedOnlineMeetingProviders") or [] if p != "unknown"
    }
    default = str(calendar.get("defaultOnlineMeetingProvider") or "unknown")
    if default in allowed:
        return default
    return "teamsForBusiness" if "teamsForBusiness" in allowed else ""


def join_url(item: dict[str, Any]) -> str:
    """The video call's link: "onlineMeeting: Details for an attendee to join the meeting
    online" and onlineMeetingInfo.joinUrl "The external link that launches the online
    meeting" (Graph event resource, learn.microsoft.com/graph/api/resources/event)."""
    return str((item.get("onlineMeeting") or {}).get("joinUrl") or "")


def _in_zone(moment: datetime | None, zone: tzinfo) -> datetime | None:
    try:
        return moment.astimezone(zone) if moment else None
    except OverflowError:
        return None  # past year 9999 in that zone: no time, so the event is skipped


def involves(item: dict[str, Any], wanted: set[str]) -> bool:
    if "@removed" in item:
        return True  # tombstones carry no attendees; the worker ignores unknown ids
    people = [_address_of(a) for a in item.get("attendees") or []]
    people.append(_address_of(item.get("organizer")))
    return any(p.lower() in wanted for p in people if p)


def _address_of(person: Any) -> str:
    if not isinstance(person, dict):
        return ""
    return str((person.get("emailAddress") or {}).get("address") or "")

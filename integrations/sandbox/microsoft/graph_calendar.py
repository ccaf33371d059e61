"""Graph calendar resources: the default calendar (its online meeting providers), events
(create with transactionId, get, update, delete, accept/decline) and calendarView,
rendered in the Prefer outlook.timezone."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from integrations.sandbox.http import Response, json_response

from .call import Call, graph_time
from .errors import GraphError, bad_request, not_found
from .odata import select
from .state import Attendee, Event, Mailbox, Person
from .timezones import parse_date_time_time_zone, parse_instant, render

EVENT_PROPERTIES = frozenset(
    {
        "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories",
        "transactionId", "originalStartTimeZone", "originalEndTimeZone", "iCalUId",
        "reminderMinutesBeforeStart", "isReminderOn", "hasAttachments", "subject",
        "bodyPreview", "importance", "sensitivity", "isAllDay", "isCancelled", "isOrganizer",
        "responseRequested", "seriesMasterId", "showAs", "type", "webLink", "onlineMeetingUrl",
        "isOnlineMeeting", "allowNewTimeProposals", "responseStatus", "body", "start", "end",
        "location", "locations", "recurrence", "attendees", "organizer", "onlineMeeting",
        "onlineMeetingProvider",
    }
)  # fmt: skip
WRITABLE = frozenset(
    {
        "subject", "body", "start", "end", "location", "attendees", "transactionId", "isAllDay",
        "showAs", "categories", "isReminderOn", "reminderMinutesBeforeStart", "importance",
        "sensitivity", "isOnlineMeeting", "allowNewTimeProposals", "responseRequested",
        "onlineMeetingProvider",
    }
)  # fmt: skip
NO_RESPONSE = "0001-01-01T00:00:00Z"
#: onlineMeetingProviderType: "The possible values are unknown, teamsForBusiness,
#: skypeForBusiness, and skypeForConsumer" (event resource).
ONLINE_MEETING_PROVIDERS = frozenset(
    {"unknown", "teamsForBusiness", "skypeForBusiness", "skypeForConsumer"}
)
#: The join link each provider's meeting gets (the shapes of Teams, Skype for Business
#: and Skype meeting links).
JOIN_URLS = {
    "teamsForBusiness": "https://teams.microsoft.com/l/meetup-join/{id}",
    "skypeForBusiness": "https://meet.lync.com/{domain}/{id}",
    "skypeForConsumer": "https://join.skype.com/{id}",
}
CALENDAR_PROPERTIES = frozenset(
    {
        "id", "name", "color", "hexColor", "isDefaultCalendar", "changeKey", "canShare",
        "canViewPrivateItems", "canEdit", "allowedOnlineMeetingProviders",
        "defaultOnlineMeetingProvider", "isTallyingResponses", "isRemovable", "owner",
    }
)  # fmt: skip


def render_event(event: Event, call: Call, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    zone_name = call.prefs.time_zone
    change_key = f"DwAAABYAAA{event.version:08d}"
    full: dict[str, Any] = {
        "id": event.id,
        "createdDateTime": graph_time(event.created),
        "lastModifiedDateTime": graph_time(event.last_modified),
        "changeKey": change_key,
        "categories": [],
        "transactionId": event.transaction_id,
        "originalStartTimeZone": event.original_time_zone,
        "originalEndTimeZone": event.original_time_zone,
        "iCalUId": event.ical_uid,
        "reminderMinutesBeforeStart": 15,
        "isReminderOn": True,
        "hasAttachments": False,
        "subject": event.subject,
        "bodyPreview": event.body[:255],
        "importance": "normal",
        "sensitivity": "normal",
        "isAllDay": event.is_all_day,
        "isCancelled": event.is_cancelled,
        "isOrganizer": event.is_organizer,
        "responseRequested": True,
        "seriesMasterId": None,
        "showAs": event.show_as,
        "type": "singleInstance",
        "webLink": f"https://outlook.office365.com/owa/?itemid={event.id}&path=/calendar/item",
        "onlineMeetingUrl": None,
        "isOnlineMeeting": bool(event.join_url),
        "onlineMeetingProvider": event.online_meeting_provider,
        "allowNewTimeProposals": True,
        "responseStatus": {
            "response": event.response,
            "time": graph_time(event.response_time) or NO_RESPONSE,
        },
        "body": {"contentType": event.body_type, "content": event.body},
        "start": render(event.start, zone_name),
        "end": render(event.end, zone_name),
        "location": {
            "displayName": event.location,
            "locationType": "default",
            "uniqueIdType": "unknown",
            "address": {},
            "coordinates": {},
        },
        "locations": [{"displayName": event.location}] if event.location else [],
        "recurrence": None,
        "attendees": [
            {
                "type": a.type,
                "status": {
                    "response": a.response,
                    "time": graph_time(a.response_time) or NO_RESPONSE,
                },
                **a.person.graph(),
            }
            for a in event.attendees
        ],
        "organizer": event.organizer.graph(),
        # "The default is null ... After you set the isOnlineMeeting and
        # onlineMeetingProvider properties to enable a meeting online, Microsoft Graph
        # initializes onlineMeeting" (event resource, learn.microsoft.com/graph/api/
        # resources/event); onlineMeetingInfo carries the joinUrl.
        "onlineMeeting": {"joinUrl": event.join_url} if event.join_url else None,
    }
    out: dict[str, Any] = {"@odata.etag": f'W/"{change_key}"'}
    if fields is None:
        out.update(full)
    else:
        out["id"] = event.id
        out.update({k: full[k] for k in fields})
    return out


def get_calendar(call: Call) -> Response:
    """GET /me/calendar: the user's default calendar, with the online meeting providers
    it allows ("Look for the allowedOnlineMeetingProviders and
    defaultOnlineMeetingProvider properties to verify if an Outlook calendar supports any
    online meeting providers", learn.microsoft.com/graph/outlook-calendar-online-meetings)."""
    mailbox = call.mailbox
    calendar_id = f"AQMkAD{mailbox.user_id.replace('-', '')}AAAA=="
    full: dict[str, Any] = {
        "id": calendar_id,
        "name": "Calendar",
        "color": "auto",
        "hexColor": "",
        "isDefaultCalendar": True,
        "changeKey": "NEXywgsVrkeNsFsyVyRrtAAAAAACOg==",
        "canShare": True,
        "canViewPrivateItems": True,
        "canEdit": True,
        "allowedOnlineMeetingProviders": list(mailbox.online_meeting_providers),
        "defaultOnlineMeetingProvider": mailbox.default_online_meeting_provider,
        "isTallyingResponses": True,
        "isRemovable": False,
        "owner": {"name": mailbox.display_name, "address": mailbox.email},
    }
    fields = select(call.request, CALENDAR_PROPERTIES, "calendar")
    out: dict[str, Any] = {"@odata.context": call.link("/$metadata#users('me')/calendar/$entity")}
    if fields is None:
        out.update(full)
    else:
        out["id"] = calendar_id
        out.update({k: full[k] for k in fields})
    return json_response(200, out)


def find_event(call: Call, event_id: str) -> Event:
    event = call.mailbox.live_event(event_id)
    if event is None:
        raise not_found()
    return event


def _attendees(value: Any) -> list[Attendee]:
    if not isinstance(value, list):
        raise GraphError(400, "RequestBodyRead", "Property 'attendees' must be a collection.")
    out = []
    for item in value:
        address = item.get("emailAddress") if isinstance(item, dict) else None
        if not isinstance(address, dict) or not isinstance(address.get("address"), str):
            raise GraphError(400, "RequestBodyRead", "Each attendee needs an emailAddress.")
        kind = item.get("type", "required")
        if kind not in ("required", "optional", "resource"):
            raise GraphError(400, "RequestBodyRead", f"Invalid attendee type '{kind}'.")
        out.append(Attendee(Person(address["address"], str(address.get("name") or "")), kind))
    return out


def _go_online(event: Event, mailbox: Mailbox, body: dict[str, Any]) -> None:
    """Make the event an online meeting when the body asks as documented.

    "You can create a meeting and allow attendees to join the meeting online, by setting
    isOnlineMeeting to true, and onlineMeetingProvider to one of the providers supported
    by the parent calendar" (Create or set an event as an online meeting in an Outlook
    calendar, learn.microsoft.com/graph/outlook-calendar-online-meetings). onlineMeeting:
    "The default is null ... After you set the isOnlineMeeting and onlineMeetingProvider
    properties to enable a meeting online, Microsoft Graph initializes onlineMeeting";
    onlineMeetingProvider: "By default, onlineMeetingProvider is unknown" (event
    resource). So isOnlineMeeting alone leaves onlineMeeting null (the isOnlineMeeting
    property's own line, "After you set isOnlineMeeting to true, Microsoft Graph
    initializes onlineMeeting", reads as if it sufficed; the emulator holds clients to the
    how-to, which works under either reading). A provider the calendar
    does not allow makes no meeting either: the event is still created, provider
    "unknown", no join link (what a personal account without Teams answers,
    github.com/microsoftgraph/microsoft-graph-explorer-v4/issues/3315). Once online it
    stays so: "you cannot change the onlineMeetingProvider property, nor set
    isOnlineMeeting to false" (same page), so later changes are ignored."""
    if event.join_url or body.get("isOnlineMeeting") is not True:
        return
    provider = body.get("onlineMeetingProvider", "unknown")
    if provider == "unknown" or provider not in mailbox.online_meeting_providers:
        return
    event.online_meeting_provider = str(provider)
    event.join_url = JOIN_URLS[event.online_meeting_provider].format(
        id=event.id, domain=mailbox.domain
    )


def apply_event_fields(event: Event, mailbox: Mailbox, body: dict[str, Any]) -> None:
    for key, value in body.items():
        if key.startswith("@odata."):
            continue
        if key not in EVENT_PROPERTIES:
            raise GraphError(
                400,
                "RequestBodyRead",
                f"The property '{key}' does not exist on type 'Microsoft.OutlookServices."
                "Event'. Make sure to only use property names that are defined by the type.",
            )
        if key not in WRITABLE:
            raise GraphError(400, "ErrorInvalidPropertySet", f"The property '{key}' is read-only.")
        if key == "subject":
            if not isinstance(value, str):
                raise GraphError(400, "RequestBodyRead", "Property 'subject' must be a string.")
            event.subject = value
        elif key == "body":
            if not isinstance(value, dict):
                raise GraphError(400, "RequestBodyRead", "Property 'body' must be an itemBody.")
            event.body_type = str(value.get("contentType", "text")).lower()
            event.body = str(value.get("content", ""))
        elif key == "start":
            event.start, event.original_time_zone = parse_date_time_time_zone(value, "start")
        elif key == "end":
            event.end, _ = parse_date_time_time_zone(value, "end")
        elif key == "location":
            if not isinstance(value, dict):
                raise GraphError(400, "RequestBodyRead", "Property 'location' must be an object.")
            event.location = str(value.get("displayName", ""))
        elif key == "attendees":
            event.attendees = _attendees(value)
        elif key == "transactionId":
            if not isinstance(value, str):
                raise GraphError(400, "RequestBodyRead", "transactionId must be a string.")
            event.transaction_id = value
        elif key == "isAllDay":
            event.is_all_day = bool(value)
        elif key == "showAs":
            event.show_as = str(value)
        elif key == "isOnlineMeeting":
            if not isinstance(value, bool):
                raise GraphError(400, "RequestBodyRead", "isOnlineMeeting must be a boolean.")
        elif key == "onlineMeetingProvider" and not (
            isinstance(value, str) and value in ONLINE_MEETING_PROVIDERS
        ):
            raise GraphError(
                400,
                "RequestBodyRead",
                f"Cannot convert the literal '{value}' to the expected type "
                "'microsoft.graph.onlineMeetingProviderType'.",
            )
    _go_online(event, mailbox, body)
    if event.end < event.start:
        raise GraphError(
            400, "ErrorInvalidRequest", "The end time of the event must be after its start."
        )


def create_event(call: Call) -> Response:
    body = call.json_object()
    mailbox = call.mailbox
    if "start" not in body or "end" not in body:
        raise GraphError(
            400,
            "ErrorInvalidRequest",
            "Your request can't be completed. Start and End must both be specified.",
        )
    transaction = body.get("transactionId")
    if isinstance(transaction, str) and transaction in mailbox.event_by_transaction:
        # Graph's documented guard against duplicate creates on client retries.
        existing = mailbox.live_event(mailbox.event_by_transaction[transaction])
        if existing is not None:
            return json_response(201, render_event(existing, call))
    placeholder = call.now
    event = Event(
        id=mailbox.new_id("event"),
        subject="",
        start=placeholder,
        end=placeholder,
        organizer=Person(mailbox.email, mailbox.display_name),
        is_organizer=True,
        ical_uid="040000008200E00074C5B7101A82E008" + uuid.uuid4().hex.upper(),
    )
    apply_event_fields(event, mailbox, body)
    mailbox.add_event(event, call.now)
    return json_response(201, render_event(event, call))


def get_event(call: Call, event_id: str) -> Response:
    event = find_event(call, event_id)
    return json_response(
        200, render_event(event, call, select(call.request, EVENT_PROPERTIES, "event"))
    )


def update_event(call: Call, event_id: str) -> Response:
    event = find_event(call, event_id)
    body = call.json_object()
    if "transactionId" in body:
        raise GraphError(400, "ErrorInvalidPropertySet", "transactionId can only be set on create.")
    apply_event_fields(event, call.mailbox, body)
    call.mailbox.touch_event(event, call.now)
    return json_response(200, render_event(event, call))


def delete_event(call: Call, event_id: str) -> Response:
    event = find_event(call, event_id)
    event.deleted = True
    call.mailbox.touch_event(event, call.now)
    return Response(204)


def respond_event(call: Call, event_id: str, response: str) -> Response:
    """The user's own accept / tentativelyAccept / decline of an invitation."""
    event = find_event(call, event_id)
    call.json_object(required=False)
    if event.is_organizer:
        raise GraphError(
            400,
            "ErrorInvalidRequest",
            "Your request can't be completed. You can't respond to a meeting you organized.",
        )
    event.response = response
    event.response_time = call.now
    if response == "declined":
        event.deleted = True
    call.mailbox.touch_event(event, call.now)
    return Response(202)


def window(call: Call, required: bool = True) -> tuple[datetime, datetime]:
    raw_start = call.request.param("startDateTime") or call.request.param("StartDateTime")
    raw_end = call.request.param("endDateTime") or call.request.param("EndDateTime")
    if raw_start is None or raw_end is None:
        raise GraphError(
            400,
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters "
            "StartDateTime and EndDateTime.",
        )
    start, end = parse_instant(raw_start), parse_instant(raw_end)
    if start is None or end is None:
        raise bad_request("startDateTime and endDateTime must be ISO 8601 date-times.")
    if end <= start:
        raise GraphError(
            400, "ErrorInvalidParameter", "The end of the time window must be after its start."
        )
    return start, end


def overlaps(event: Event, start: datetime, end: datetime) -> bool:
    return not event.deleted and event.start < end and event.end > start


def list_events(call: Call, calendar_view: bool) -> Response:
    mailbox: Mailbox = call.mailbox
    fields = select(call.request, EVENT_PROPERTIES, "event")
    events = [e for e in mailbox.events.values() if not e.deleted]
    if calendar_view:
        start, end = window(call)
        events = [e for e in events if overlaps(e, start, end)]
    events.sort(key=lambda e: (e.start, e.id))
    skip_raw = call.request.param("$skip") or "0"
    top_raw = call.request.param("$top") or "10"
    if not skip_raw.isdigit() or not top_raw.isdigit() or int(top_raw) < 1:
        raise bad_request("Invalid $skip or $top value.")
    skip, size = int(skip_raw), min(int(top_raw), 1000)
    payload: dict[str, Any] = {
        "@odata.context": call.link("/$metadata#users('me')/events"),
        "value": [render_event(e, call, fields) for e in events[skip : skip + size]],
    }
    if skip + size < len(events):
        query = "&".join(
            f"{k}={v[-1]}" for k, v in call.request.query.items() if k not in ("$skip", "$top")
        )
        path = "/me/calendarView" if calendar_view else "/me/events"
        payload["@odata.nextLink"] = call.link(f"{path}?{query}&$top={size}&$skip={skip + size}")
    return json_response(200, payload)

"""Calendar v3 events: store, list (paging, singleEvents, syncToken), get/insert/patch/delete,
and Meet conferences made at once or, as Google may, some time after the insert."""

from __future__ import annotations

import copy
import hashlib
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from integrations.sandbox.google import paging, recurrence
from integrations.sandbox.google.discovery import Call
from integrations.sandbox.google.errors import GoogleError, bad_request, not_found

MAX_RESULTS = 2500
# Parameters Google refuses next to a syncToken.
SYNC_FORBIDDEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)
_EXPAND_HORIZON = timedelta(days=730)
# Fields clients cannot change on an existing event.
_FIXED = ("id", "kind", "created", "creator", "organizer", "iCalUID", "htmlLink")


def rfc3339(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class StoredEvent:
    resource: dict[str, Any]
    seq: int  # position in the change log: sync tokens compare against it
    created_order: int

    @property
    def id(self) -> str:
        return str(self.resource["id"])

    @property
    def cancelled(self) -> bool:
        return self.resource.get("status") == "cancelled"


@dataclass(frozen=True)
class ConferencePlan:
    """How the calendar answers a `conferenceData.createRequest`. Google makes conferences
    asynchronously: "createRequest: A request to generate a new conference and attach it
    to the event. The data is generated asynchronously. To see whether the data is present
    check the status field", whose statusCode is "pending": "the conference create request
    is still being processed", "success": "the conference create request succeeded, the
    entry points are populated", or "failure": "the conference create request failed,
    there are no entry points" (Events resource, ConferenceData and ConferenceRequestStatus,
    developers.google.com/calendar/api/v3/reference/events).

    Parameters:
        outcome: how the request ends, "success" or "failure".
        pending_for: how long it stays "pending" (zero: the insert answers the outcome at
            once, as the emulator always did; None: until a story finishes it).
    """

    outcome: str = "success"
    pending_for: timedelta | None = timedelta(0)


@dataclass
class PendingConference:
    """A conference still being made: it ends as `outcome` at `ready_at` (None: when a
    story says so)."""

    ready_at: datetime | None
    outcome: str


@dataclass
class Calendar:
    """One account's primary calendar.

    Parameters:
        email: the owner (also the calendar id).
        time_zone: the calendar's IANA zone, used for all-day events and rendering.
    """

    email: str
    rng: random.Random
    time_zone: str = "UTC"
    events: dict[str, StoredEvent] = field(default_factory=dict)
    seq: int = 0
    token_floor: int = 0  # sync tokens issued before this change count answer 410
    invitations: list[dict[str, Any]] = field(default_factory=list)  # mail Google sent
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: How conference create requests are answered from now on (a story may change it).
    conference_plan: ConferencePlan = field(default_factory=ConferencePlan)
    #: Conferences still "pending", by event id.
    pending_conferences: dict[str, PendingConference] = field(default_factory=dict)

    def new_id(self) -> str:
        alphabet = "abcdefghijklmnopqrstuv0123456789"  # base32hex, as Calendar ids
        return "".join(self.rng.choice(alphabet) for _ in range(26))

    def get(self, event_id: str) -> StoredEvent:
        found = self.events.get(event_id)
        if found is None:
            raise not_found("Not Found")
        return found

    def touch(self, event: StoredEvent, now: datetime) -> None:
        self.seq += 1
        event.seq = self.seq
        event.resource["updated"] = rfc3339(now)
        event.resource["etag"] = f'"{int(now.timestamp() * 1000)}{self.seq:04d}"'

    def expire_sync_tokens(self) -> None:
        with self.lock:
            self.seq += 1
            self.token_floor = self.seq


# time handling --------------------------------------------------------------------------
def _zone(name: str | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request(
            f"Invalid time zone definition for {name}.",
            reason="invalid",
        ) from None


def instant(when: dict[str, Any], default_zone: str, what: str = "start") -> datetime:
    """The moment an EventDateTime names (all-day dates at midnight in their zone)."""
    if not isinstance(when, dict):
        raise bad_request(f"Missing {what} time.", reason="required")
    zone = _zone(when.get("timeZone"), default_zone)
    if "dateTime" in when:
        try:
            dt = datetime.fromisoformat(str(when["dateTime"]).replace("Z", "+00:00"))
        except ValueError:
            raise bad_request(f"Invalid {what} time.", reason="invalid") from None
        if dt.tzinfo is None:
            if not when.get("timeZone"):
                raise bad_request(f"Missing time zone definition for {what} time.", "required")
            dt = dt.replace(tzinfo=zone)
        return dt
    if "date" in when:
        try:
            day = date.fromisoformat(str(when["date"]))
        except ValueError:
            raise bad_request(f"Invalid {what} date.", reason="invalid") from None
        return datetime.combine(day, datetime.min.time(), zone)
    raise bad_request(f"Missing {what} time.", reason="required")


def _parse_bound(value: str, name: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request("Bad Request", reason="badRequest", location=name) from None
    if dt.tzinfo is None:
        raise bad_request("Bad Request", reason="badRequest", location=name)
    return dt


def _render_time(when: dict[str, Any], zone: ZoneInfo | None, default_zone: str) -> dict[str, Any]:
    if "date" in when or zone is None:
        return dict(when)
    moment = instant(when, default_zone)
    out = {"dateTime": moment.astimezone(zone).isoformat()}
    if when.get("timeZone"):
        out["timeZone"] = when["timeZone"]
    return out


# instances ------------------------------------------------------------------------------
def _instance_suffix(start: datetime, all_day: bool) -> str:
    return start.strftime("%Y%m%d") if all_day else start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def instances(
    cal: Calendar, master: dict[str, Any], lo: datetime | None, hi: datetime | None
) -> list[dict[str, Any]]:
    """A recurring event's occurrences overlapping [lo, hi); a cancelled master yields
    cancelled instances so syncing clients can drop them."""
    rule = recurrence.parse_rule(master.get("recurrence", []))
    if rule is None:
        return [master]
    start = instant(master["start"], cal.time_zone)
    end = instant(master["end"], cal.time_zone, "end")
    all_day = "date" in master["start"]
    horizon = hi or start + _EXPAND_HORIZON
    found = []
    for local in recurrence.starts(start, rule):
        if local >= horizon:
            break
        if lo is not None and local + (end - start) <= lo:
            continue
        item = {k: copy.deepcopy(v) for k, v in master.items() if k != "recurrence"}
        item["id"] = f"{master['id']}_{_instance_suffix(local, all_day)}"
        item["recurringEventId"] = master["id"]
        item["start"] = _moved(master["start"], local)
        item["end"] = _moved(master["end"], local + (end - start))
        item["originalStartTime"] = dict(item["start"])
        found.append(item)
    return found


def _moved(when: dict[str, Any], to: datetime) -> dict[str, Any]:
    if "date" in when:
        return {"date": to.date().isoformat()}
    out = {"dateTime": to.isoformat()}
    if when.get("timeZone"):
        out["timeZone"] = when["timeZone"]
    return out


def tombstone(resource: dict[str, Any]) -> dict[str, Any]:
    keep = ("kind", "etag", "id", "status", "recurringEventId", "originalStartTime")
    return {k: resource[k] for k in keep if k in resource}


# methods --------------------------------------------------------------------------------
@dataclass
class CalendarContext:
    calendar: Calendar
    now: datetime


Result = tuple[int, Any]


def _calendar(ctx: CalendarContext, call: Call) -> Calendar:
    if call.params.get("calendarId") not in ("primary", ctx.calendar.email):
        raise not_found("Not Found")
    return ctx.calendar


def events_list(ctx: CalendarContext, call: Call) -> Result:
    p = call.params
    cal = _calendar(ctx, call)
    sync = p.get("syncToken")
    if sync is not None:
        clash = [name for name in SYNC_FORBIDDEN if name in p]
        if clash:
            raise bad_request(
                f"Sync token cannot be used with the following parameters: {', '.join(clash)}",
                reason="invalid",
            )
    if p.get("orderBy") == "startTime" and not p.get("singleEvents"):
        raise bad_request(
            "The requested ordering is not available for the particular query.", "badRequest"
        )
    lo = _parse_bound(p["timeMin"], "timeMin") if "timeMin" in p else None
    hi = _parse_bound(p["timeMax"], "timeMax") if "timeMax" in p else None
    if lo and hi and hi <= lo:
        raise bad_request("The specified time range is empty.", reason="timeRangeEmpty")
    size = max(1, min(int(p.get("maxResults", 250)), MAX_RESULTS))
    state = paging.decode(p.get("pageToken"))
    with cal.lock:
        since = None
        if sync is not None:
            token = paging.decode(sync, "syncToken")
            since = token.get("s")
            if not isinstance(since, int) or since < cal.token_floor or token.get("c") != cal.email:
                raise GoogleError(
                    410,
                    "fullSyncRequired",
                    "Sync token is no longer valid, a full sync is required.",
                )
        snapshot = state.get("s", cal.seq)
        items = _select(ctx, cal, call, since, lo, hi)
    offset = int(state.get("o", 0))
    chunk = items[offset : offset + size]
    zone = _zone(p.get("timeZone"), cal.time_zone)
    out: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": f'"{snapshot}"',
        "summary": cal.email,
        "description": "",
        "updated": rfc3339(ctx.now),
        "timeZone": p.get("timeZone", cal.time_zone),
        "accessRole": "owner",
        "defaultReminders": [{"method": "popup", "minutes": 10}],
        "items": [_render(cal, item, zone) for item in chunk],
    }
    if offset + size < len(items):
        out["nextPageToken"] = paging.encode({"o": offset + size, "s": snapshot})
    else:
        out["nextSyncToken"] = paging.encode({"s": snapshot, "c": cal.email})
    return 200, out


def _select(
    ctx: CalendarContext,
    cal: Calendar,
    call: Call,
    since: int | None,
    lo: datetime | None,
    hi: datetime | None,
) -> list[dict[str, Any]]:
    p = call.params
    stored = sorted(cal.events.values(), key=lambda e: e.created_order)
    if since is not None:
        stored = [e for e in stored if e.seq > since]
    elif not p.get("showDeleted"):
        # events.list: "showDeleted: Whether to include deleted events (with status equals
        # "cancelled") in the result ... Optional. The default is False", while with a
        # syncToken "deleted events ... will always be included in the result set"
        # (https://developers.google.com/calendar/api/v3/reference/events/list). So a full
        # re-list after a 410 fullSyncRequired omits what was deleted meanwhile.
        stored = [e for e in stored if not e.cancelled]
    if "updatedMin" in p:
        floor = _parse_bound(p["updatedMin"], "updatedMin")
        stored = [e for e in stored if instant({"dateTime": e.resource["updated"]}, "UTC") >= floor]
    if "iCalUID" in p:
        stored = [e for e in stored if e.resource.get("iCalUID") == p["iCalUID"]]
    if "q" in p:
        stored = [e for e in stored if _matches_text(e.resource, p["q"])]
    items: list[dict[str, Any]] = []
    for event in stored:
        expanded = (
            instances(cal, event.resource, lo, hi) if p.get("singleEvents") else [event.resource]
        )
        items.extend(i for i in expanded if _overlaps(cal, i, lo, hi))
    if p.get("orderBy") == "startTime":
        items.sort(
            key=lambda i: (
                instant(i["start"], cal.time_zone)
                if "start" in i
                else datetime.max.replace(tzinfo=UTC)
            )
        )
    elif p.get("orderBy") == "updated":
        items.sort(key=lambda i: i.get("updated", ""))
    return items


def _matches_text(resource: dict[str, Any], q: str) -> bool:
    text = " ".join(str(resource.get(k, "")) for k in ("summary", "description", "location"))
    text += " ".join(a.get("email", "") for a in resource.get("attendees", []))
    return all(word.lower() in text.lower() for word in q.split())


def _overlaps(
    cal: Calendar, item: dict[str, Any], lo: datetime | None, hi: datetime | None
) -> bool:
    if (lo is None and hi is None) or "start" not in item:
        return True
    if item.get("recurrence"):
        return True  # a master spans its whole series
    start = instant(item["start"], cal.time_zone)
    end = instant(item["end"], cal.time_zone, "end")
    return (lo is None or end > lo) and (hi is None or start < hi)


def _render(cal: Calendar, item: dict[str, Any], zone: ZoneInfo | None) -> dict[str, Any]:
    if item.get("status") == "cancelled":
        return tombstone(item)
    out = copy.deepcopy(item)
    for key in ("start", "end"):
        if key in out:
            out[key] = _render_time(out[key], zone, cal.time_zone)
    return out


def _find(cal: Calendar, event_id: str) -> dict[str, Any]:
    """A stored event, or one instance of a recurring event by its instance id."""
    if event_id in cal.events:
        return cal.events[event_id].resource
    master_id, _, _suffix = event_id.rpartition("_")
    if master_id in cal.events:
        for item in instances(cal, cal.events[master_id].resource, None, None):
            if item["id"] == event_id:
                return item
    raise not_found("Not Found")


def events_get(ctx: CalendarContext, call: Call) -> Result:
    cal = _calendar(ctx, call)
    with cal.lock:
        item = _find(cal, call.params["eventId"])
        zone = _zone(call.params.get("timeZone"), cal.time_zone)
        out = copy.deepcopy(item)
        for key in ("start", "end"):
            if key in out:
                out[key] = _render_time(out[key], zone, cal.time_zone)
        return 200, out


def _check_times(cal: Calendar, resource: dict[str, Any]) -> None:
    if "start" not in resource:
        raise bad_request("Missing start time.", reason="required")
    if "end" not in resource:
        raise bad_request("Missing end time.", reason="required")
    if ("date" in resource["start"]) != ("date" in resource["end"]):
        raise bad_request("Start and end times must either both be date or both be dateTime.")
    if instant(resource["end"], cal.time_zone, "end") <= instant(resource["start"], cal.time_zone):
        raise bad_request("The specified time range is empty.", reason="timeRangeEmpty")
    recurrence.parse_rule(resource.get("recurrence", []))


def _attendees(cal: Calendar, resource: dict[str, Any], organizer: str) -> None:
    for attendee in resource.get("attendees", []):
        if not isinstance(attendee, dict) or "@" not in str(attendee.get("email", "")):
            raise bad_request("Invalid attendee email.", reason="invalid")
        attendee.setdefault("responseStatus", "needsAction")
        if attendee["email"].lower() == cal.email:
            attendee["self"] = True
        if attendee["email"].lower() == organizer.lower():
            attendee["organizer"] = True


def _notify(
    cal: Calendar, resource: dict[str, Any], send_updates: str | None, action: str, now: datetime
) -> None:
    """Record the mail Google would send attendees (all, externalOnly) or not (none)."""
    if send_updates not in ("all", "externalOnly"):
        return
    own_domain = cal.email.rsplit("@", 1)[-1]
    for attendee in resource.get("attendees", []):
        email = attendee["email"]
        if attendee.get("self") or (
            send_updates == "externalOnly" and email.endswith("@" + own_domain)
        ):
            continue
        cal.invitations.append(
            {"to": email, "eventId": resource["id"], "action": action, "at": rfc3339(now)}
        )


def store_event(
    cal: Calendar,
    body: dict[str, Any],
    now: datetime,
    organizer: str,
    *,
    send_updates: str | None = None,
    conference: bool = False,
) -> dict[str, Any]:
    """Insert an event as Google does: ids, timestamps, organizer, attendee defaults."""
    with cal.lock:
        resource = copy.deepcopy(body)
        _check_times(cal, resource)
        event_id = resource.get("id") or cal.new_id()
        if not re.fullmatch(r"[a-v0-9]{5,1024}", str(event_id)):
            raise bad_request("Invalid resource id value.", reason="invalid")
        if event_id in cal.events:
            raise GoogleError(409, "duplicate", "The requested identifier already exists.")
        _attendees(cal, resource, organizer)
        is_self = organizer == cal.email
        resource.update(
            kind="calendar#event",
            id=event_id,
            status=resource.get("status", "confirmed"),
            htmlLink=f"https://www.google.com/calendar/event?eid={event_id}",
            created=rfc3339(now),
            creator={"email": organizer, **({"self": True} if is_self else {})},
            organizer={"email": organizer, **({"self": True} if is_self else {})},
            iCalUID=resource.get("iCalUID", f"{event_id}@google.com"),
            sequence=int(resource.get("sequence", 0)),
            reminders=resource.get("reminders", {"useDefault": True}),
            eventType=resource.get("eventType", "default"),
        )
        if conference and isinstance(resource.get("conferenceData", {}).get("createRequest"), dict):
            plan = cal.conference_plan
            if plan.pending_for == timedelta(0):
                _conclude(resource, plan.outcome)
            else:
                _set_status(resource, "pending")  # no link nor entry points yet
                ready = None if plan.pending_for is None else now + plan.pending_for
                cal.pending_conferences[event_id] = PendingConference(ready, plan.outcome)
        else:
            resource.pop("conferenceData", None)
        event = StoredEvent(resource, 0, len(cal.events))
        cal.events[event_id] = event
        cal.touch(event, now)
        _notify(cal, resource, send_updates, "invite", now)
        return copy.deepcopy(resource)


def _set_status(resource: dict[str, Any], code: str) -> None:
    request = resource["conferenceData"]["createRequest"]
    resource["conferenceData"] = {"createRequest": {**request, "status": {"statusCode": code}}}


def _conclude(resource: dict[str, Any], outcome: str) -> None:
    """The create request's end: a Meet with its link and entry points, or a failure that
    has none ("conferenceSolution ... Unset for a conference with a failed create
    request"; ConferenceData, Events resource)."""
    _set_status(resource, outcome)
    if outcome != "success":
        return
    code = hashlib.sha1(str(resource["id"]).encode(), usedforsecurity=False).hexdigest()
    meet = f"{code[:3]}-{code[3:7]}-{code[7:10]}"
    resource["hangoutLink"] = f"https://meet.google.com/{meet}"
    resource["conferenceData"].update(
        entryPoints=[
            {
                "entryPointType": "video",
                "uri": resource["hangoutLink"],
                "label": f"meet.google.com/{meet}",
            }
        ],
        conferenceSolution={"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
        conferenceId=meet,
    )


def settle_conferences(cal: Calendar, now: datetime) -> None:
    """Ends the pending conferences whose time has come. The event changes as it does
    when its link arrives in the user's calendar: a new etag and `updated`, and a later
    position in the change log, so a sync token's list returns it ("nextSyncToken: Token
    used at a later point in time to retrieve only the entries that have changed since
    this result was returned"; events.list). The documentation does not say in so many
    words that the link's arrival is such a change; the event's resource does change
    (status, hangoutLink, entryPoints), and a syncing client could not see it otherwise."""
    with cal.lock:
        for event_id, pending in list(cal.pending_conferences.items()):
            if pending.ready_at is not None and pending.ready_at <= now:
                _finish(cal, event_id, pending.outcome, pending.ready_at)


def finish_conference(
    cal: Calendar, event_id: str, now: datetime, outcome: str | None = None
) -> dict[str, Any]:
    """A pending conference ends now, as planned or as `outcome` says."""
    with cal.lock:
        pending = cal.pending_conferences.get(event_id)
        if pending is None:
            raise bad_request(f"No conference is being created for event {event_id}.")
        if outcome not in (None, "success", "failure"):
            raise bad_request(f"Invalid conference outcome {outcome}.")
        _finish(cal, event_id, outcome or pending.outcome, now)
        return copy.deepcopy(cal.events[event_id].resource)


def _finish(cal: Calendar, event_id: str, outcome: str, at: datetime) -> None:
    del cal.pending_conferences[event_id]
    event = cal.events[event_id]
    if event.cancelled or "conferenceData" not in event.resource:
        return  # deleted, or its conference removed, meanwhile
    _conclude(event.resource, outcome)
    cal.touch(event, at)


def change_event(
    cal: Calendar,
    event_id: str,
    changes: dict[str, Any],
    now: datetime,
    send_updates: str | None = None,
    replace: bool = False,
) -> dict[str, Any]:
    """Patch semantics (or, with `replace`, update semantics: absent fields are cleared);
    top-level fields replace, and a time change bumps `sequence`."""
    with cal.lock:
        event = cal.get(event_id)
        if event.cancelled and changes.get("status") != "confirmed":
            raise GoogleError(410, "deleted", "Resource has been deleted")
        base = {k: event.resource[k] for k in _FIXED} if replace else event.resource
        merged = {**copy.deepcopy(base), **copy.deepcopy(changes)}
        merged.setdefault("status", "confirmed")
        _check_times(cal, merged)
        _attendees(cal, merged, merged["organizer"]["email"])
        if any(merged.get(k) != event.resource.get(k) for k in ("start", "end", "recurrence")):
            merged["sequence"] = int(event.resource.get("sequence", 0)) + 1
        for fixed in _FIXED:
            merged[fixed] = event.resource[fixed]
        event.resource = merged
        cal.touch(event, now)
        _notify(cal, merged, send_updates, "update", now)
        return copy.deepcopy(merged)


def cancel_event(
    cal: Calendar, event_id: str, now: datetime, send_updates: str | None = None
) -> None:
    with cal.lock:
        event = cal.get(event_id)
        if event.cancelled:
            raise GoogleError(410, "deleted", "Resource has been deleted")
        event.resource["status"] = "cancelled"
        cal.touch(event, now)
        _notify(cal, event.resource, send_updates, "cancel", now)


def events_insert(ctx: CalendarContext, call: Call) -> Result:
    cal = _calendar(ctx, call)
    body = call.body or {}
    conference = int(call.params.get("conferenceDataVersion", 0)) >= 1
    return 200, store_event(
        cal,
        body,
        ctx.now,
        cal.email,
        send_updates=call.params.get("sendUpdates"),
        conference=conference,
    )


def events_patch(ctx: CalendarContext, call: Call) -> Result:
    cal = _calendar(ctx, call)
    return 200, change_event(
        cal, call.params["eventId"], call.body or {}, ctx.now, call.params.get("sendUpdates")
    )


def events_update(ctx: CalendarContext, call: Call) -> Result:
    cal = _calendar(ctx, call)
    send = call.params.get("sendUpdates")
    return 200, change_event(cal, call.params["eventId"], call.body or {}, ctx.now, send, True)


def events_delete(ctx: CalendarContext, call: Call) -> Result:
    cal = _calendar(ctx, call)
    cancel_event(cal, call.params["eventId"], ctx.now, call.params.get("sendUpdates"))
    return 204, None


METHODS: dict[str, Callable[[CalendarContext, Call], Result]] = {
    "calendar.events.list": events_list,
    "calendar.events.get": events_get,
    "calendar.events.insert": events_insert,
    "calendar.events.patch": events_patch,
    "calendar.events.update": events_update,
    "calendar.events.delete": events_delete,
}

"""The contact side of a Calendar story: invites from contacts, their answers, moves and
cancellations. Mixed into GoogleEmulator."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from integrations.sandbox.clock import SimClock
from integrations.sandbox.google import calendar
from integrations.sandbox.google.calendar import Calendar, ConferencePlan
from integrations.sandbox.google.errors import bad_request


def _when(moment: datetime, time_zone: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"dateTime": moment.isoformat()}
    if time_zone:
        out["timeZone"] = time_zone
    return out


class CalendarStory:
    """Story steps on the calendar; `self` is the GoogleEmulator."""

    clock: SimClock

    def calendar(self, email: str | None = None) -> Calendar:
        raise NotImplementedError

    def deliver_invitation(
        self, *, sender: str, summary: str, start: datetime, end: datetime, email: str | None
    ) -> dict[str, Any]:
        raise NotImplementedError

    def send_invite(
        self,
        *,
        organizer: str,
        summary: str,
        start: datetime,
        end: datetime,
        time_zone: str | None = None,
        email: str | None = None,
        mail: bool = False,
        location: str = "",
        meet: bool = False,
    ) -> dict[str, Any]:
        """A contact invites the user: the event appears with the user as needsAction.
        `location` is the event's place; `meet` gives it a Google Meet link, as the
        organizer's calendar does when they add a conference.

        `mail`: the invitation mail lands in the inbox too, as the organizer's calendar
        sends it. Off unless asked: stories written before it expect an inbox of
        conversation only (worker/crash_scenario.py holds every inbox message to be a
        logged reply)."""
        if mail:
            self.deliver_invitation(
                sender=organizer, summary=summary, start=start, end=end, email=email
            )
        cal = self.calendar(email)
        body = {
            "summary": summary,
            "start": _when(start, time_zone),
            "end": _when(end, time_zone),
            "attendees": [
                {"email": organizer, "responseStatus": "accepted"},
                {"email": cal.email, "responseStatus": "needsAction"},
            ],
        }
        if location:
            body["location"] = location
        if meet:
            body["conferenceData"] = {"createRequest": {"requestId": f"invite-{summary}"}}
        return calendar.store_event(cal, body, self.clock.now(), organizer, conference=meet)

    def user_adds_event(
        self,
        *,
        summary: str,
        start: datetime,
        end: datetime,
        all_day: bool = False,
        free: bool = False,
        email: str | None = None,
    ) -> dict[str, Any]:
        """The user puts something in their own calendar (no attendees). `all_day`: "date"
        bounds, the end day exclusive; `free`: transparency "transparent", which "does not
        block time on the calendar" (Events resource, developers.google.com/calendar/api/
        v3/reference/events)."""
        cal = self.calendar(email)
        if all_day:
            bounds = {"start": {"date": start.date().isoformat()}}
            bounds["end"] = {"date": end.date().isoformat()}
        else:
            bounds = {"start": _when(start, None), "end": _when(end, None)}
        body: dict[str, Any] = {"summary": summary, **bounds}
        if free:
            body["transparency"] = "transparent"
        return calendar.store_event(cal, body, self.clock.now(), cal.email)

    def respond_to_event(
        self, event_id: str, *, attendee: str, response: str, email: str | None = None
    ) -> dict[str, Any]:
        """An attendee accepts, declines or tentatively accepts."""
        if response not in ("accepted", "declined", "tentative", "needsAction"):
            raise bad_request(f"Invalid responseStatus {response}")
        cal = self.calendar(email)
        with cal.lock:
            attendees = cal.get(event_id).resource.get("attendees", [])
            if not any(a["email"].lower() == attendee.lower() for a in attendees):
                attendees = [*attendees, {"email": attendee}]
            changed = [
                {**a, "responseStatus": response} if a["email"].lower() == attendee.lower() else a
                for a in attendees
            ]
            return calendar.change_event(cal, event_id, {"attendees": changed}, self.clock.now())

    def move_event(
        self,
        event_id: str,
        *,
        start: datetime,
        end: datetime,
        time_zone: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """The organizer reschedules the event."""
        changes = {"start": _when(start, time_zone), "end": _when(end, time_zone)}
        return calendar.change_event(self.calendar(email), event_id, changes, self.clock.now())

    def set_place(self, event_id: str, location: str, email: str | None = None) -> dict[str, Any]:
        """The organizer writes where the meeting is into the event."""
        changes = {"location": location}
        return calendar.change_event(self.calendar(email), event_id, changes, self.clock.now())

    def cancel_event(self, event_id: str, email: str | None = None) -> None:
        """The organizer cancels: the event becomes a cancelled tombstone."""
        calendar.cancel_event(self.calendar(email), event_id, self.clock.now())

    def plan_conferences(
        self,
        *,
        outcome: str = "success",
        pending_for: timedelta | None = timedelta(0),
        email: str | None = None,
    ) -> None:
        """How Meet conferences asked for from now on are made: `outcome` "success" or
        "failure", after `pending_for` of "pending" (zero: answered by the insert itself;
        None: pending until `finish_conference`)."""
        if outcome not in ("success", "failure"):
            raise bad_request(f"Invalid conference outcome {outcome}.")
        if pending_for is not None and pending_for < timedelta(0):
            raise bad_request("A conference cannot be ready before it is asked for.")
        cal = self.calendar(email)
        with cal.lock:
            cal.conference_plan = ConferencePlan(outcome, pending_for)

    def finish_conference(
        self, event_id: str, *, outcome: str | None = None, email: str | None = None
    ) -> dict[str, Any]:
        """Google finishes making the event's pending conference now (as planned, or as
        `outcome` says): the event gains its Meet link, or its request fails."""
        return calendar.finish_conference(self.calendar(email), event_id, self.clock.now(), outcome)

    def expire_sync_tokens(self, email: str | None = None) -> None:
        """Every Calendar sync token issued so far answers 410 from now on."""
        self.calendar(email).expire_sync_tokens()

    def calendar_state(self, email: str | None = None) -> dict[str, Any]:
        cal = self.calendar(email)
        calendar.settle_conferences(cal, self.clock.now())
        with cal.lock:
            return {
                "timeZone": cal.time_zone,
                "events": [dict(e.resource) for e in cal.events.values()],
                "invitations": list(cal.invitations),
            }

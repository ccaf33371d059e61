"""The far end of the crash harness's story on each provider: how a contact answers, books,
moves and cancels, how the user sends a draft in their mail client, which requests a fault
or a mid-action kill may hit, and what the emulator's own record says afterwards. One
class for the Gmail emulator, one for the Microsoft Graph emulator, one table naming them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal, Protocol

from events.types import AccountConnected
from integrations.google.mime import MARKER as GMAIL_MARKER
from integrations.microsoft.mail import MARKER as GRAPH_MARKER
from integrations.sandbox import Sandbox
from integrations.sandbox.google import GoogleEmulator
from integrations.sandbox.google import calendar as gcal
from integrations.sandbox.google.errors import GoogleError
from integrations.sandbox.microsoft import MicrosoftEmulator, extended
from integrations.sandbox.microsoft.scenarios import ScenarioError
from integrations.sandbox.microsoft.state import Attendee, Event, Person
from worker.services.app import App

ProviderName = Literal["google", "microsoft"]
USER_ZONE = "Europe/London"
#: Where every meeting of the story takes place (a call's link): a confirmation says
#: where, and a meeting without a findable place gets a draft asking instead.
PLACE = "https://meet.example/sam-rivera"


@dataclass(frozen=True)
class Record:
    """What the emulator holds at the end, in the terms the checks compare with the log.

    Parameters:
      ours: the Message-ID of every message the account wrote (sent mail and drafts): the
        one the worker gave it, read from our mark when the provider gave it another.
      sent: the Message-IDs of sent mail, the same way (a message sent twice is listed
        twice).
      received: Message-IDs of mail from contacts the log must hold (not meeting mail).
      events: per provider event id, "cancelled", "declined" (by the contact) or None.
      replaced: sent messages whose Message-ID the provider replaced with its own.
    """

    ours: list[str]
    sent: list[str]
    received: list[str]
    events: dict[str, str | None]
    replaced: int = 0


class FarEnd(Protocol):
    """One provider's side of the story (see the module docstring)."""

    provider: ProviderName  # the name in the sandbox's fault plan and accounting
    account_id: str
    apis: tuple[str, ...]  # globs of the mailbox and calendar calls faults hit
    token_method: str  # the token endpoint's name in the fault plan
    droppable: tuple[str, ...]  # calls a dropped connection may hit
    batched: tuple[str, ...]  # calls served inside batches: a 429 instead of a drop
    mutating: frozenset[str]  # calls a mid-action kill fires in

    def connect(self, app: App, account_event_id: str) -> None: ...
    def rewrite_message_ids(self) -> None: ...
    def is_api(self, method: str) -> bool: ...
    def bounce(self, sent_id: str) -> None: ...
    def auto_reply(self, sent_id: str, back: date) -> None: ...
    def reply(self, sent_id: str, body: str) -> None: ...
    def they_invite(
        self, organizer: str, summary: str, start: datetime, end: datetime, zone: str
    ) -> str: ...
    def we_invite(
        self, attendee: str, now: datetime, start: datetime, end: datetime, zone: str
    ) -> str: ...
    def move(
        self, event_id: str, now: datetime, start: datetime, end: datetime, zone: str
    ) -> None: ...
    def cancel(self, event_id: str, now: datetime, organised_by_us: bool) -> None: ...
    def decline(self, event_id: str, attendee: str) -> None: ...
    def accept_invitations(self, now: datetime) -> int: ...
    def user_sends(self, draft_id: str) -> str | None: ...
    def record(self, user_attendees: dict[str, str]) -> Record: ...


class GmailEnd:
    """The Gmail and Google Calendar emulator's account."""

    provider: ProviderName = "google"
    account_id: str = "sandbox-google"
    apis: tuple[str, ...] = ("gmail.*", "calendar.*")
    token_method: str = "google.token"
    # Calls never made inside a batch: the only ones a dropped connection can hit (a batch
    # part cannot drop its connection; the others get a 429 instead).
    droppable: tuple[str, ...] = (
        "gmail.users.history.list",
        "gmail.users.drafts.*",
        "gmail.users.messages.send",
        "gmail.users.messages.list",
        "calendar.events.*",
        "gmail.batch",
    )
    batched: tuple[str, ...] = (
        "gmail.users.messages.get",
        "gmail.users.threads.get",
        "gmail.users.getProfile",
    )
    mutating: frozenset[str] = frozenset(
        {
            "gmail.users.drafts.create",
            "gmail.users.drafts.delete",
            "gmail.users.drafts.send",
            "gmail.users.messages.send",
            "calendar.events.insert",
        }
    )

    def __init__(self, sandbox: Sandbox) -> None:
        self.google: GoogleEmulator = sandbox.google
        self.email = str(sandbox.endpoints()["google"]["email"])

    def connect(self, app: App, account_event_id: str) -> None:
        _connect(app, self.account_id, self.email, account_event_id)

    def rewrite_message_ids(self) -> None:
        """From now on Gmail gives what is sent a Message-ID of its own."""
        self.google.rewrite_message_ids()

    def is_api(self, method: str) -> bool:
        return method.startswith(("gmail.", "calendar."))

    def bounce(self, sent_id: str) -> None:
        self.google.deliver_bounce(to_message=sent_id)

    def auto_reply(self, sent_id: str, back: date) -> None:
        self.google.deliver_auto_reply(to_message=sent_id, return_date=back)

    def reply(self, sent_id: str, body: str) -> None:
        self.google.deliver_reply(to_message=sent_id, body=body)

    def they_invite(
        self, organizer: str, summary: str, start: datetime, end: datetime, zone: str
    ) -> str:
        ev = self.google.send_invite(
            organizer=organizer,
            summary=summary,
            start=start,
            end=end,
            time_zone=zone,
            location="Blue Bottle Coffee, 300 Webster Street, Oakland",
        )
        # The user accepts: a contact's invitation is confirmed only once accepted.
        self.google.respond_to_event(
            str(ev["id"]), attendee=self.google.calendar().email, response="accepted"
        )
        cal = self.google.calendar()
        with cal.lock:  # the invitation names its place, as most do
            gcal.change_event(cal, ev["id"], {"location": PLACE}, self.google.clock.now())
        return str(ev["id"])

    def we_invite(
        self, attendee: str, now: datetime, start: datetime, end: datetime, zone: str
    ) -> str:
        cal = self.google.calendar()
        body = {
            "summary": "Informational interview",
            "location": PLACE,
            "start": {"dateTime": start.isoformat(), "timeZone": zone},
            "end": {"dateTime": end.isoformat(), "timeZone": zone},
            "attendees": [{"email": attendee}],
        }
        return str(gcal.store_event(cal, body, now, cal.email)["id"])

    def move(self, event_id: str, now: datetime, start: datetime, end: datetime, zone: str) -> None:
        self.google.move_event(event_id, start=start, end=end, time_zone=zone)

    def cancel(self, event_id: str, now: datetime, organised_by_us: bool) -> None:
        self.google.cancel_event(event_id)

    def decline(self, event_id: str, attendee: str) -> None:
        self.google.respond_to_event(event_id, attendee=attendee, response="declined")

    def accept_invitations(self, now: datetime) -> int:
        """The user says yes in their calendar to every contact's invitation awaiting an
        answer (a moved one asks again); returns how many."""
        waiting = [
            ev["id"]
            for ev in self.google.calendar_state()["events"]
            if ev.get("status") != "cancelled"
            and any(
                a["email"] == self.email and a.get("responseStatus") == "needsAction"
                for a in ev.get("attendees", [])
            )
        ]
        for event_id in waiting:
            self.google.respond_to_event(event_id, attendee=self.email, response="accepted")
        return len(waiting)

    def user_sends(self, draft_id: str) -> str | None:
        try:
            return str(self.google.user_sends_draft(draft_id)["id"])
        except GoogleError:
            return None  # deleted by the worker a moment ago (a reply superseded it)

    def record(self, user_attendees: dict[str, str]) -> Record:
        mail = self.google.mail_state()
        events: dict[str, str | None] = {}
        for ev in self.google.calendar_state()["events"]:
            who = user_attendees.get(ev["id"])
            declined = any(
                a["email"] == who and a.get("responseStatus") == "declined"
                for a in ev.get("attendees", [])
            )
            events[ev["id"]] = (
                "cancelled" if ev["status"] == "cancelled" else "declined" if declined else None
            )

        def ours(m: dict[str, Any]) -> str:
            return str(m["headers"].get(GMAIL_MARKER) or m["messageId"])

        return Record(
            ours=[ours(m) for m in mail["sent"] + mail["drafts"]],
            sent=[ours(m) for m in mail["sent"]],
            received=[m["messageId"] for m in mail["inbox"]],
            events=events,
            replaced=sum(ours(m) != m["messageId"] for m in mail["sent"]),
        )


class OutlookEnd:
    """The Microsoft Graph emulator's account, reached by MSAL and our OutlookProvider."""

    provider: ProviderName = "microsoft"
    account_id: str = "sandbox-microsoft"
    apis: tuple[str, ...] = ("graph.*",)
    token_method: str = "identity.token"
    droppable: tuple[str, ...] = ("graph.*",)  # Graph is never batched by our adapter
    batched: tuple[str, ...] = ()
    mutating: frozenset[str] = frozenset(
        {
            "graph.messages.create",
            "graph.messages.delete",
            "graph.messages.send",
            "graph.sendMail",
            "graph.events.create",
        }
    )

    def __init__(self, sandbox: Sandbox) -> None:
        emulator = sandbox.microsoft
        assert isinstance(emulator, MicrosoftEmulator), "the sandbox has no Microsoft emulator"
        self.outlook: MicrosoftEmulator = emulator
        self.email: str = emulator.email

    def connect(self, app: App, account_event_id: str) -> None:
        _connect(app, self.account_id, self.email, account_event_id)

    def rewrite_message_ids(self) -> None:
        """From now on Exchange gives what is sent an internetMessageId of its own."""
        self.outlook.rewrite_message_ids()

    def is_api(self, method: str) -> bool:
        return method.startswith("graph.")

    def bounce(self, sent_id: str) -> None:
        self.outlook.deliver_bounce(sent_id)

    def auto_reply(self, sent_id: str, back: date) -> None:
        # Exchange's automatic reply carries its own wording; no return date to give.
        self.outlook.deliver_out_of_office(sent_id)

    def reply(self, sent_id: str, body: str) -> None:
        self.outlook.deliver_reply(sent_id, body)

    def they_invite(
        self, organizer: str, summary: str, start: datetime, end: datetime, zone: str
    ) -> str:
        event_id = str(self.outlook.invite(organizer, summary, start, end, zone)["id"])
        mailbox = self.outlook.mailbox()
        with mailbox.lock:  # the invitation names its place, as most do
            event = mailbox.live_event(event_id)
            assert event is not None
            event.location = PLACE
            mailbox.touch_event(event, self.outlook.clock.now())
        return event_id

    def we_invite(
        self, attendee: str, now: datetime, start: datetime, end: datetime, zone: str
    ) -> str:
        """The user books the meeting in Outlook: an event they organise, the contact
        invited (no mail reaches the user's own inbox for that)."""
        mailbox = self.outlook.mailbox()
        with mailbox.lock:
            event = Event(
                id=mailbox.new_id("event"),
                subject="Informational interview",
                start=start,
                end=end,
                organizer=Person(mailbox.email, mailbox.display_name),
                is_organizer=True,
                original_time_zone=zone,
                location=PLACE,
                attendees=[Attendee(Person(attendee, ""))],
                ical_uid="040000008200E00074C5B7101A82E008" + uuid.uuid4().hex.upper(),
            )
            mailbox.add_event(event, now)
        return event.id

    def move(self, event_id: str, now: datetime, start: datetime, end: datetime, zone: str) -> None:
        mailbox = self.outlook.mailbox()
        event = mailbox.live_event(event_id)
        assert event is not None, f"no event {event_id}"
        if not event.is_organizer:
            self.outlook.reschedule(event_id, start, end)  # the organiser's update mail too
            return
        with mailbox.lock:  # the user drags their own meeting in Outlook
            event.start, event.end = start, end
            mailbox.touch_event(event, now)

    def cancel(self, event_id: str, now: datetime, organised_by_us: bool) -> None:
        if not organised_by_us:
            self.outlook.cancel_event(event_id)  # isCancelled, and the cancellation mail
            return
        mailbox = self.outlook.mailbox()
        with mailbox.lock:  # the user deletes their own meeting in Outlook
            event = mailbox.live_event(event_id)
            assert event is not None, f"no event {event_id}"
            event.deleted = True
            mailbox.touch_event(event, now)

    def decline(self, event_id: str, attendee: str) -> None:
        self.outlook.respond(event_id, attendee, "declined")

    def accept_invitations(self, now: datetime) -> int:
        """The user says yes in Outlook to every contact's invitation awaiting an answer
        (a moved one asks again); returns how many."""
        mailbox = self.outlook.mailbox()
        with mailbox.lock:
            waiting = [
                e
                for e in mailbox.events.values()
                if not (e.is_organizer or e.deleted or e.is_cancelled)
                and e.response in ("notResponded", "none")
            ]
            for event in waiting:
                event.response, event.response_time = "accepted", now
                mailbox.touch_event(event, now)
        return len(waiting)

    def user_sends(self, draft_id: str) -> str | None:
        try:
            return str(self.outlook.send_draft_in_outlook(draft_id)["internetMessageId"])
        except ScenarioError:
            return None  # deleted by the worker a moment ago (a reply superseded it)

    def record(self, user_attendees: dict[str, str]) -> Record:
        state = self.outlook.state()
        events: dict[str, str | None] = {}
        for ev in state["events"]:
            who = user_attendees.get(ev["id"])
            declined = any(
                a["address"] == who and a["response"] == "declined" for a in ev["attendees"]
            )
            gone = ev["isCancelled"] or ev["deleted"]
            events[ev["id"]] = "cancelled" if gone else "declined" if declined else None
        mailbox = self.outlook.mailbox()
        marker = extended.key(GRAPH_MARKER)
        with mailbox.lock:
            inbox = mailbox.in_folder(mailbox.aliases["inbox"])
            # Meeting requests, updates and answers are calendar mail, not messages a
            # contact wrote: the calendar carries what they say.
            received = [
                m.internet_message_id for m in inbox if m.odata_type == "#microsoft.graph.message"
            ]
            marks = {i: m.extended.get(marker or "") for i, m in mailbox.messages.items()}

        def ours(m: dict[str, Any]) -> str:
            mark = marks.get(m["id"])
            return str(mark[1] if mark else m["internetMessageId"])

        return Record(
            ours=[ours(m) for m in state["sent"] + state["drafts"]],
            sent=[ours(m) for m in state["sent"]],
            received=received,
            events=events,
            replaced=sum(ours(m) != m["internetMessageId"] for m in state["sent"]),
        )


def _connect(app: App, account_id: str, email: str, event_id: str) -> None:
    """What `outreach connect sandbox` records: the emulator's ready-made account."""
    app.journal.record(
        AccountConnected(
            account_id=account_id, provider="sandbox", email=email, time_zone=USER_ZONE
        ),
        event_id=event_id,
    )


def far_end(provider: ProviderName, sandbox: Sandbox) -> FarEnd:
    """The far end of `provider` on a started sandbox."""
    return FAR_ENDS[provider](sandbox)


FAR_ENDS: Final[dict[ProviderName, type[GmailEnd] | type[OutlookEnd]]] = {
    "google": GmailEnd,
    "microsoft": OutlookEnd,
}

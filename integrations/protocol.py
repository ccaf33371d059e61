"""The provider protocol: what the worker needs from a mailbox and calendar, whoever hosts them.

Gmail + Google Calendar, Outlook via Graph, and anything else implement it; actors
only ever talk to this, so providers are interchangeable and one contract test
suite holds them all to the same behaviour. Sync returns provider-neutral
observations; deciding what they mean (a reply? an auto-reply? our draft sent?)
is the worker's job, done once for every provider.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class ProviderError(Exception):
    """Base of provider failures. Messages never contain tokens."""


class TransientProviderError(ProviderError):
    """Worth retrying later: throttling, 5xx, a dropped connection.

    Parameters:
      retry_after: seconds the provider asked us to wait, when it said.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentProviderError(ProviderError):
    """Retrying cannot help (a malformed request, a missing resource we depend on)."""


class NeedsReconnect(ProviderError):
    """The grant was revoked or expired, or a scope is missing: the user must reconnect.

    Parameters:
      command: what the user runs to fix it.
    """

    def __init__(self, message: str, command: str) -> None:
        super().__init__(message)
        self.command = command


@dataclass(frozen=True)
class OutgoingMessage:
    """A message we draft or send. `message_id` is derived from its cause, so a retry
    can find an earlier attempt in the sent mail instead of sending twice."""

    to: list[str]
    subject: str
    body: str
    message_id: str
    thread_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DraftRef:
    provider_draft_id: str
    message_id: str
    thread_id: str | None = None


@dataclass(frozen=True)
class DraftText:
    """A draft as it stands in the mailbox now: the user may have changed it there.

    `body` is plain text (an HTML body, as mail clients write an edit, is read as text)."""

    provider_draft_id: str
    message_id: str
    subject: str
    body: str
    to: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SentRef:
    provider_message_id: str
    message_id: str
    thread_id: str | None = None


@dataclass(frozen=True)
class EventRequest:
    """A calendar event with the contact as attendee (invitations sent by the provider)."""

    summary: str
    start: datetime
    end: datetime
    time_zone: str
    attendees: list[str]
    location: str = ""
    description: str = ""
    request_id: str = ""  # deterministic: a retry must not create a second event
    #: Ask the provider for a video call (Google Meet, Teams): its join link is the place.
    video_call: bool = False


@dataclass(frozen=True)
class CreatedEvent:
    """The event as the calendar answered its creation (Google events.insert, Graph
    POST /me/events): what the meeting records at once, without waiting for a sync."""

    provider_event_id: str
    #: The event's page in the user's calendar (Google `htmlLink`, Graph `webLink`).
    calendar_link: str = ""
    #: The video call's join link, when the calendar made one (Google `hangoutLink` or
    #: the conference's video entry point, Graph `onlineMeeting.joinUrl`); "" when there
    #: is none, or none yet (a Meet still being created comes with a later sync).
    link: str = ""
    #: The calendar is still making the video call (a Google conference "pending"): its
    #: link is to come with a later sync, so "" here does not mean "nowhere".
    link_pending: bool = False


@dataclass(frozen=True)
class MessageSeen:
    """A message in the mailbox, as much as the worker needs of it."""

    provider_message_id: str
    message_id: str  # RFC 5322 Message-ID
    thread_id: str | None
    from_address: str
    to: list[str]
    cc: list[str]
    subject: str
    date: datetime
    sent_by_user: bool
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    #: Headers that tell automatic mail apart (Auto-Submitted, X-Autoreply, Precedence,
    #: Content-Type for delivery reports...), lower-cased names.
    headers: dict[str, str] = field(default_factory=dict)
    excerpt: str = ""
    #: Set when the mail is a meeting invitation, response or cancellation: the iTIP
    #: method (REQUEST, REPLY, CANCEL...) of its text/calendar part, or what the provider
    #: says it is. The calendar is the source of truth for meetings, so such mail is
    #: never conversation.
    calendar_method: str | None = None
    #: The whole message (RFC 5322 bytes), read only for received mail that may be an
    #: automatic report (integrations.reports): a bounce names the failed recipient, and
    #: quotes our Message-ID, only in its body, and most carry no In-Reply-To.
    raw: bytes | None = None
    #: For mail we sent: the Message-ID we gave it, read back from our own marker (an
    #: X- header on Gmail). The provider may have replaced it in `message_id`: whether
    #: it keeps a client-set one is not documented.
    our_message_id: str | None = None


@dataclass(frozen=True)
class DraftGone:
    """A draft of ours left the Drafts folder: sent from the mail client, or deleted."""

    provider_draft_id: str


@dataclass(frozen=True)
class CalendarEventSeen:
    provider_event_id: str
    status: str  # confirmed | tentative | cancelled
    start: datetime | None
    end: datetime | None
    time_zone: str
    all_day: bool
    attendees: dict[str, str]  # address -> needsAction | accepted | declined | tentative
    location: str = ""
    summary: str = ""
    #: The video call's join link (Google hangoutLink / conferenceData, Graph
    #: onlineMeeting.joinUrl): a confirmation says where, a link counts as where.
    link: str = ""
    #: The video call is still being made (a Google conference "pending"): its link is
    #: to come; once the calendar is done, a later sync sees the link, or none (failed).
    link_pending: bool = False


@dataclass(frozen=True)
class BusyTime:
    """A stretch of the user's calendar that is taken (for offering meeting times).

    Timed events: aware `start`/`end`. All-day events (`all_day`): `start` is midnight of
    the first day and `end` midnight after the last, in the calendar's own zone: the dates
    are what count.
    """

    start: datetime
    end: datetime
    all_day: bool = False


@dataclass
class SyncBatch:
    """What one sync pass saw, and the cursors to start from next time."""

    messages: list[MessageSeen] = field(default_factory=list)
    drafts_gone: list[DraftGone] = field(default_factory=list)
    events: list[CalendarEventSeen] = field(default_factory=list)
    cursors: dict[str, str] = field(default_factory=dict)
    #: True while a first sync is still paging (resume from `cursors`).
    incomplete: bool = False


class Provider(Protocol):
    """One connected account's mailbox and calendar."""

    account_id: str
    email: str

    def create_draft(self, message: OutgoingMessage) -> DraftRef: ...

    def update_draft(self, provider_draft_id: str, message: OutgoingMessage) -> DraftRef: ...

    def delete_draft(self, provider_draft_id: str) -> None:
        """Idempotent: deleting a draft that is already gone is not an error."""
        ...

    def read_draft(self, provider_draft_id: str) -> DraftText | None:
        """The draft's current subject and text, or None when it left Drafts (sent or
        deleted): what the user reviews and edits is the mailbox's copy, not ours."""
        ...

    def send_draft(self, provider_draft_id: str) -> SentRef: ...

    def send_message(self, message: OutgoingMessage) -> SentRef: ...

    def find_sent(self, message_id: str) -> SentRef | None:
        """The sent message carrying this Message-ID, if any (the duplicate-send guard)."""
        ...

    def create_event(self, request: EventRequest) -> CreatedEvent:
        """Create the event with invitations sent; a retry of the same request answers
        the first event, never a second one."""
        ...

    def busy(self, start: datetime, end: datetime) -> list[BusyTime]:
        """What takes the user's time between `start` and `end` on their primary calendar:
        neither cancelled events, nor those marked free, nor those they declined."""
        ...

    def sync(
        self, cursors: dict[str, str], addresses: set[str], drafts: Collection[str] = ()
    ) -> SyncBatch:
        """Changes since `cursors` (a first sync when empty), limited to conversations
        with `addresses` (the tracked contacts). `drafts` names our drafts still waiting
        (provider draft ids): each that left Drafts is reported in `drafts_gone`, even
        one made and sent or discarded since the last pass."""
        ...

    def close(self) -> None:
        """Release the provider's connections; it is not used afterwards."""
        ...

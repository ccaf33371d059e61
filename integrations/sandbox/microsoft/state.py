"""The mailbox behind the emulator: folders, messages, events, and the per-folder change
logs that delta queries read."""

from __future__ import annotations

import base64
import bisect
import hashlib
import secrets
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

WELL_KNOWN_FOLDERS = {
    "inbox": "Inbox",
    "drafts": "Drafts",
    "sentitems": "Sent Items",
    "deleteditems": "Deleted Items",
    "outbox": "Outbox",
    "archive": "Archive",
    "junkemail": "Junk Email",
}


def _graph_id(seed: bytes) -> str:
    # Real ids are long base64 strings; URL-safe here so they survive path segments.
    digest = hashlib.sha256(seed).digest() + hashlib.sha256(seed + b"/").digest()[:16]
    return "AAMkAG" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_internet_message_id(domain: str) -> str:
    return f"<{secrets.token_hex(12).upper()}@{domain}>"


@dataclass
class Person:
    """An email address with a display name."""

    address: str
    name: str = ""

    def graph(self) -> dict[str, dict[str, str]]:
        return {"emailAddress": {"name": self.name or self.address, "address": self.address}}


@dataclass
class Message:
    """One message (draft, received or sent) as Exchange keeps it."""

    immutable_id: str
    folder_id: str
    subject: str = ""
    body_type: str = "html"
    body: str = ""
    sender: Person | None = None
    to: list[Person] = field(default_factory=list)
    cc: list[Person] = field(default_factory=list)
    bcc: list[Person] = field(default_factory=list)
    reply_to: list[Person] = field(default_factory=list)
    internet_message_id: str = ""
    conversation_id: str = ""
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    extra_headers: list[tuple[str, str]] = field(default_factory=list)
    created: datetime | None = None
    last_modified: datetime | None = None
    received: datetime | None = None
    sent: datetime | None = None
    is_draft: bool = False
    is_read: bool = False
    importance: str = "normal"
    categories: list[str] = field(default_factory=list)
    odata_type: str = "#microsoft.graph.message"
    meeting_message_type: str | None = None
    event_id: str | None = None
    moves: int = 0
    version: int = 0
    #: The MIME text the message arrived as, when a scenario delivered it byte for byte
    #: (a mail server's report); others are written out from their fields.
    mime: bytes | None = None
    #: singleValueExtendedProperties the client set: the property's key (extended.key)
    #: → (its id as the client wrote it, its value).
    extended: dict[str, tuple[str, str]] = field(default_factory=dict)

    def regular_id(self) -> str:
        """The default (non-immutable) id: it changes whenever the message changes folder."""
        return _graph_id(f"{self.immutable_id}/{self.folder_id}/{self.moves}".encode())


@dataclass
class Attendee:
    person: Person
    type: str = "required"
    response: str = "none"
    response_time: datetime | None = None


@dataclass
class Event:
    """One calendar event, times held in UTC."""

    id: str
    subject: str
    start: datetime
    end: datetime
    organizer: Person
    is_organizer: bool
    original_time_zone: str = "UTC"
    body_type: str = "html"
    body: str = ""
    location: str = ""
    attendees: list[Attendee] = field(default_factory=list)
    response: str = "organizer"
    response_time: datetime | None = None
    is_cancelled: bool = False
    is_all_day: bool = False
    show_as: str = "busy"
    ical_uid: str = ""
    transaction_id: str | None = None
    created: datetime | None = None
    last_modified: datetime | None = None
    deleted: bool = False
    version: int = 0
    #: The join link of an online meeting ("" when the event is not one).
    join_url: str = ""
    #: The event's onlineMeetingProvider: "unknown" until a meeting is made online.
    online_meeting_provider: str = "unknown"


@dataclass
class Folder:
    id: str
    display_name: str
    well_known: str | None


class ChangeLog:
    """Sequence-ordered record of which keys changed; only each key's latest entry counts.

    Delta pages walk it by sequence number, so a page costs what it returns, not the
    mailbox size. A removal remembers the id the client last saw (ids change on moves)."""

    def __init__(self) -> None:
        self._seqs: list[int] = []
        self._keys: list[str] = []
        self.latest: dict[str, tuple[int, bool, str]] = {}

    def record(self, key: str, seq: int, present: bool, seen_as: str = "") -> None:
        self._seqs.append(seq)
        self._keys.append(key)
        self.latest[key] = (seq, present, seen_as)

    def entries(self, low: int, high: int) -> Iterator[tuple[int, str, bool, str]]:
        """Latest entries with low < seq <= high, in sequence order."""
        start = bisect.bisect_right(self._seqs, low)
        stop = bisect.bisect_right(self._seqs, high)
        for index in range(start, stop):
            key = self._keys[index]
            seq, present, seen_as = self.latest[key]
            if seq == self._seqs[index]:
                yield seq, key, present, seen_as


@dataclass
class SentRecord:
    """Something the user sent, as the recipients (and the control API) see it."""

    immutable_id: str
    internet_message_id: str
    conversation_id: str
    subject: str
    to: list[str]
    cc: list[str]
    sent: datetime
    via: str
    in_reply_to: str | None


class Mailbox:
    """One user's mailbox and calendar. All access goes through `lock`."""

    def __init__(self, email: str, display_name: str, now: datetime) -> None:
        self.lock = threading.RLock()
        self.email = email
        self.display_name = display_name
        self.domain = email.split("@", 1)[-1]
        self.user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"user:{email}"))
        self.seq = 0
        self.delta_epoch = 1
        self.created = now
        self.folders: dict[str, Folder] = {}
        self.aliases: dict[str, str] = {}
        for well_known, display in WELL_KNOWN_FOLDERS.items():
            folder = Folder(_graph_id(f"folder:{email}:{well_known}".encode()), display, well_known)
            self.folders[folder.id] = folder
            self.aliases[well_known] = folder.id
        self.messages: dict[str, Message] = {}
        self.by_regular_id: dict[str, str] = {}
        self.by_internet_id: dict[str, str] = {}
        self.folder_logs: dict[str, ChangeLog] = {fid: ChangeLog() for fid in self.folders}
        self.events: dict[str, Event] = {}
        self.event_by_transaction: dict[str, str] = {}
        self.event_log = ChangeLog()
        self.conversations: dict[str, str] = {}
        self.pending_sent: list[tuple[datetime, Message]] = []
        self.sent_copy_delay = timedelta(seconds=30)
        self.sent: list[SentRecord] = []
        # When set, what is sent gets an internetMessageId of Exchange's making.
        self.rewrite_message_ids = False
        # The default calendar's online meeting providers (calendar resource:
        # allowedOnlineMeetingProviders, defaultOnlineMeetingProvider). A work account
        # with Teams by default; ["unknown"] / "unknown" is a calendar that makes no
        # online meetings (a personal account without Teams).
        self.online_meeting_providers: list[str] = ["teamsForBusiness"]
        self.default_online_meeting_provider = "teamsForBusiness"
        self._counter = 0

    # ids and folders -------------------------------------------------------------
    def new_id(self, kind: str) -> str:
        self._counter += 1
        return _graph_id(f"{kind}:{self.email}:{self._counter}:{secrets.token_hex(4)}".encode())

    def folder_id(self, name_or_id: str) -> str | None:
        if name_or_id.lower() in self.aliases:
            return self.aliases[name_or_id.lower()]
        return name_or_id if name_or_id in self.folders else None

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    # conversations ---------------------------------------------------------------
    def conversation_for(self, in_reply_to: str | None, references: list[str]) -> str:
        """Same conversation as any referenced message we know of; else a new one."""
        for ref in [in_reply_to, *reversed(references)]:
            if ref and ref in self.conversations:
                return self.conversations[ref]
        return "AAQkAG" + base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")

    # messages --------------------------------------------------------------------
    def find_message(self, message_id: str) -> Message | None:
        message = self.messages.get(message_id)
        if message is not None:
            return message
        immutable = self.by_regular_id.get(message_id)
        return self.messages.get(immutable) if immutable else None

    def add_message(self, message: Message, now: datetime) -> Message:
        message.created = message.created or now
        message.last_modified = now
        self.messages[message.immutable_id] = message
        self.by_regular_id[message.regular_id()] = message.immutable_id
        if message.internet_message_id:
            self.by_internet_id.setdefault(message.internet_message_id, message.immutable_id)
            self.conversations.setdefault(message.internet_message_id, message.conversation_id)
        self.folder_logs[message.folder_id].record(message.immutable_id, self.next_seq(), True)
        return message

    def touch_message(self, message: Message, now: datetime) -> None:
        message.last_modified = now
        message.version += 1
        self.folder_logs[message.folder_id].record(message.immutable_id, self.next_seq(), True)

    def move_message(self, message: Message, folder_id: str, now: datetime) -> None:
        if folder_id == message.folder_id:
            return
        old_regular = message.regular_id()
        self.by_regular_id.pop(old_regular, None)
        self.folder_logs[message.folder_id].record(
            message.immutable_id, self.next_seq(), False, old_regular
        )
        message.folder_id = folder_id
        message.moves += 1
        self.by_regular_id[message.regular_id()] = message.immutable_id
        self.touch_message(message, now)

    def remove_message(self, message: Message) -> None:
        self.by_regular_id.pop(message.regular_id(), None)
        self.messages.pop(message.immutable_id, None)
        if self.by_internet_id.get(message.internet_message_id) == message.immutable_id:
            self.by_internet_id.pop(message.internet_message_id, None)
        self.folder_logs[message.folder_id].record(
            message.immutable_id, self.next_seq(), False, message.regular_id()
        )

    def in_folder(self, folder_id: str) -> list[Message]:
        return [m for m in self.messages.values() if m.folder_id == folder_id]

    def deliver_due_sent_copies(self, now: datetime) -> None:
        """Sent Items copies whose delay has passed on the simulated clock appear now."""
        if not self.pending_sent:
            return
        due = [(at, m) for at, m in self.pending_sent if at <= now]
        if not due:
            return
        self.pending_sent = [(at, m) for at, m in self.pending_sent if at > now]
        sent_folder = self.aliases["sentitems"]
        for _, message in sorted(due, key=lambda pair: pair[0]):
            if message.immutable_id in self.messages:
                self.move_message(message, sent_folder, now)
            else:
                message.folder_id = sent_folder
                self.add_message(message, now)

    # events ----------------------------------------------------------------------
    def add_event(self, event: Event, now: datetime) -> Event:
        event.created = event.created or now
        event.last_modified = now
        self.events[event.id] = event
        if event.transaction_id:
            self.event_by_transaction[event.transaction_id] = event.id
        self.event_log.record(event.id, self.next_seq(), True)
        return event

    def touch_event(self, event: Event, now: datetime) -> None:
        event.last_modified = now
        event.version += 1
        self.event_log.record(event.id, self.next_seq(), not event.deleted)

    def live_event(self, event_id: str) -> Event | None:
        event = self.events.get(event_id)
        return event if event is not None and not event.deleted else None

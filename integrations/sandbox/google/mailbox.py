"""One Gmail mailbox: messages, threads, drafts, labels and the history log."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any

from integrations.sandbox.google import mime
from integrations.sandbox.google.errors import not_found

HISTORY_TTL = timedelta(days=7)
SYSTEM_LABELS = (
    "CHAT",
    "SENT",
    "INBOX",
    "IMPORTANT",
    "TRASH",
    "DRAFT",
    "SPAM",
    "CATEGORY_FORUMS",
    "CATEGORY_UPDATES",
    "CATEGORY_PERSONAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_SOCIAL",
    "STARRED",
    "UNREAD",
)
_REPLY_PREFIX = re.compile(
    r"^\s*((re|fwd?|aw|sv|antw|automatic reply|auto(matische)? antwort)\s*:\s*)+", re.IGNORECASE
)


@dataclass
class StoredMessage:
    """A message as Gmail keeps it; header facts are parsed once for fast search."""

    id: str
    thread_id: str
    label_ids: list[str]
    raw: bytes
    internal_date: int  # ms since the epoch
    history_id: int
    parsed: Message
    message_id: str  # the RFC 5322 Message-ID header, angle brackets included
    senders: list[str]
    recipients: list[str]
    subject: str
    text: str

    def reference(self) -> dict[str, str]:
        return {"id": self.id, "threadId": self.thread_id}


@dataclass
class HistoryRecord:
    id: int
    at: datetime
    kind: str  # messageAdded | messageDeleted | labelAdded | labelRemoved
    message: StoredMessage
    labels: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The record as users.history.list returns it. Its messages carry id and threadId
        only: History.messages[] in https://developers.google.com/gmail/api/reference/
        rest/v1/users.history says the messages "typically only have id and threadId"
        populated. A labelsAdded/labelsRemoved change keeps its own labelIds ("Label IDs
        added to/removed from the message", LabelAdded/LabelRemoved)."""
        ref = {**self.message.reference()}
        change: dict[str, Any] = {"message": dict(ref)}
        if self.kind in ("labelAdded", "labelRemoved"):
            change["labelIds"] = list(self.labels)
        plural = {
            "messageAdded": "messagesAdded",
            "messageDeleted": "messagesDeleted",
            "labelAdded": "labelsAdded",
            "labelRemoved": "labelsRemoved",
        }[self.kind]
        return {"id": str(self.id), "messages": [ref], plural: [change]}


def normalized_subject(subject: str) -> str:
    return _REPLY_PREFIX.sub("", subject).strip().lower()


class Mailbox:
    """Thread-safe state of one account's Gmail. Ids are hex like Gmail's; history ids grow
    by uneven steps because real ones are not contiguous either.

    Parameters:
        email: the account's address.
        rng: the seeded random source for ids.
        history_ttl: how long history records are kept before start ids go stale.
    """

    def __init__(self, email: str, rng: random.Random, history_ttl: timedelta = HISTORY_TTL):
        self.email = email
        self.lock = threading.RLock()
        self.history_ttl = history_ttl
        self._rng = rng
        self.messages: dict[str, StoredMessage] = {}
        self.order: list[str] = []  # message ids by insertion; listing sorts by date
        self.drafts: dict[str, str] = {}  # draft id -> message id
        self.by_message_id: dict[str, str] = {}  # RFC Message-ID -> thread id
        self.history: list[HistoryRecord] = []
        self.history_id = rng.randint(100_000, 900_000)
        self.history_floor = 0  # start ids below this answer 404
        # When set, what is sent gets a Message-ID of Gmail's making (see mime.new_message_id).
        self.rewrite_message_ids = False
        self._sorted: list[StoredMessage] | None = None

    # ids -------------------------------------------------------------------------------
    def new_id(self) -> str:
        return f"{self._rng.getrandbits(64):016x}"

    def new_draft_id(self) -> str:
        return f"r{self._rng.getrandbits(62)}"

    def _next_history_id(self) -> int:
        self.history_id += self._rng.randint(1, 9)
        return self.history_id

    # reading ---------------------------------------------------------------------------
    def get(self, message_id: str) -> StoredMessage:
        found = self.messages.get(message_id)
        if found is None:
            raise not_found()
        return found

    def newest_first(self) -> list[StoredMessage]:
        if self._sorted is None:
            self._sorted = sorted(
                self.messages.values(), key=lambda m: (m.internal_date, m.history_id), reverse=True
            )
        return self._sorted

    def thread(self, thread_id: str) -> list[StoredMessage]:
        found = [m for m in self.messages.values() if m.thread_id == thread_id]
        if not found:
            raise not_found()
        return sorted(found, key=lambda m: (m.internal_date, m.history_id))

    def find_by_header_id(self, message_id: str) -> StoredMessage | None:
        wanted = message_id.strip().strip("<>")
        for msg in self.messages.values():
            if msg.message_id.strip("<>") == wanted:
                return msg
        return None

    # writing ---------------------------------------------------------------------------
    def add(
        self,
        raw: bytes,
        labels: list[str],
        at: datetime,
        thread_id: str | None = None,
        *,
        record: bool = True,
        force_thread: bool = False,
    ) -> StoredMessage:
        """Store a message; thread it the way Gmail does (see `_thread_for`)."""
        parsed = mime.parse(raw)
        message_id = str(parsed.get("Message-ID", "")).strip()
        subject = str(parsed.get("Subject", ""))
        with self.lock:
            msg_id = self.new_id()
            msg = StoredMessage(
                id=msg_id,
                thread_id="",
                label_ids=list(labels),
                raw=raw,
                internal_date=int(at.timestamp() * 1000),
                history_id=self._next_history_id(),
                parsed=parsed,
                message_id=message_id,
                senders=mime.addresses(parsed, "From", "Sender", "Reply-To"),
                recipients=mime.addresses(parsed, "To", "Cc", "Bcc"),
                subject=subject,
                text=mime.text_of(parsed),
            )
            if force_thread and thread_id:
                msg.thread_id = thread_id  # mail Gmail itself files into a thread (bounces)
            else:
                msg.thread_id = self._thread_for(parsed, subject, thread_id) or msg_id
            self.messages[msg_id] = msg
            self.order.append(msg_id)
            self._sorted = None
            if message_id:
                self.by_message_id.setdefault(message_id.strip("<>"), msg.thread_id)
            if record:
                self.history.append(HistoryRecord(msg.history_id, at, "messageAdded", msg))
            return msg

    def _thread_for(self, parsed: Message, subject: str, wanted: str | None) -> str | None:
        """Gmail joins a thread when the message references one of its messages and the
        subjects match; a requested threadId is honoured only under the same conditions."""
        refs = " ".join(str(parsed.get(h, "")) for h in ("In-Reply-To", "References"))
        threads = {
            self.by_message_id[ref]
            for ref in re.findall(r"<([^>]+)>", refs)
            if ref in self.by_message_id
        }
        if wanted is not None:
            threads &= {wanted}
        for thread_id in threads:
            members = [m for m in self.messages.values() if m.thread_id == thread_id]
            if any(normalized_subject(m.subject) == normalized_subject(subject) for m in members):
                return thread_id
        return None

    def remove(self, message_id: str, at: datetime) -> StoredMessage:
        with self.lock:
            msg = self.get(message_id)
            del self.messages[message_id]
            self.order.remove(message_id)
            self._sorted = None
            self.history.append(HistoryRecord(self._next_history_id(), at, "messageDeleted", msg))
            return msg

    def relabel(self, message_id: str, add: list[str], remove: list[str], at: datetime) -> None:
        with self.lock:
            msg = self.get(message_id)
            removed = [label for label in remove if label in msg.label_ids]
            added = [label for label in add if label not in msg.label_ids]
            msg.label_ids = [label for label in msg.label_ids if label not in removed] + added
            if removed:
                self.history.append(
                    HistoryRecord(self._next_history_id(), at, "labelRemoved", msg, removed)
                )
            if added:
                self.history.append(
                    HistoryRecord(self._next_history_id(), at, "labelAdded", msg, added)
                )
            msg.history_id = self.history_id

    # history ---------------------------------------------------------------------------
    def trim_history(self, now: datetime) -> None:
        """Drop records older than the retention; start ids before them go stale."""
        with self.lock:
            cutoff = now - self.history_ttl
            keep = 0
            while keep < len(self.history) and self.history[keep].at < cutoff:
                self.history_floor = max(self.history_floor, self.history[keep].id)
                keep += 1
            del self.history[:keep]

    def expire_history(self) -> None:
        """Make every start id issued so far stale (Gmail sometimes keeps only hours)."""
        with self.lock:
            self.history.clear()
            self.history_floor = self._next_history_id()

    def date_of(self, msg: StoredMessage) -> datetime | None:
        try:
            return parsedate_to_datetime(str(msg.parsed.get("Date")))
        except (TypeError, ValueError):
            return None

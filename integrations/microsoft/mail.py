"""Drafts and sending in Outlook: replies made with createReply in the contact's
conversation, our Message-ID kept, and no message sent twice."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.microsoft.errors import GraphRefused
from integrations.microsoft.graph import Graph, Json
from integrations.protocol import (
    DraftRef,
    DraftText,
    OutgoingMessage,
    PermanentProviderError,
    SentRef,
    TransientProviderError,
)

_BREAKS = re.compile(r"<br\s*/?>|</p\s*>|</div\s*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_LINE_BREAK = re.compile(r"[\r\n]")
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|antw)\s*:\s*)+", re.IGNORECASE)
#: How long "absent from the mailbox" proves nothing after we submitted a send: Graph
#: answers 202 before Exchange has moved the message on.
DEFAULT_GRACE = timedelta(minutes=5)
LOOKUP_FIELDS = "id,internetMessageId,conversationId,isDraft,parentFolderId,subject"
#: Our own single-value extended property, set on every message we create, holding the
#: Message-ID we gave it. Whether Exchange keeps a client-set internetMessageId on send is
#: not documented; an extended property is documented to be kept on the item and to be
#: filterable "on all instances of the resource in the signed-in user's mailbox" (Graph
#: v1.0, "Get singleValueLegacyExtendedProperty"). The GUID names our own property set.
MARKER = "String {05199349-b4d1-4a72-80dd-886c41d388be} Name OutreachMessageId"

Clock = Callable[[], datetime]


def _single_line(name: str, value: str) -> str:
    # A CR or LF would let text from a template or a contact's name start a new header
    # once Exchange writes the MIME message: refuse rather than fold or strip.
    if _LINE_BREAK.search(value):
        raise ValueError(f"{name} must not contain line breaks")
    return value


def html_text(markup: str) -> str:
    """The text of an HTML body."""
    return html.unescape(_TAGS.sub("", _BREAKS.sub("\n", markup)))


def angle(message_id: str) -> str:
    return f"<{message_id.strip().strip('<>')}>"


def same_subject(a: str, b: str) -> bool:
    """Whether two subjects name the same conversation (Re:/Fwd: prefixes ignored)."""
    return _normal(a) == _normal(b)


def reply_subject(thread_subject: str) -> str:
    return thread_subject if _REPLY_PREFIX.match(thread_subject) else f"RE: {thread_subject}"


def _normal(subject: str) -> str:
    return _REPLY_PREFIX.sub("", subject).strip().lower()


def _odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _marked(message_id: str) -> str:
    """The $filter finding messages whose marker holds `message_id`, in the syntax of
    Microsoft's "Get singleValueLegacyExtendedProperty" (v1.0): "GET /me/mailFolders/{id}/
    messages?$filter=singleValueExtendedProperties/Any(ep: ep/id eq '{id_value}' and
    ep/value eq '{property_value}')"."""
    return (
        f"singleValueExtendedProperties/Any(ep: ep/id eq {_odata_string(MARKER)}"
        f" and ep/value eq {_odata_string(angle(message_id))})"
    )


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Mail:
    """Outlook drafts and messages for one mailbox.

    We never use /sendMail: it leaves no trace until the copy reaches Sent Items, so a
    retry could not tell a lost answer from a lost send. A draft sent by id leaves one
    (Drafts, then Outbox, then Sent Items, same immutable id), and Exchange refuses to
    send an item that is no longer a draft.

    Parameters:
        graph: the mailbox's Graph session.
        email: the account's address.
        clock: the current time, aware (judges the grace period).
        grace: how long after our own submission a message missing everywhere may still
            be in transit, so sending again must wait.
    """

    def __init__(
        self, graph: Graph, email: str, clock: Clock, grace: timedelta = DEFAULT_GRACE
    ) -> None:
        self.graph = graph
        self.email = email
        self.clock = clock
        self.grace = grace
        # Message-IDs we submitted, and when: the in-process memory behind the grace rule.
        self._submitted: dict[str, datetime] = {}
        # Drafts this adapter made only to send them: their leaving Drafts is no news.
        self.own_send_drafts: set[str] = set()
        self._drafts_folder_id: str | None = None
        self._lock = threading.Lock()

    # drafts -------------------------------------------------------------------------------
    def create_draft(self, message: OutgoingMessage) -> DraftRef:
        """Never two drafts with one Message-ID: a worker killed after Graph created the
        draft but before the log recorded it runs the action again on restart, so look
        for the draft first (one request; drafts are a few a day), and again before
        retrying a create whose answer was lost."""
        _check(message)
        existing = self._lookup_draft(message.message_id)
        if existing is not None:
            return DraftRef(str(existing["id"]), message.message_id, existing.get("conversationId"))
        fields = self._fields(message)
        parent = self._reply_target(message)

        def recover() -> Json | None:
            # A create whose answer was lost may have made the draft: never make two.
            return self._lookup_draft(message.message_id)

        if parent is not None:
            fields["subject"] = self._thread_subject(message.subject, parent)
            created = self.graph.call(
                "POST",
                f"/me/messages/{parent['id']}/createReply",
                what="graph.messages.createReply",
                body={"message": fields},
                recover=recover,
            )
        else:
            created = self.graph.call(
                "POST", "/me/messages", what="graph.messages.create", body=fields, recover=recover
            )
        assert created is not None
        return DraftRef(str(created["id"]), message.message_id, created.get("conversationId"))

    def update_draft(self, draft_id: str, message: OutgoingMessage) -> DraftRef:
        _check(message)
        fields = self._fields(message)
        current = self.graph.get(
            f"/me/messages/{draft_id}",
            what="graph.messages.get",
            params={"$select": "subject,conversationId,isDraft"},
        )
        if current.get("isDraft") is False:
            raise PermanentProviderError(f"message {draft_id} is no longer a draft (sent)")
        if message.thread_id or message.in_reply_to:
            # Keep the conversation's subject: a new one starts a new thread for the contact.
            fields["subject"] = self._thread_subject(message.subject, current)
        updated = self.graph.call(
            "PATCH", f"/me/messages/{draft_id}", what="graph.messages.update", body=fields
        )
        assert updated is not None
        thread = updated.get("conversationId") or current.get("conversationId")
        return DraftRef(draft_id, message.message_id, thread)

    def read_draft(self, draft_id: str) -> DraftText | None:
        """The draft as it is now (GET /me/messages/{id}); the session's Prefer
        outlook.body-content-type="text" has Graph answer the body as text even when the
        user's edit in Outlook made it HTML. None when it is gone, no longer a draft, or
        moved out of Drafts (a draft the user deletes goes to Deleted Items, still a draft)."""
        found = self.graph.call(
            "GET",
            f"/me/messages/{draft_id}",
            what="graph.messages.get",
            params={
                "$select": "id,internetMessageId,subject,body,toRecipients,isDraft,parentFolderId"
            },
            missing_ok=True,
        )
        if found is None or found.get("isDraft") is False:
            return None
        if found.get("parentFolderId") != self._drafts_folder():
            return None
        body = found.get("body") or {}
        text = str(body.get("content") or "")
        if str(body.get("contentType", "text")).lower() == "html":
            text = html_text(text)  # a server that ignored the preference
        to = [
            str((r.get("emailAddress") or {}).get("address", "")).lower()
            for r in found.get("toRecipients") or []
        ]
        return DraftText(
            str(found["id"]),
            str(found.get("internetMessageId") or ""),
            str(found.get("subject") or ""),
            text.replace("\r\n", "\n"),
            [a for a in to if a],
        )

    def _drafts_folder(self) -> str:
        """The Drafts folder's id (the well-known name "drafts"), asked once."""
        with self._lock:
            known = self._drafts_folder_id
        if known is None:
            folder = self.graph.get(
                "/me/mailFolders/drafts", what="graph.mailFolders.get", params={"$select": "id"}
            )
            known = str(folder.get("id") or "")
            with self._lock:
                self._drafts_folder_id = known
        return known

    def delete_draft(self, draft_id: str) -> None:
        # Already deleted (or sent) by the user: the outcome we wanted.
        self.graph.call(
            "DELETE", f"/me/messages/{draft_id}", what="graph.messages.delete", missing_ok=True
        )

    def send_draft(self, draft_id: str) -> SentRef:
        found = self.graph.call(
            "GET",
            f"/me/messages/{draft_id}",
            what="graph.messages.get",
            params={"$select": LOOKUP_FIELDS},
            missing_ok=True,
        )
        if found is None:
            raise PermanentProviderError(f"draft {draft_id} is gone (sent or deleted)")
        if found.get("isDraft") is False:
            return _sent_ref(found)  # sent already (by an earlier attempt, or the user)
        return self._submit(found)

    # sending ------------------------------------------------------------------------------
    def send_message(self, message: OutgoingMessage) -> SentRef:
        """Send, unless an earlier attempt with this Message-ID already did."""
        _check(message)
        copies = self._lookup(message.message_id, marked=True)
        sent = [c for c in copies if c.get("isDraft") is False]
        if sent:
            return _sent_ref(sent[0], message.message_id)
        drafts = [c for c in copies if c.get("isDraft")]
        if drafts:
            # A crash between creating and sending: send that draft, never a second one.
            return self._submit(drafts[0])
        self._wait_out_grace(message.message_id)
        draft = self.create_draft(message)
        with self._lock:
            self.own_send_drafts.add(draft.provider_draft_id)
        return self._submit(
            {
                "id": draft.provider_draft_id,
                "internetMessageId": message.message_id,
                "conversationId": draft.thread_id,
            }
        )

    def find_sent(self, message_id: str) -> SentRef | None:
        """The sent copy of the message we gave this Message-ID, in Sent Items or on its
        way there.

        Sent Items first; then the whole mailbox for a copy that is no longer a draft
        (still in the Outbox while Exchange delivers it, or moved by the user), by its
        internetMessageId and, when Exchange gave it another, by our marker property.
        Nothing found within the grace period after our own send proves nothing:
        send_message waits it out (see _wait_out_grace)."""
        listed = self.graph.get(
            "/me/mailFolders/sentitems/messages",
            what="graph.messages.list",
            params={
                "$filter": f"internetMessageId eq {_odata_string(message_id)}",
                "$select": LOOKUP_FIELDS,
                "$top": "5",
            },
        )
        found = listed.get("value") or []
        if found:
            return _sent_ref(found[0], message_id)
        copies = self._lookup(message_id, marked=True)
        elsewhere = [c for c in copies if c.get("isDraft") is False]
        return _sent_ref(elsewhere[0], message_id) if elsewhere else None

    def marker(self, graph_id: str) -> str | None:
        """The Message-ID we gave a message, read from our marker property (None when it
        has none: not made by us, or made before we marked what we make). Expanding the
        property on one message is the documented way to read it: "This is currently the
        only way to get the singleValueLegacyExtendedProperty object"."""
        found = self.graph.call(
            "GET",
            f"/me/messages/{graph_id}",
            what="graph.messages.get",
            params={
                "$select": "id",
                "$expand": f"singleValueExtendedProperties($filter=id eq {_odata_string(MARKER)})",
            },
            missing_ok=True,
        )
        for prop in (found or {}).get("singleValueExtendedProperties") or []:
            if str(prop.get("id", "")).lower() == MARKER.lower() and prop.get("value"):
                return str(prop["value"])
        return None

    def _submit(self, draft: Json) -> SentRef:
        draft_id = str(draft["id"])
        message_id = str(draft.get("internetMessageId") or "")
        with self._lock:
            self._submitted[message_id] = self.clock()

        def recover() -> Json | None:
            # The send may have gone through before the failure: the item is then no
            # longer a draft (same immutable id), and sending it again would be refused.
            return self._sent_by_id(draft_id)

        try:
            self.graph.call(
                "POST", f"/me/messages/{draft_id}/send", what="graph.messages.send", recover=recover
            )
        except GraphRefused as error:
            already = self._sent_by_id(draft_id) if error.status in (400, 404) else None
            if already is None:
                raise
        return SentRef(draft_id, message_id, draft.get("conversationId"))

    def _sent_by_id(self, draft_id: str) -> Json | None:
        found = self.graph.call(
            "GET",
            f"/me/messages/{draft_id}",
            what="graph.messages.get",
            params={"$select": LOOKUP_FIELDS},
            missing_ok=True,
        )
        return found if found is not None and found.get("isDraft") is False else None

    def _wait_out_grace(self, message_id: str) -> None:
        """Refuse to send a message we submitted less than `grace` ago and cannot find:
        Exchange may not show it yet, and sending again would make two."""
        with self._lock:
            submitted = self._submitted.get(message_id)
        if submitted is None:
            return
        left = (submitted + self.grace - self.clock()).total_seconds()
        if left > 0:
            raise TransientProviderError(
                "graph.messages.send: an earlier send of this message may still be in transit",
                retry_after=left,
            )

    # lookups ------------------------------------------------------------------------------
    def _lookup(self, message_id: str, marked: bool = False) -> list[Json]:
        """Every copy in the mailbox (any folder) carrying this Message-ID; with `marked`,
        when there is none, every copy whose marker property holds it (a message Exchange
        gave another internetMessageId on send). Drafts keep ours until sent: looking for
        a draft needs no second request."""
        found = self._listed(f"internetMessageId eq {_odata_string(message_id)}")
        if found or not marked:
            return found
        return self._listed(_marked(message_id))

    def _listed(self, condition: str) -> list[Json]:
        listed = self.graph.get(
            "/me/messages",
            what="graph.messages.list",
            params={"$filter": condition, "$select": LOOKUP_FIELDS, "$top": "10"},
        )
        return list(listed.get("value") or [])

    def _lookup_draft(self, message_id: str) -> Json | None:
        drafts = [c for c in self._lookup(message_id) if c.get("isDraft")]
        return drafts[0] if drafts else None

    def _reply_target(self, message: OutgoingMessage) -> Json | None:
        """The message ours answers: the one named by In-Reply-To, else the newest in the
        conversation. None when neither is there (deleted): a fresh conversation then."""
        if message.in_reply_to:
            copies = [c for c in self._lookup(angle(message.in_reply_to)) if not c.get("isDraft")]
            if copies:
                return copies[0]
        if not message.thread_id:
            return None
        listed = self.graph.get(
            "/me/messages",
            what="graph.messages.list",
            params={
                "$filter": f"conversationId eq {_odata_string(message.thread_id)}",
                "$select": "id,internetMessageId,subject,receivedDateTime,isDraft,from",
                "$top": "50",
            },
        )
        members: list[Json] = [m for m in listed.get("value") or [] if not m.get("isDraft")]
        if not members:
            return None

        def newest(member: Json) -> tuple[datetime, bool]:
            when = _when(member.get("receivedDateTime")) or datetime.min.replace(tzinfo=UTC)
            sender = str(((member.get("from") or {}).get("emailAddress") or {}).get("address", ""))
            # On a tie the contact's message comes last: it answers ours.
            return when, sender.lower() != self.email.lower()

        return max(members, key=newest)

    def _thread_subject(self, subject: str, thread: Json) -> str:
        theirs = str(thread.get("subject") or "")
        if not theirs or same_subject(subject, theirs):
            return subject
        return reply_subject(theirs)

    def _fields(self, message: OutgoingMessage) -> Json:
        return {
            "subject": message.subject,
            "body": {"contentType": "text", "content": message.body},
            "toRecipients": [{"emailAddress": {"address": a}} for a in message.to],
            "internetMessageId": angle(message.message_id),
            "singleValueExtendedProperties": [{"id": MARKER, "value": angle(message.message_id)}],
        }


def _check(message: OutgoingMessage) -> None:
    if not message.to:
        raise ValueError("a message needs at least one recipient")
    _single_line("Subject", message.subject)
    _single_line("Message-ID", message.message_id)
    for address in message.to:
        _single_line("To", address)
    for reference in [message.in_reply_to or "", *message.references]:
        _single_line("References", reference)


def _sent_ref(found: Json, message_id: str | None = None) -> SentRef:
    """What was sent; `message_id`, when given, is the one we gave it (Exchange may have
    given the copy another)."""
    return SentRef(
        str(found["id"]),
        message_id or str(found.get("internetMessageId") or ""),
        found.get("conversationId"),
    )

"""Drafts and sending in Gmail: always in the contact's thread, never twice."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from integrations.google import mime
from integrations.google.client import Calls
from integrations.protocol import (
    DraftRef,
    DraftText,
    OutgoingMessage,
    PermanentProviderError,
    SentRef,
)

THREAD_HEADERS = ["Subject", "Message-ID", "References"]
# The second look for a message we may have sent (see Mail._find_by_marker): how far back,
# in Gmail's newer_than: syntax, and how many of the newest sent messages to read.
MARKER_WINDOW = "7d"
MARKER_CANDIDATES = 20


class Mail:
    """Gmail's drafts and messages for one account.

    Parameters:
        gmail: the Gmail discovery client.
        calls: executes requests (quota, retries, errors).
        email: the account's address, used as From.
    """

    def __init__(self, gmail: Any, calls: Calls, email: str) -> None:
        self.gmail = gmail
        self.calls = calls
        self.email = email

    def address(self) -> str:
        """The mailbox's own address, as Gmail reports it (connecting learns it here)."""
        profile = self.calls.execute(lambda: self.gmail.users().getProfile(userId="me"))
        return str(profile["emailAddress"])

    # drafts ----------------------------------------------------------------------------
    def create_draft(self, message: OutgoingMessage) -> DraftRef:
        """Never two drafts with one Message-ID: a worker killed after Gmail created the
        draft but before the log recorded it runs the action again on restart, and no
        retry inside one process can know. So look for the draft first (one search, 5
        quota units; drafts are a few a day), and again before retrying a lost answer."""
        found = self.find_draft(message.message_id)
        if found is not None:
            return found
        message = self.in_thread(message)
        body = {"message": self._body(message)}
        draft = self.calls.execute(
            lambda: self._drafts().create(userId="me", body=body),
            recover=lambda: self._find_draft_raw(message.message_id),
        )
        return self._draft_ref(draft, message)

    def find_draft(self, message_id: str) -> DraftRef | None:
        """The draft carrying this Message-ID, if one is waiting in Drafts."""
        found = self._find_draft_raw(message_id)
        if found is None:
            return None
        thread_id = found.get("message", {}).get("threadId")
        return DraftRef(str(found["id"]), message_id, thread_id)

    def _find_draft_raw(self, message_id: str) -> dict[str, Any] | None:
        query = f"rfc822msgid:{mime.bare(message_id)}"
        listed = self.calls.execute(
            lambda: self._messages().list(userId="me", q=query, labelIds=["DRAFT"], maxResults=1)
        )
        messages = listed.get("messages") or []
        if not messages:
            return None
        # Gmail finds messages, not drafts: the draft is the one holding that message.
        wanted = messages[0]["id"]
        page_token: str | None = None

        def listing(token: str | None) -> Callable[[], Any]:
            return lambda: self._drafts().list(userId="me", maxResults=500, pageToken=token)

        while True:
            page = self.calls.execute(listing(page_token))
            for draft in page.get("drafts", []):
                if draft.get("message", {}).get("id") == wanted:
                    return dict(draft)
            page_token = page.get("nextPageToken")
            if not page_token:
                return None

    def update_draft(self, draft_id: str, message: OutgoingMessage) -> DraftRef:
        message = self.in_thread(message)
        body = {"id": draft_id, "message": self._body(message)}
        draft = self.calls.execute(
            lambda: self._drafts().update(userId="me", id=draft_id, body=body)
        )
        return self._draft_ref(draft, message)

    def read_draft(self, draft_id: str) -> DraftText | None:
        """The draft as it is now (users.drafts.get, format "raw": "the entire email
        message in an RFC 2822 formatted and base64url encoded string"); None when the
        draft is gone, sent or deleted (404)."""
        draft = self.calls.execute(
            lambda: self._drafts().get(userId="me", id=draft_id, format="raw"),
            missing_ok=True,
        )
        if draft is None:
            return None
        raw_message = base64.urlsafe_b64decode(str(draft["message"].get("raw", "")) + "==")
        message_id, subject, body, to = mime.read_text(raw_message)
        return DraftText(str(draft["id"]), message_id, subject, body, to)

    def delete_draft(self, draft_id: str) -> None:
        # Already deleted (or sent) by the user: the outcome we wanted.
        self.calls.execute(lambda: self._drafts().delete(userId="me", id=draft_id), missing_ok=True)

    def send_draft(self, draft_id: str) -> SentRef:
        draft = self.calls.execute(
            lambda: self._drafts().get(userId="me", id=draft_id, format="metadata"),
            missing_ok=True,
        )
        if draft is None:
            raise PermanentProviderError(f"draft {draft_id} is gone (sent or deleted)")
        message_id = mime.headers_of(draft["message"]).get("message-id", "")
        sent = self.calls.execute(
            lambda: self._drafts().send(userId="me", body={"id": draft_id}),
            recover=(lambda: self._find_raw(message_id)) if message_id else None,
        )
        return SentRef(sent["id"], message_id, sent.get("threadId"))

    # sending ---------------------------------------------------------------------------
    def send_message(self, message: OutgoingMessage) -> SentRef:
        message = self.in_thread(message)
        body = self._body(message)
        # A send whose answer was lost may still have gone out: look before resending.
        sent = self.calls.execute(
            lambda: self._messages().send(userId="me", body=body),
            recover=lambda: self._find_raw(message.message_id, message.to),
        )
        return SentRef(sent["id"], message.message_id, sent.get("threadId"))

    def find_sent(self, message_id: str, to: Sequence[str] = ()) -> SentRef | None:
        found = self._find_raw(message_id, to)
        if found is None:
            return None
        return SentRef(found["id"], message_id, found.get("threadId"))

    def _find_raw(self, message_id: str, to: Sequence[str] = ()) -> dict[str, Any] | None:
        """The sent message we gave this Message-ID: searched by it first, then, in case
        Gmail replaced it, by our own header among what was sent lately (to `to`)."""
        query = f"rfc822msgid:{mime.bare(message_id)}"
        listed = self.calls.execute(
            lambda: self._messages().list(
                userId="me", q=query, labelIds=["SENT"], maxResults=1, includeSpamTrash=True
            )
        )
        messages = listed.get("messages") or []
        if messages:
            return dict(messages[0])
        return self._find_by_marker(message_id, to)

    def _find_by_marker(self, message_id: str, to: Sequence[str]) -> dict[str, Any] | None:
        """The recent sent message whose X-Outreach-Message-ID header is `message_id`.
        Only headers are read (metadata format), of at most MARKER_CANDIDATES messages
        sent in the last MARKER_WINDOW, to the same recipients when they are known."""
        people = " ".join(f"to:{a.strip().lower()}" for a in to if a.strip())
        query = f"in:sent newer_than:{MARKER_WINDOW}" + (f" {{{people}}}" if people else "")
        listed = self.calls.execute(
            lambda: self._messages().list(
                userId="me", q=query, maxResults=MARKER_CANDIDATES, includeSpamTrash=True
            )
        )
        wanted = mime.angle(message_id)
        for candidate in listed.get("messages") or []:
            found = self.calls.execute(
                partial(
                    self._messages().get,
                    userId="me",
                    id=candidate["id"],
                    format="metadata",
                    metadataHeaders=[mime.MARKER],
                ),
                missing_ok=True,
            )
            if found is not None and mime.headers_of(found).get(mime.MARKER.lower()) == wanted:
                return {"id": found["id"], "threadId": found.get("threadId")}
        return None

    # threading -------------------------------------------------------------------------
    def in_thread(self, message: OutgoingMessage) -> OutgoingMessage:
        """The message made to join its thread: Gmail threads a message only when it
        references one of the thread's messages AND the subjects match, threadId or not.
        A thread that vanished (deleted by the user) leaves a fresh conversation."""
        if not message.thread_id:
            return message
        thread = self.calls.execute(
            lambda: (
                self.gmail.users()
                .threads()
                .get(
                    userId="me",
                    id=message.thread_id,
                    format="metadata",
                    metadataHeaders=THREAD_HEADERS,
                )
            ),
            missing_ok=True,
        )
        listed = (thread or {}).get("messages") or []
        if not listed:
            return dataclasses.replace(message, thread_id=None)
        # threads.get lists the thread's drafts too (label DRAFT): a reply must name a
        # message that was sent or received, never a draft the contact never saw.
        members = [m for m in listed if "DRAFT" not in (m.get("labelIds") or [])]
        if not members:
            return message
        first = mime.headers_of(members[0])
        last = mime.headers_of(members[-1])
        subject = message.subject
        if not mime.same_subject(subject, first.get("subject", "")):
            subject = mime.reply_subject(first.get("subject", ""))
        in_reply_to = message.in_reply_to or last.get("message-id") or None
        references = list(message.references)
        if not references and in_reply_to:
            references = [*mime.message_ids(last.get("references", "")), in_reply_to]
        return dataclasses.replace(
            message, subject=subject, in_reply_to=in_reply_to, references=references
        )

    # plumbing --------------------------------------------------------------------------
    def _body(self, message: OutgoingMessage) -> dict[str, Any]:
        body: dict[str, Any] = {"raw": mime.raw(message, self.email)}
        if message.thread_id:
            body["threadId"] = message.thread_id
        return body

    def _draft_ref(self, draft: dict[str, Any], message: OutgoingMessage) -> DraftRef:
        thread_id = draft.get("message", {}).get("threadId") or message.thread_id
        return DraftRef(draft["id"], message.message_id, thread_id)

    def _drafts(self) -> Any:
        return self.gmail.users().drafts()

    def _messages(self) -> Any:
        return self.gmail.users().messages()

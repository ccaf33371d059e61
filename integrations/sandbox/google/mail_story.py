"""The contact side of a Gmail story: mail arriving from contacts, and what the user does
in their own mail client. Mixed into GoogleEmulator."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, getaddresses
from typing import Any

from integrations.sandbox.clock import SimClock
from integrations.sandbox.google import gmail, mime
from integrations.sandbox.google.errors import bad_request, not_found
from integrations.sandbox.google.mailbox import Mailbox, StoredMessage

INCOMING_LABELS = ["INBOX", "UNREAD", "CATEGORY_PERSONAL"]
MAILER_DAEMON = "mailer-daemon@googlemail.com"


def _summary(msg: StoredMessage) -> dict[str, Any]:
    return {"id": msg.id, "threadId": msg.thread_id, "messageId": msg.message_id}


class MailStory:
    """Story steps on the mailbox; `self` is the GoogleEmulator."""

    clock: SimClock

    def mailbox(self, email: str | None = None) -> Mailbox:
        raise NotImplementedError

    def _original(self, box: Mailbox, to_message: str) -> StoredMessage:
        """A message by Gmail id or by its Message-ID header."""
        found = box.messages.get(to_message) or box.find_by_header_id(to_message)
        if found is None:
            raise not_found(f"No message {to_message}")
        return found

    def deliver_message(
        self,
        *,
        sender: str,
        subject: str,
        body: str,
        in_reply_to: str | None = None,
        headers: dict[str, str] | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """A contact's message lands in the inbox; `in_reply_to` (Gmail id or Message-ID)
        makes it a reply with In-Reply-To/References, threaded as Gmail would."""
        box = self.mailbox(email)
        with box.lock:
            reply_to, references = None, None
            if in_reply_to:
                original = self._original(box, in_reply_to)
                reply_to = original.message_id
                prior = str(original.parsed.get("References", "")).strip()
                references = f"{prior} {reply_to}".strip()
            raw = mime.compose(
                sender=sender,
                to=box.email,
                subject=subject,
                body=body,
                now=self.clock.now(),
                in_reply_to=reply_to,
                references=references,
                extra_headers=headers,
            )
            return _summary(box.add(raw, INCOMING_LABELS, self.clock.now()))

    def deliver_reply(
        self, *, to_message: str, body: str, sender: str | None = None, email: str | None = None
    ) -> dict[str, Any]:
        """The recipient of one of the user's messages answers it, in the same thread."""
        box = self.mailbox(email)
        original = self._original(box, to_message)
        return self.deliver_message(
            sender=sender or _first_recipient(original),
            subject=_re(original.subject),
            body=body,
            in_reply_to=original.id,
            email=email,
        )

    def deliver_auto_reply(
        self,
        *,
        to_message: str,
        return_date: date,
        body: str | None = None,
        sender: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """An out-of-office answer: Auto-Submitted/X-Autoreply headers, return date in the body."""
        box = self.mailbox(email)
        original = self._original(box, to_message)
        text = body or (
            f"Thank you for your message. I am out of the office until {return_date:%A, %B %d, %Y}"
            f" ({return_date.isoformat()}) with limited access to email."
        )
        return self.deliver_message(
            sender=sender or _first_recipient(original),
            subject=f"Automatic reply: {original.subject}",
            body=text,
            in_reply_to=original.id,
            headers={
                "Auto-Submitted": "auto-replied",
                "X-Autoreply": "yes",
                "Precedence": "auto_reply",
            },
            email=email,
        )

    def deliver_bounce(
        self,
        *,
        to_message: str,
        recipient: str | None = None,
        reason: str = "The email account that you tried to reach does not exist.",
        email: str | None = None,
    ) -> dict[str, Any]:
        """Google's mailer-daemon reports that one of the user's messages was not delivered."""
        box = self.mailbox(email)
        with box.lock:
            original = self._original(box, to_message)
            raw = mime.compose_bounce(
                daemon=MAILER_DAEMON,
                to=box.email,
                original=original.raw,
                failed=recipient or _first_recipient(original),
                reason=reason,
                now=self.clock.now(),
            )
            # Gmail threads bounces with the message that bounced.
            msg = box.add(
                raw, INCOMING_LABELS, self.clock.now(), original.thread_id, force_thread=True
            )
            return _summary(msg)

    def deliver_raw(self, raw: bytes, email: str | None = None) -> dict[str, Any]:
        """A message exactly as a mail server delivered it (a bounce from another server,
        a delay notice, a spam complaint), threaded by its own headers: most reports carry
        no In-Reply-To, so they start a thread of their own."""
        box = self.mailbox(email)
        with box.lock:
            return _summary(box.add(raw, INCOMING_LABELS, self.clock.now()))

    def deliver_invitation(
        self,
        *,
        sender: str,
        summary: str,
        start: datetime,
        end: datetime,
        method: str = "REQUEST",
        response: str = "ACCEPTED",
        uid: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """Meeting mail from a contact's calendar: an invitation (method REQUEST), their
        answer to one of the user's (REPLY, `response` ACCEPTED, DECLINED or TENTATIVE)
        or a cancellation (CANCEL), with its text/calendar part and invite.ics."""
        method = method.upper()
        if method not in ("REQUEST", "REPLY", "CANCEL"):
            raise bad_request(f"Invalid method {method}")
        box = self.mailbox(email)
        when = f"{start.astimezone(UTC):%a %b %d, %Y %H:%M} - {end.astimezone(UTC):%H:%M} (UTC)"
        word = {"ACCEPTED": "Accepted", "DECLINED": "Declined"}.get(
            response.upper(), "Tentatively Accepted"
        )
        subject = {
            "REQUEST": f"Invitation: {summary} @ {when}",
            "REPLY": f"{word}: {summary} @ {when}",
            "CANCEL": f"Canceled event: {summary} @ {when}",
        }[method]
        attendee = f"ATTENDEE;PARTSTAT={response.upper()}:mailto:{sender}\r\n"
        ical = (
            "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
            f"VERSION:2.0\r\nMETHOD:{method}\r\nBEGIN:VEVENT\r\n"
            f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n"
            f"DTEND:{end.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n"
            f"UID:{uid or derive_uid(sender, summary, start)}\r\n"
            f"ORGANIZER:mailto:{box.email if method == 'REPLY' else sender}\r\n"
            + (
                attendee
                if method == "REPLY"
                else f"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:{box.email}\r\n"
            )
            + f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
        with box.lock:
            raw = mime.compose_invitation(
                sender=sender,
                to=box.email,
                subject=subject,
                body=f"{subject}\n\n{summary}\n{when}\n",
                method=method,
                ical=ical,
                now=self.clock.now(),
            )
            return _summary(box.add(raw, INCOMING_LABELS, self.clock.now()))

    def user_sends_draft(self, draft_id: str, email: str | None = None) -> dict[str, Any]:
        """The user presses Send on a draft in their mail client."""
        return _summary(gmail.send_draft(self.mailbox(email), draft_id, self.clock.now()))

    def user_deletes_draft(self, draft_id: str, email: str | None = None) -> None:
        """The user discards a draft in their mail client."""
        gmail.delete_draft(self.mailbox(email), draft_id, self.clock.now())

    def user_edits_draft(
        self, draft_id: str, body: str, subject: str | None = None, email: str | None = None
    ) -> dict[str, Any]:
        """The user rewrites a draft in their mail client (the draft keeps its id)."""
        box = self.mailbox(email)
        return _summary(gmail.edit_draft(box, draft_id, body, subject, self.clock.now()))

    def seed_mailbox(
        self,
        count: int,
        *,
        sent_every: int = 4,
        span: timedelta = timedelta(days=365),
        email: str | None = None,
    ) -> int:
        """Fill the mailbox with `count` messages spread over `span` before now (every
        `sent_every`-th one sent by the user). Built from a template: fast for 10,000."""
        box = self.mailbox(email)
        now = self.clock.now()
        step = span / max(count, 1)
        with box.lock:
            for i in range(count):
                at = now - span + step * i
                sent = sent_every > 0 and i % sent_every == 0
                peer = f"contact{i % 500}@seed.example"
                sender, to = (box.email, peer) if sent else (peer, box.email)
                raw = (
                    f"From: {sender}\r\nTo: {to}\r\nSubject: Seeded message {i}\r\n"
                    f"Date: {format_datetime(at)}\r\nMessage-ID: <seed-{i}@seed.example>\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                    f"Seeded body {i}.\r\n"
                ).encode()
                box.add(raw, ["SENT"] if sent else ["INBOX", "CATEGORY_PERSONAL"], at)
        return count

    def mail_state(self, email: str | None = None) -> dict[str, Any]:
        """Sent, received and draft messages with their headers, newest first."""
        box = self.mailbox(email)
        with box.lock:
            by_message = {m: d for d, m in box.drafts.items()}

            def entry(msg: StoredMessage) -> dict[str, Any]:
                out = gmail.render(msg, "metadata")
                headers = {h["name"]: h["value"] for h in out["payload"]["headers"]}
                return {
                    **_summary(msg),
                    "labelIds": msg.label_ids,
                    "headers": headers,
                    "text": msg.text,
                    "draftId": by_message.get(msg.id),
                }

            messages = [entry(m) for m in box.newest_first()]
            return {
                "email": box.email,
                "historyId": str(box.history_id),
                "sent": [m for m in messages if "SENT" in m["labelIds"]],
                "drafts": [m for m in messages if "DRAFT" in m["labelIds"]],
                "inbox": [m for m in messages if "INBOX" in m["labelIds"]],
            }


def _first_recipient(msg: StoredMessage) -> str:
    found = getaddresses([str(msg.parsed.get("To", ""))])
    return found[0][1] if found and found[0][1] else "contact@sandbox.example"


def _re(subject: str) -> str:
    return subject if re.match(r"^\s*re:", subject, re.IGNORECASE) else f"Re: {subject}"


def derive_uid(sender: str, summary: str, start: datetime) -> str:
    """An iCalendar UID stable for one meeting, as a calendar keeps it across updates."""
    digest = hashlib.sha256(f"{sender}|{summary}|{start.isoformat()}".encode()).hexdigest()
    return f"{digest[:26]}@google.com"

"""RFC 5322 messages: parse what clients send, render Gmail payloads, write contacts' mail."""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import re
from datetime import datetime
from email.message import EmailMessage, Message
from email.utils import format_datetime, getaddresses, make_msgid
from typing import Any

from integrations.sandbox.google.errors import bad_request

_SNIPPET_LEN = 200


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def decode_raw(raw: Any) -> bytes:
    """Decode a `raw` field (base64url, padding optional, as Gmail accepts)."""
    if not isinstance(raw, str) or not raw:
        raise bad_request(
            "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
            reason="invalidArgument",
        )
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise bad_request("Invalid value for ByteString: raw", reason="invalidArgument") from None


def parse(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def header_list(message: Message) -> list[dict[str, str]]:
    """Headers as Gmail lists them: name/value pairs in message order."""
    return [{"name": k, "value": _unfold(str(v))} for k, v in message.items()]


def _unfold(value: str) -> str:
    # A long value folded right after "Name:" starts with the fold: Gmail drops it, so
    # an unfolded Subject never starts with a space.
    return re.sub(r"\r?\n[ \t]+", " ", value).lstrip()


def addresses(message: Message, *names: str) -> list[str]:
    """Lower-cased addresses found in the given headers."""
    values = [str(v) for name in names for v in message.get_all(name, [])]
    return [addr.lower() for _, addr in getaddresses(values) if addr]


def text_of(message: Message) -> str:
    """The first text/plain part, decoded (falls back to any text part)."""
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            return _decoded(part)
    for part in message.walk():
        if part.get_content_maintype() == "text":
            return re.sub(r"<[^>]+>", " ", _decoded(part))
    return ""


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    except LookupError:
        # An unknown charset (x-unknown, a typo): Gmail still shows the text, so must we.
        return payload.decode("utf-8", errors="replace")


def snippet(message: Message) -> str:
    return " ".join(text_of(message).split())[:_SNIPPET_LEN]


def payload(message: Message, part_id: str = "", with_bodies: bool = True) -> dict[str, Any]:
    """The Gmail `payload` tree of MessageParts."""
    part: dict[str, Any] = {
        "partId": part_id,
        "mimeType": message.get_content_type(),
        "filename": message.get_filename() or "",
        "headers": header_list(message),
    }
    if message.is_multipart():
        children = message.get_payload()
        assert isinstance(children, list)
        part["body"] = {"size": 0}
        part["parts"] = [
            payload(child, f"{part_id}.{i}" if part_id else str(i), with_bodies)
            for i, child in enumerate(children)
        ]
        return part
    data = message.get_payload(decode=True)
    data = data if isinstance(data, bytes) else b""
    body: dict[str, Any] = {"size": len(data)}
    if part["filename"]:
        # Gmail never inlines attachments; they are fetched by attachmentId.
        body["attachmentId"] = "ANGjdJ" + b64url(f"{part_id}:{part['filename']}".encode())[:40]
    elif with_bodies:
        body["data"] = b64url(data)
    part["body"] = body
    return part


def ensure_headers(raw: bytes, sender: str, now: datetime) -> bytes:
    """Add the From, Date and Message-ID headers Gmail adds when a client leaves them out;
    a Message-ID the client set is kept as is."""
    message = parse(raw)
    added = []
    if not message.get("From"):
        added.append(f"From: {sender}")
    if not message.get("Date"):
        added.append(f"Date: {format_datetime(now)}")
    if not message.get("Message-ID"):
        added.append(f"Message-ID: {make_msgid(domain='mail.gmail.com')}")
    if not added:
        return raw
    return ("\r\n".join(added) + "\r\n").encode() + raw


def new_message_id(raw: bytes) -> bytes:
    """The message with a Message-ID Gmail chose instead of the client's. Whether Gmail
    keeps a client-set Message-ID on send is not documented (users.messages.send says
    only that the message is sent "to the recipients in the To, Cc, and Bcc headers"), so
    the sandbox can play the other answer: a client must not depend on it."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = raw.partition(b"\n\n")
    lines = [line for line in head.splitlines() if not line.lower().startswith(b"message-id:")]
    fresh = make_msgid(domain="mail.gmail.com").encode()
    return b"\r\n".join([b"Message-ID: " + fresh, *lines]) + (sep or b"\r\n\r\n") + body


def compose(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    now: datetime,
    in_reply_to: str | None = None,
    references: str | None = None,
    extra_headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> bytes:
    """A plain-text message as a contact's mail client would write it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id or make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">"))
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = references or in_reply_to
    for name, value in (extra_headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes(policy=email.policy.SMTP)


def compose_bounce(
    *, daemon: str, to: str, original: bytes, failed: str, reason: str, now: datetime
) -> bytes:
    """A delivery status notification (RFC 3464) as Google's mailer-daemon sends it."""
    msg = EmailMessage()
    msg["From"] = f"Mail Delivery Subsystem <{daemon}>"
    msg["To"] = to
    msg["Subject"] = "Delivery Status Notification (Failure)"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain="mx.google.com")
    msg["Auto-Submitted"] = "auto-replied"
    original_msg = parse(original)
    if original_msg.get("Message-ID"):
        msg["In-Reply-To"] = str(original_msg["Message-ID"])
        msg["References"] = str(original_msg["Message-ID"])
    msg.set_content(
        f"Address not found\n\nYour message wasn't delivered to {failed} because the address"
        f" couldn't be found, or is unable to receive mail.\n\n{reason}\n"
    )
    msg.make_mixed()
    msg.set_type("multipart/report")
    msg.set_param("report-type", "delivery-status")
    status = EmailMessage()
    status.set_content(
        f"Reporting-MTA: dns; googlemail.com\n\nFinal-Recipient: rfc822; {failed}\n"
        f"Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 {reason}\n",
        subtype="delivery-status",
    )
    msg.attach(status)
    headers_only = EmailMessage()
    headers_only.set_content(
        "".join(f"{k}: {v}\n" for k, v in original_msg.items()), subtype="rfc822-headers"
    )
    msg.attach(headers_only)
    return msg.as_bytes(policy=email.policy.SMTP)


def compose_invitation(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    method: str,
    ical: str,
    now: datetime,
) -> bytes:
    """A meeting mail as Google Calendar sends it: multipart/mixed holding
    multipart/alternative (text/plain, text/calendar; method=...) and invite.ics."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">"))
    msg.set_content(body)
    msg.add_alternative(ical, subtype="calendar", params={"method": method})
    msg.add_attachment(ical.encode(), maintype="application", subtype="ics", filename="invite.ics")
    return msg.as_bytes(policy=email.policy.SMTP)

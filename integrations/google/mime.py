"""RFC 5322 messages for Gmail's `raw` field, and reading the headers Gmail returns."""

from __future__ import annotations

import base64
import email.policy
import html
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from integrations.protocol import OutgoingMessage

#: Our own header carrying the Message-ID we gave a message (see `build`).
MARKER = "X-Outreach-Message-ID"
_LINE_BREAK = re.compile(r"[\r\n]")
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|antw)\s*:\s*)+", re.IGNORECASE)


def _single_line(name: str, value: str) -> str:
    # A CR or LF in a header value would let text from a template or a contact's
    # name start a new header (Bcc: ...): refuse rather than fold or strip.
    if _LINE_BREAK.search(value):
        raise ValueError(f"{name} must not contain line breaks")
    return value


def angle(message_id: str) -> str:
    """A Message-ID in its angle brackets, as the header carries it."""
    bare = message_id.strip().strip("<>")
    return f"<{bare}>"


def bare(message_id: str) -> str:
    return message_id.strip().strip("<>")


def build(message: OutgoingMessage, sender: str) -> EmailMessage:
    """The message with our Message-ID, and In-Reply-To/References when it answers one."""
    if not message.to:
        raise ValueError("a message needs at least one recipient")
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = _single_line("From", sender)
    msg["To"] = ", ".join(_single_line("To", address) for address in message.to)
    msg["Subject"] = _single_line("Subject", message.subject)
    msg["Message-ID"] = angle(_single_line("Message-ID", message.message_id))
    # The same id in a header of our own: whether Gmail keeps a client-set Message-ID is
    # not documented, while the headers of a sent message are read back as written.
    msg[MARKER] = angle(message.message_id)
    if message.in_reply_to:
        msg["In-Reply-To"] = angle(_single_line("In-Reply-To", message.in_reply_to))
    references = [angle(_single_line("References", r)) for r in message.references]
    if message.in_reply_to and angle(message.in_reply_to) not in references:
        references.append(angle(message.in_reply_to))
    if references:
        msg["References"] = " ".join(references)
    msg.set_content(message.body)
    return msg


def raw(message: OutgoingMessage, sender: str) -> str:
    """base64url of the RFC 5322 bytes, as messages.send and drafts take it."""
    return base64.urlsafe_b64encode(build(message, sender).as_bytes()).decode("ascii")


_BREAKS = re.compile(r"<br\s*/?>|</p\s*>|</div\s*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


def html_text(markup: str) -> str:
    """The text of an HTML body: a mail client's editor writes drafts as HTML."""
    return html.unescape(_TAGS.sub("", _BREAKS.sub("\n", markup)))


def read_text(raw_message: bytes) -> tuple[str, str, str, list[str]]:
    """Message-ID, subject, plain-text body and recipients of RFC 5322 bytes (a draft
    read back).

    The text/plain part when there is one, else the HTML part read as text."""
    parsed = BytesParser(policy=email.policy.default).parsebytes(raw_message)
    part = parsed.get_body(preferencelist=("plain", "html"))
    body = ""
    if part is not None:
        content = part.get_content()
        body = content if isinstance(content, str) else content.decode("utf-8", "replace")
        if part.get_content_type() == "text/html":
            body = html_text(body)
    body = body.replace("\r\n", "\n")
    message_id = str(parsed.get("Message-ID", "")).strip()
    return message_id, str(parsed.get("Subject", "")), body, addresses(str(parsed.get("To", "")))


def headers_of(resource: dict[str, Any]) -> dict[str, str]:
    """A metadata-format message's headers by lower-cased name (the first of repeats)."""
    found: dict[str, str] = {}
    for header in resource.get("payload", {}).get("headers", []):
        found.setdefault(str(header.get("name", "")).lower(), str(header.get("value", "")))
    return found


def calendar_method(payload: dict[str, Any]) -> str | None:
    """The iTIP method of a message's text/calendar part (a meeting invitation, response
    or cancellation), searched through nested parts; None when it has none."""
    if str(payload.get("mimeType", "")).lower() == "text/calendar":
        content_type = next(
            (
                str(h.get("value", ""))
                for h in payload.get("headers", [])
                if str(h.get("name", "")).lower() == "content-type"
            ),
            "",
        )
        found = re.search(r"method\s*=\s*\"?([A-Za-z-]+)", content_type)
        # A calendar part without a method is still meeting mail (RFC 6047 wants one).
        return found[1].upper() if found else "REQUEST"
    for part in payload.get("parts", []) or []:
        method = calendar_method(part)
        if method is not None:
            return method
    return None


def addresses(value: str) -> list[str]:
    """The addresses in an address header, lower-cased, display names dropped."""
    return [address.lower() for _, address in getaddresses([value]) if address]


def message_ids(value: str) -> list[str]:
    """The <ids> in In-Reply-To/References, in order."""
    return re.findall(r"<[^<>\s]+>", value)


def date_of(headers: dict[str, str], resource: dict[str, Any]) -> datetime:
    """The Date header, else Gmail's internalDate (ms since the epoch), aware."""
    try:
        found = parsedate_to_datetime(headers.get("date", ""))
        found = found if found.tzinfo else found.replace(tzinfo=UTC)
        # A sender's clock can claim any year: one the log cannot store in UTC (9999 at
        # -12:00, or a 20-digit year) would fail every sync pass on that one message.
        found.astimezone(UTC)
        return found
    except (TypeError, ValueError, OverflowError):
        millis = int(resource.get("internalDate", 0))
        return datetime.fromtimestamp(millis / 1000, UTC)


def same_subject(a: str, b: str) -> bool:
    """Whether Gmail would thread the two subjects together (Re:/Fwd: prefixes ignored)."""
    return _normal(a) == _normal(b)


def reply_subject(thread_subject: str) -> str:
    """ "Re: <subject>" unless it already carries a reply prefix."""
    return thread_subject if _REPLY_PREFIX.match(thread_subject) else f"Re: {thread_subject}"


def _normal(subject: str) -> str:
    return _REPLY_PREFIX.sub("", subject).strip().lower()

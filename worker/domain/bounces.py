"""Reading automatic mail reports: bounces and their failed recipients, delay and success
notices, spam complaints (ARF), and the Message-IDs of our mail they quote.

Bounces are recognised by GNU Mailman's flufl.bounce, which knows the standard RFC 3464
reports and dozens of servers' own formats; what this module adds is reading the standard
fields the library leaves aside: the actions of a delivery-status report (a "delayed",
"relayed" or "delivered" notice is no failure) and an RFC 5965 feedback report (a spam
complaint, never a person's answer).
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from typing import Literal

from flufl.bounce import all_failures

ReportKind = Literal["bounce", "delay", "success", "complaint", "none"]

# RFC 3464 2.3.3 actions that are no failure (servers also write "failure", "error"...).
_SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded"})
_NOT_FAILED = _SUCCESS_ACTIONS | {"delayed"}
# A quoted original in a plain-text report ("Message-ID: <...>", perhaps behind "> ").
_QUOTED_ID = re.compile(r"^[ \t>]*message-id:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_IDS = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class Report:
    """What an automatic report says.

    kind: "bounce" (delivery failed for good), "delay" (still trying), "success"
        (delivered or relayed), "complaint" (the recipient called it spam), or "none"
        (not a report this module can read).
    recipients: the addresses it is about, lower-cased: the failed ones of a bounce, the
        delayed, delivered or complaining ones otherwise.
    message_ids: Message-IDs ("<...>") of the original message it attaches, quotes or
        answers: how a report naming an unknown address is tied to our mail.
    """

    kind: ReportKind
    recipients: frozenset[str] = frozenset()
    message_ids: frozenset[str] = frozenset()


NOT_A_REPORT = Report("none")


def read(raw: bytes) -> Report:
    """What the message `raw` (RFC 5322 bytes) reports, if it is an automatic report."""
    msg = email.message_from_bytes(raw)
    ids = _message_ids(msg)
    complaint = _complaint(msg)
    if complaint is not None:
        return Report("complaint", complaint, ids)
    try:
        temporary, permanent = all_failures(msg)
    except Exception:
        # A detector failing on one odd message must not stop the sync of every message
        # after it (flufl.bounce re-raises what its detectors raise, after logging it).
        return NOT_A_REPORT
    actions = _dsn_actions(msg)
    if actions and actions <= _NOT_FAILED:
        # The machine-readable part says nothing failed: a delay or success notice, even
        # if a text detector read a failure into its prose.
        permanent = frozenset()
    if permanent:
        return Report("bounce", _addresses(permanent), ids)
    if temporary or "delayed" in actions:
        return Report("delay", _addresses(temporary) or _dsn_recipients(msg), ids)
    if actions and actions <= _SUCCESS_ACTIONS:
        return Report("success", _dsn_recipients(msg), ids)
    return NOT_A_REPORT


def _addresses(found: Iterable[bytes]) -> frozenset[str]:
    out = set()
    for value in found:
        address = value.decode("utf-8", "replace").strip().strip("<>").lower()
        # flufl.bounce sees non-ASCII bytes as U+FFFD: such an address matches nobody.
        if "@" in address and "\ufffd" not in address:
            out.add(address)
    return frozenset(out)


def _status_blocks(msg: Message) -> list[Message]:
    """The per-recipient field blocks of every message/delivery-status part."""
    blocks: list[Message] = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks += [b for b in payload if isinstance(b, Message) and b.get("action")]
    return blocks


def _dsn_actions(msg: Message) -> set[str]:
    return {str(b["action"]).strip().lower().split()[0] for b in _status_blocks(msg)}


def _dsn_recipients(msg: Message) -> frozenset[str]:
    found = set()
    for block in _status_blocks(msg):
        value = str(block.get("final-recipient") or block.get("original-recipient") or "")
        _, _, address = value.rpartition(";")
        found.add(address.encode())
    return _addresses(found)


def _complaint(msg: Message) -> frozenset[str] | None:
    """The complaining recipients of an RFC 5965 feedback report, None if it is not one."""
    for part in msg.walk():
        if part.get_content_type() != "message/feedback-report":
            continue
        payload = part.get_payload()
        fields = payload[0] if isinstance(payload, list) and payload else part
        if not isinstance(fields, Message):
            continue
        values = [*fields.get_all("original-rcpt-to", []), *fields.get_all("removal-recipient", [])]
        return _addresses({str(v).encode() for v in values})
    return None


def _message_ids(msg: Message) -> frozenset[str]:
    """Message-IDs of the original: the report's In-Reply-To/References, an attached
    message or its headers, and "Message-ID:" lines quoted in the text."""
    own = str(msg.get("message-id", "")).strip()
    found = set(_IDS.findall(f"{msg.get('in-reply-to', '')} {msg.get('references', '')}"))
    for part in msg.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/rfc822-headers"):  # the latter: non-standard
            payload = part.get_payload()
            for inner in payload if isinstance(payload, list) else []:
                if isinstance(inner, Message):
                    found.update(_IDS.findall(str(inner.get("message-id", ""))))
        elif kind in ("text/rfc822-headers", "text/plain"):
            body = part.get_payload(decode=True)
            if isinstance(body, bytes):
                found.update(_QUOTED_ID.findall(body.decode("utf-8", "replace")))
    found.discard(own)
    return frozenset(found)

"""Which incoming mail may be an automatic report (a bounce, a delay or success notice, a
spam complaint), judged from its headers: the adapters read such mail whole, because only
its body says whom it is about, and most reports carry no In-Reply-To to tie them to us."""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.errors import HeaderParseError
from email.header import decode_header, make_header

#: Headers the adapters pass on so the rule below can be applied (lower-cased names).
REPORT_HEADERS = (
    "return-path",
    "content-type",
    "x-failed-recipients",
    "x-ms-exchange-message-is-ndr",
)
# The senders of reports (RFC 5321 4.5.5 wants a null reverse-path for them; RFC 5321
# 4.5.1 and RFC 2142 name postmaster; MAILER-DAEMON is the usual display of the null one).
_DAEMON = re.compile(
    r"^(mailer-daemon|postmaster|mail\.delivery\.system|mdaemon|ndr|bounces?)@", re.IGNORECASE
)
_NULL_PATH = re.compile(r"^<\s*(mailer-daemon)?\s*>$", re.IGNORECASE)
# Subjects servers give their reports when the sender and type say nothing (a gateway
# writing as itself, a text/plain report): reading such mail whole costs one request.
_SUBJECT = re.compile(
    r"undeliver|non-?delivery|delivery (status|fail|warning|notification|delayed|problem)|"
    r"returned mail|(could|can)(n't| ?not) be delivered|failure notice|mail delivery|"
    r"non remis|unzustellbar|non recapitabile|no entregado|onbestelbaar",
    re.IGNORECASE,
)


def may_be_report(sender: str, subject: str, headers: Mapping[str, str]) -> bool:
    """Whether a received message may be a report. `sender` is the From address ("" when
    it has none, as in `MAILER-DAEMON <>`); `headers` by lower-cased name."""
    return from_mail_system(sender, headers) or bool(_SUBJECT.search(_decoded(subject)))


def from_mail_system(sender: str, headers: Mapping[str, str]) -> bool:
    """Whether the headers say a mail system, not a person, wrote the message: no sender
    address, a daemon's or postmaster's, a null return path, a report's content type."""
    content_type = headers.get("content-type", "").strip().lower()
    return (
        not sender
        or bool(_DAEMON.match(sender))
        or ("return-path" in headers and bool(_NULL_PATH.match(headers["return-path"].strip())))
        or content_type.startswith("multipart/report")
        or "x-failed-recipients" in headers
        or "x-ms-exchange-message-is-ndr" in headers
    )


def _decoded(subject: str) -> str:
    """The subject with RFC 2047 encoded words decoded (some APIs pass them through)."""
    try:
        return str(make_header(decode_header(subject)))
    except (ValueError, LookupError, UnicodeError, HeaderParseError):
        # A broken encoded word (bad base64, say) stops no sync: read the subject as sent.
        return subject

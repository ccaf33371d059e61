"""Telling automatic mail apart: out-of-office notes, other auto-replies and bounces.

None of them is a reply (users' complaint #8); an out-of-office's return date is
kept because just after it is the right time for a nudge.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from integrations.protocol import MessageSeen

_OOO_SUBJECT = re.compile(
    r"out of (the )?office|automatic reply|auto(matic)?[- ]?reply|away from|on vacation|"
    r"abwesenheit|réponse automatique|respuesta automática|autosvar|afwezig",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|mail delivery (failed|subsystem)|"
    r"returned mail|delivery failure|failure notice",
    re.IGNORECASE,
)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_RETURN = re.compile(
    r"(?:until|back (?:on|in the office on)|return(?:ing)?(?:\s+on)?|from)\s+"
    r"(?:\w+day,?\s+)?(?P<when>[^.\n;]{4,30})",
    re.IGNORECASE,
)


_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3})[a-z]*\.?(?:\s+(\d{4}))?")
_MONTH_DAY = re.compile(r"([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?")


def classify(msg: MessageSeen) -> str:
    """Return "reply", "out_of_office", "auto_reply" or "bounce"."""
    headers = msg.headers
    content_type = headers.get("content-type", "").lower()
    if (
        _BOUNCE_SENDER.match(msg.from_address)
        or "report-type=delivery-status" in content_type
        or (_BOUNCE_SUBJECT.search(msg.subject) and "multipart/report" in content_type)
    ):
        return "bounce"
    auto = (
        headers.get("auto-submitted", "no").strip().lower() not in ("", "no")
        or "x-autoreply" in headers
        or "x-autorespond" in headers
        or headers.get("precedence", "").strip().lower() in ("auto_reply", "bulk", "junk")
    )
    if _OOO_SUBJECT.search(msg.subject):
        return "out_of_office"
    return "auto_reply" if auto else "reply"


def return_date(text: str, received: datetime) -> date | None:
    """The first plausible future date after "until"/"back on"/"returning" in `text`."""
    for match in _RETURN.finditer(text):
        found = _parse_date(match["when"], received)
        if found is not None and found >= received.date():
            return found
    return None


def _parse_date(text: str, received: datetime) -> date | None:
    text = text.strip()
    iso = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if iso:
        return _safe(int(iso[1]), int(iso[2]), int(iso[3]))
    day_month = _DAY_MONTH.match(text)
    if day_month:
        return _with_year(int(day_month[1]), day_month[2], day_month[3], received)
    month_day = re.match(
        r"([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?", text
    )
    if month_day:
        return _with_year(int(month_day[2]), month_day[1], month_day[3], received)
    return None


def _with_year(day: int, month_name: str, year: str | None, received: datetime) -> date | None:
    month = _MONTHS.get(month_name[:3].lower())
    if month is None:
        return None
    found = _safe(int(year) if year else received.year, month, day)
    if found is not None and year is None and found < received.date():
        found = _safe(received.year + 1, month, day)  # "until 3 January" written in December
    return found


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None

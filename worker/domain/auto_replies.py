"""Telling automatic mail apart: out-of-office notes, other auto-replies, and the reports of
mail servers (bounces, delay and success notices, spam complaints).

None of them is a reply (users' complaint #8); a bounce marks the address dead, the other
reports mean nothing for the conversation; an out-of-office's return date is kept because
just after it is the right time for a nudge.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Literal

from dateparser.search import search_dates

from integrations.protocol import MessageSeen
from integrations.reports import from_mail_system
from worker.domain.bounces import Report

#: What a received message is. "notice": a delay or success notice, neither a reply nor a
#: bounce, recorded as nothing. "complaint": the recipient reported our message as spam
#: (an ARF feedback report), never a reply: it closes the contact.
Reading = Literal["reply", "out_of_office", "auto_reply", "bounce", "notice", "complaint"]

_OOO_SUBJECT = re.compile(
    r"out of (the )?office|automatic reply|auto(matic)?[- ]?reply|away from|on vacation|"
    r"abwesenheit|réponse automatique|respuesta automática|autosvar|afwezig",
    re.IGNORECASE,
)
# The languages return dates are looked for in: a short list keeps dateparser from
# reading a two-letter word of some other language as a date ("Je" as Thursday).
RETURN_LANGUAGES = ["en", "fr", "de", "es", "it", "nl", "pt", "sv", "da", "nb", "pl"]
#: A "return date" further ahead than this is some other date (a quoted one, a year off).
RETURN_HORIZON = timedelta(days=180)
_TEXT_CHARS = 2000  # the note is at the top; quoted mail below it has dates of its own


def classify(msg: MessageSeen, report: Report | None = None) -> Reading:
    """What `msg` is; `report` is what bounces.read found in it when it was read whole."""
    if report is not None:
        match report.kind:
            case "bounce":
                return "bounce"
            case "complaint":
                return "complaint"
            case "delay" | "success":
                return "notice"
            case "none":
                pass
    headers = msg.headers
    auto = (
        headers.get("auto-submitted", "no").strip().lower() not in ("", "no")
        or "x-autoreply" in headers
        or "x-autorespond" in headers
        or headers.get("precedence", "").strip().lower() in ("auto_reply", "bulk", "junk")
        # A mail server's own message (MAILER-DAEMON <>, a null return path, a report)
        # that no report reader understood: still never a person's answer.
        or from_mail_system(msg.from_address, headers)
    )
    if _OOO_SUBJECT.search(msg.subject):
        return "out_of_office"
    return "auto_reply" if auto else "reply"


def return_date(text: str, received: datetime) -> date | None:
    """The date an out-of-office note says its writer is back ("Away until May 5", "de
    retour le 12 mars", "bin ab dem 3. Juni wieder im Büro"), read by dateparser relative
    to when the note was written: the latest date it names after that day and within
    RETURN_HORIZON ("out from May 1 to May 5" means back after the 5th), or None."""
    base = received.replace(tzinfo=None)  # the writer's own calendar day
    found = search_dates(
        text[:_TEXT_CHARS],
        languages=RETURN_LANGUAGES,
        settings={
            "RELATIVE_BASE": base,
            "PREFER_DATES_FROM": "future",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    dates = [
        when.date()
        for phrase, when in found or []
        # A bare word ("Je", "mar") is too often not a date at all; a number or two words
        # ("next Monday", "nächsten Montag") are.
        if any(c.isdigit() for c in phrase) or len(phrase.split()) > 1
    ]
    plausible = [d for d in dates if base.date() < d <= (base + RETURN_HORIZON).date()]
    return max(plausible, default=None)

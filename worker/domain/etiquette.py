"""The guides' etiquette, checked on a rendered message: what each kind must say, and what
no message may say (a job ask, a referral to a role, a résumé sent unasked).

Pure: (kind, subject, body) in, findings out, each one line the user can act on. Run
when a message is rendered (the findings are recorded with the draft) and shown at
review, where approving a draft with findings asks for `--anyway`.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from worker.domain.markers import find_markers

#: The message kinds checked; "confirmation_ask" is a confirmation asking where to meet.
CheckedKind = Literal[
    "outreach",
    "nudge",
    "confirmation",
    "confirmation_ask",
    "thank_you",
    "referrer_thanks",
    "keep_in_touch",
    "decline_thanks",
]


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


# Asking for a job turns a would-be ally into an assessor (the guides' warning).
_ASKS_FOR_JOB: Final = _any(
    r"\b(?:job|position|role|opening|vacanc\w*|internship)s?\s+(?:openings?|opportunit\w+|"
    r"available|open)\b",
    r"\b(?:any|open|available|vacant)\s+(?:jobs?|positions?|roles?|openings?|vacanc\w*)\b",
    r"\bare you (?:hiring|recruiting)\b",
    r"\b(?:hire|employ|recruit) me\b",
    r"\blooking for (?:a |an )?(?:new )?(?:job|position|employment|internship)\b",
    r"\b(?:refer|recommend|put) me (?:for|forward|in)\b",
    r"\breferral (?:for|to) (?:a|an|the|your|one of your) (?:role|position|job|opening)",
    r"\bjob (?:offer|hunt\w*|search\w*|application)s?\b",
    r"\bapply(?:ing)? (?:for|to) (?:a |an |the )?(?:job|position|role|opening)",
)
_RESUME: Final = _any(r"\br[ée]sum[ée]s?\b", r"\bCVs?\b", r"\bcurriculum vitae\b")
_ASK_TIME: Final = _any(
    r"\b(?:15|fifteen|20|twenty|30|thirty)\s*(?:(?:to|-|–|or)\s*(?:20|30|twenty|thirty)\s*)?"
    r"minutes?\b"
)
_ASK_PATH: Final = _any(
    r"\byour (?:path|career|journey|story)\b",
    r"\bhow you (?:came|got|moved|went|found your way)\b",
)
_HOW_WE_KNOW: Final = _any(
    r"\bsuggested (?:that )?I\b",
    r"\bintroduced\b",
    r"\bI know of you\b",
    r"\bwe (?:are connected|met|worked|studied|spoke|both)\b",
    r"\b(?:I|we) (?:heard|saw|read|attended|listened|watched)\b",
    r"\bfellow\b",
)
_INTRODUCES_SELF: Final = _any(r"\bI am [A-Z]", r"\bmy name is\b", r"\bI'm [A-Z]")
_DATE: Final = _any(
    r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b",
    r"\b\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?\b",
)
_CLOCK: Final = re.compile(r"\b\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?", re.I)
# Case matters here: "ET" or "IST" is a zone, "at" is not.
_ZONE: Final = re.compile(
    r"\byour time\b|\b[A-Z]{2,5}\b(?=[),. ]|$)|\b(?:GMT|UTC)[+-]\d"
    r"|\b\w+ (?:Standard|Daylight|Summer) Time\b"
)
_PLACE_OR_LINK: Final = _any(
    r"https?://\S+", r"\b(?:meet|see you|find you) (?:at|in)\b", r"\bby phone\b"
)
_ASKS_WHERE: Final = _any(r"\bwhere\b[^?]*\?", r"\b(?:call|phone)\b[^?]*\?", r"\blink\b[^?]*\?")
_CHANGES: Final = _any(r"\bif anything changes\b", r"\bif (?:you need|it helps) to (?:move|change)")
_THANKS: Final = _any(r"\bthank(?:s| you)\b", r"\bgrateful\b")
# After a "no", nothing more is asked: no time, no call, no question to answer.
_ASKS_AGAIN: Final = _any(
    r"\?",
    r"\b(?:would|could|can|will) you\b",
    r"\blet me know\b",
    r"\bchange your mind\b",
    r"\bin the future\b",
    r"\bminutes?\b",
)
_EMPTY_CHECK_IN: Final = _any(r"\bhope all is well\b", r"\bjust checking in\b")


def check(kind: CheckedKind | str, subject: str, body: str, *, user_name: str = "") -> list[str]:
    """Findings on one message, in the order a reader would meet them (none: it is fine).
    A kind without rules of its own (a proposal of times) gets the checks every message
    gets: no marker, no job ask, no résumé unasked."""
    text = f"{subject}\n{body}"
    findings = [f"holds {m}" for m in find_markers(text)]
    if _ASKS_FOR_JOB.search(text):
        findings.append("reads as asking for a job or a referral to a role; ask for advice")
    if _RESUME.search(text) and kind != "thank_you":
        findings.append("mentions a résumé: offer it only if they ask")
    match kind:
        case "outreach":
            findings += _first_contact(body, user_name)
        case "nudge":
            if not _ASK_TIME.search(body) and "no reply is needed" not in body.lower():
                findings.append("a nudge should repeat the small ask or say no reply is needed")
        case "confirmation":
            findings += _confirmation(body)
        case "confirmation_ask":
            if not _ASKS_WHERE.search(body):
                findings.append("does not ask where to meet or offer a call")
        case "thank_you" | "referrer_thanks":
            if not _THANKS.search(body):
                findings.append("does not thank them")
        case "decline_thanks":
            if not _THANKS.search(body):
                findings.append("does not thank them")
            if _ASKS_AGAIN.search(body):
                findings.append("asks for something: after a no, thank them and ask nothing")
        case "keep_in_touch":
            if _EMPTY_CHECK_IN.search(body):
                findings.append('an empty "hope all is well": say how their advice helped')
        case _:
            pass
    return findings


def _first_contact(body: str, user_name: str) -> list[str]:
    found = []
    named = user_name and user_name in body and user_name != "Your Name"
    if not (named and _INTRODUCES_SELF.search(body)):
        found.append("does not say who you are (your name and a line about you)")
    if not _HOW_WE_KNOW.search(body):
        found.append("does not say how you know of them")
    if not (_ASK_TIME.search(body) and _ASK_PATH.search(body)):
        found.append("does not ask for 15 to 30 minutes to hear about their path")
    return found


def _confirmation(body: str) -> list[str]:
    found = []
    if not (_DATE.search(body) and _CLOCK.search(body)):
        found.append("does not give the date and time")
    elif not _ZONE.search(body):
        found.append("does not say the time zone")
    if not _PLACE_OR_LINK.search(body):
        found.append("does not say where (a place or a call link)")
    if not _CHANGES.search(body):
        found.append('does not say "if anything changes, let me know"')
    return found

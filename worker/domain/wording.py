"""Wording decisions for first contacts: why we write (the reason), how we know the person
(one or two sentences in plain words, only what the user said), and the subject line.

Pure: the facts of a contact in, English out. The templates place these sentences; they
never build them, so every source (LinkedIn, a CSV, a manual entry, a referral, a
referral from notes) reads naturally and says nothing the user did not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from events.types import DraftKind

#: Why the user writes, as the subject line says it.
Reason = Literal["referral", "school", "talk", "event", "colleague", "linkedin", "other", "none"]

#: What each kind of draft is, in the user's words: lower case, as it reads inside a
#: sentence ("a reply offering times to Ada"); a list's label capitalises it. The one
#: vocabulary of the pipeline, Today, the daily summary, history and the demo; a test
#: checks every kind has its words.
DRAFT_KIND_WORDS: Final[dict[DraftKind, str]] = {
    "outreach": "first message",
    "nudge": "reminder",
    "thank_you": "thank-you",
    "referrer_thanks": "thanks for an introduction",
    "keep_in_touch": "keep-in-touch note",
    "propose_times": "reply offering times",
    "confirmation_ask": "question about where to meet",
    "decline_thanks": "thank-you for their answer",
}


_BY_NAME: Final[dict[str, str]] = {str(k): v for k, v in DRAFT_KIND_WORDS.items()}


def draft_kind_words(kind: str) -> str:
    """A draft kind in words (an unknown one, from an older log, readable anyway)."""
    return _BY_NAME.get(kind, kind.replace("_", " "))


# "LinkedIn connection since 28 Nov 2022", as the LinkedIn export import records it.
_LINKEDIN = re.compile(
    r"\A\s*(?:a\s+)?linked\s?in(?:\s+connection)?(?:\s+since\b.*)?\Z", re.I | re.S
)
# Notes referrals record "introduced by <name>", optionally followed by what was said.
_INTRODUCED = re.compile(
    r"\A\s*introduced by\s+(?P<name>[^:;—–-]+?)\s*(?:[:;—–-]\s*(?P<said>.*))?\Z", re.S
)
# Free text that already is a clause of its own ("we met at PyCon", "you spoke at ...").
_CLAUSE = re.compile(r"\A(?:we|i|you|she|he|they)\b", re.I)
_MET = re.compile(r"\Amet\b", re.I)
_THROUGH = re.compile(r"\A(?:through|via)\s+", re.I)
_SCHOOL = re.compile(
    r"\b(?:alum\w*|alumn\w*|school|university|college|class of|graduate[sd]?|studied|"
    r"bootcamp|classmates?|campus)\b",
    re.I,
)
_TALK = re.compile(r"\b(?:talk|keynote|presentation|panel|lecture|webinar|podcast)\b", re.I)
_EVENT = re.compile(
    r"\b(?:met|meetup|conference|event|fair|workshop|hackathon|summit|networking)\b", re.I
)
_COLLEAGUE = re.compile(r"\b(?:colleague|worked|work together|team|manager|coworker)\b", re.I)
#: The first that matches the user's words says why they write (in this order).
_REASONS: tuple[tuple[re.Pattern[str], Reason], ...] = (
    (_SCHOOL, "school"),
    (_TALK, "talk"),
    (_EVENT, "event"),
    (_COLLEAGUE, "colleague"),
)


@dataclass(frozen=True)
class Known:
    """What the user told us of how they know a contact.

    Parameters:
      how: the user's own words (or the import's), "" when none.
      source: where the contact came from: manual, csv, linkedin, referral.
      referrer: the full name of whoever suggested writing, "" when nobody did.
    """

    how: str = ""
    source: str = "manual"
    referrer: str = ""


def first_name(name: str | None) -> str:
    return " ".join((name or "").split()).split(" ")[0] or "there"


def sentence(text: str) -> str:
    """`text` as one sentence: first letter capital, one closing stop (never two:
    "Fabrikam, Inc." stays as it is)."""
    text = " ".join(text.split())
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _clean(text: str) -> str:
    return " ".join(text.split()).rstrip(" .;,")


def _referral_parts(known: Known) -> tuple[str, str]:
    """The referrer's name and what was said of the person (notes referrals carry both
    in `how`), or the user's own words for a referral added by hand."""
    match = _INTRODUCED.match(known.how)
    if match:
        return known.referrer or _clean(match["name"]), _clean(match["said"] or "")
    return known.referrer, ""


def reason(known: Known) -> Reason:
    """Why the user writes, read from the facts (for the subject line)."""
    referrer, _ = _referral_parts(known)
    if referrer:
        return "referral"
    how = known.how.strip()
    if not how:
        return "none"
    if _LINKEDIN.match(how):
        return "linkedin"
    for pattern, why in _REASONS:
        if pattern.search(how):
            return why
    return "other"


def _own_words(how: str) -> str:
    """The user's "how we know" as a sentence, without adding a claim to it."""
    how = _clean(how)
    if not how:
        return ""
    if _LINKEDIN.match(how):
        return "We are connected on LinkedIn."
    if _MET.match(how):
        return sentence(f"we {how}")
    if _CLAUSE.match(how):
        return sentence(how)
    return sentence(f"I know of you through {_THROUGH.sub('', how)}")


def how_we_know(known: Known) -> str:
    """One or two sentences saying how the user knows of the person, or "" when the user
    gave nothing (the draft is then flagged: a first contact must say it)."""
    referrer, said = _referral_parts(known)
    if referrer:
        first = referrer.split()[0]
        lines = [f"{referrer} suggested I reach out to you."]
        if said:
            said = said[0].lower() + said[1:] if not said[:2].isupper() else said
            lines.append(
                sentence(f"{first} mentioned that {said}")
                if _CLAUSE.match(said)
                else sentence(f"{first} mentioned {said}")
            )
        elif known.how and not _INTRODUCED.match(known.how):
            lines.append(_own_words(known.how))
        return " ".join(lines)
    return _own_words(known.how)


def subject(known: Known, company: str = "") -> str:
    """The subject line of a first contact, following the reason for writing."""
    why = reason(known)
    referrer, _ = _referral_parts(known)
    at = f" at {' '.join(company.split())}" if company.strip() else ""
    match why:
        case "referral":
            return f"{referrer} suggested I get in touch"
        case "school":
            return "From a fellow alum: a question about your path"
        case "talk":
            return "Your talk, and a question about your path"
        case "event":
            return "Following up: a question about your path"
        case "colleague":
            return "A question about your path" + at
        case "linkedin":
            return "From a LinkedIn connection: a question about your path"
        case "other" | "none":
            return "A question about your path" + at


def names(people: list[str]) -> str:
    """ "Ana", "Ana and Ben", "Ana, Ben and Chloé"."""
    people = [p for p in (" ".join(p.split()) for p in people) if p]
    if len(people) <= 1:
        return "".join(people)
    return f"{', '.join(people[:-1])} and {people[-1]}"


def introduction(name: str, headline: str) -> str:
    """Who the user is: "I am Sam Lee, a teacher moving into UX research." or "I am Sam
    Lee. I taught physics for eight years." (the one-line introduction as they wrote it)."""
    line = _clean(headline)
    if not line:
        return sentence(f"I am {name}")
    if re.match(r"\A(?:a|an|the)\s", line):
        return sentence(f"I am {name}, {line}")
    return f"I am {name}. {sentence(line)}"


def about_their_path(role: str, company: str) -> str:
    """What the user would like to hear about, as the end of "I would love to hear ..."."""
    role, company = " ".join(role.split()), " ".join(company.split())
    if role and company:
        return f"how you came to your role as {role} at {company}"
    if role:
        return f"how you came to your role as {role}"
    if company:
        return f"how you came to your work at {company}"
    return "about your path"


def in_own_words(text: str) -> str:
    """Something the user did, in their words, as a sentence of theirs: "read Inspired"
    reads "I read Inspired."; "I read Inspired" stays as written."""
    text = _clean(text)
    if not text:
        return ""
    if _CLAUSE.match(text) or re.match(r"\A(?:my|since|after|thanks)\b", text, re.I):
        return sentence(text)
    return sentence(f"I {text[0].lower() + text[1:] if not text[:2].isupper() else text}")


def signed(name: str, signature: str) -> str:
    """The closing lines: the name, then the signature unless it already starts with it."""
    signature = signature.strip()
    if signature.startswith(name):
        return signature
    return f"{name}\n{signature}" if signature else name

"""Reading a contact's answer to offered times: which one they chose, if exactly one is
meant; "unclear" otherwise (a wrong guess books the wrong meeting, "unclear" asks the
user); a "no" or "not now" is noticed so the user can close the path.

Pure. Each language is a table of words (ordinals, weekdays, what accepts, what refuses);
dates written out ("March 3", "tomorrow") are read by dateparser relative to the reply's
own date. A reply is cut into clauses; a time mentioned in a clause that refuses ("I can't
do Tuesday") counts against it, one in a clause that accepts ("Tuesday works") for it,
and any sign of another proposal or of "any of them" makes the answer unclear.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import dateparser

Outcome = Literal["chosen", "unclear", "declined"]


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    #: 1-based position of the chosen time among those offered, when `chosen`.
    choice: int | None = None


@dataclass(frozen=True)
class Words:
    """One language's words, as regular expressions over lower-cased text."""

    code: str  # dateparser's language code
    ordinals: Mapping[str, int]  # -1: the last one
    option_nouns: str
    weekdays: Mapping[str, int]
    months: str
    relative_days: str  # "tomorrow", read by dateparser
    accept: str
    refuse: str
    other_proposal: str
    several: str
    decline: str
    quote_start: str
    parts_of_day: Mapping[str, tuple[int, int]] = field(default_factory=dict)


ENGLISH = Words(
    code="en",
    ordinals={
        "first": 1,
        "1st": 1,
        "second": 2,
        "2nd": 2,
        "third": 3,
        "3rd": 3,
        "middle": 2,
        "last": -1,
        "final": -1,
        "latter": -1,
        "former": 1,
    },
    option_nouns=r"one|option|time|slot|choice|suggestion|proposal|date|day",
    weekdays={
        "monday": 0,
        "mon": 0,
        "tuesday": 1,
        "tue": 1,
        "tues": 1,
        "wednesday": 2,
        "wed": 2,
        "thursday": 3,
        "thu": 3,
        "thur": 3,
        "thurs": 3,
        "friday": 4,
        "fri": 4,
        "saturday": 5,
        "sat": 5,
        "sunday": 6,
        "sun": 6,
    },
    months=r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?",
    relative_days=r"day after tomorrow|tomorrow|today",
    accept=r"works?|working|happy to|glad to|good|great|fine|perfect|suits?|ideal|ok(?:ay)?"
    r"|let'?s|lets|can do"
    r"|i'?ll take|take|prefer|best|book|pencil|go with|choose|pick|sounds|see you|available"
    r"|free|better|would be|please|count me|yes|confirm|lovely|excellent",
    refuse=r"can'?t|cannot|can not|not|won'?t|unavailable|busy|booked|conflict|don'?t|doesn'?t"
    r"|isn'?t|unfortunately|travell?ing|away|out of (?:the )?office|off|no good|impossible"
    r"|tricky|difficult|clash",
    other_proposal=r"instead|rather|alternative(?:ly)?|another (?:day|time|week)"
    r"|different (?:day|time)|other (?:day|time)s?|how about|what about|later|earlier"
    r"|next week|following week|none of|neither|push|move|reschedul",
    several=r"\b(?:any|all|either|both|whichever|each|whatever)\b|\bor\b",
    decline=r"not interested|not now|not a good time|not the right time|no longer|too busy"
    r"|have to (?:pass|decline)|must decline|(?:will|'ll|need to) pass|decline"
    r"|not (?:be )?able to (?:help|meet|talk|make time)|can'?t help|maybe later"
    r"|not (?:at )?the moment|not taking|please remove|not in a position",
    quote_start=r"\bon\b[^.!?]{0,120}\bwrote:|-{2,}\s*original message|\bfrom:\s|^>|\n>"
    r"|\bon (?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,? [^.!?]{0,60}\b20\d\d\b",
    parts_of_day={"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24)},
)

#: The languages answers can be read in, by code: add a table to read another.
LANGUAGES: dict[str, Words] = {"en": ENGLISH}

_CLAUSES = re.compile(r"[;!?\n]+|\.(?!\d)|,\s*(?:but|though|however)\b|\bbut\b|\bhowever\b")
_CLOCK = re.compile(
    r"\b(?P<h>\d{1,2})(?:[:.h](?P<m>[0-5]\d))?\s*(?P<ap>a\.?m\.?|p\.?m\.?)(?![a-z])"
    r"|\b(?P<h2>\d{1,2})[:.h](?P<m2>[0-5]\d)\b"
    r"|\bat\s+(?P<h3>\d{1,2})\b(?![:.h]\d)(?!\s*(?:[ap]\.?m|min|hour|day|week|%|th|st|nd|rd|/))"
    r"|\b(?P<noon>noon|midday)\b"
)
_NUMBER_CHOICE = re.compile(r"(?:\boption|\bnumber|\bno\.|#|\bslot|\btime)\s*(?P<n>[1-9])\b")
_NUMERIC_DATE = re.compile(r"\b(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/\d{2,4})?\b")


@dataclass
class _Mentions:
    days: set[date] = field(default_factory=set)
    weekdays: set[int] = field(default_factory=set)
    times: set[time] = field(default_factory=set)
    ordinals: set[int] = field(default_factory=set)
    parts: set[tuple[int, int]] = field(default_factory=set)

    def any(self) -> bool:
        return bool(self.days or self.weekdays or self.times or self.ordinals)


def _body(text: str, words: Words) -> str:
    """The contact's own words: everything before the quoted earlier message."""
    lowered = text.lower()
    cut = re.search(words.quote_start, lowered, re.MULTILINE)
    return lowered[: cut.start()] if cut else lowered


def _mentions(clause: str, words: Words, base: datetime) -> _Mentions:
    found = _Mentions()
    for m in _CLOCK.finditer(clause):
        if m["noon"]:
            found.times.add(time(12))
            continue
        hour = int(m["h"] or m["h2"] or m["h3"])
        minute = int(m["m"] or m["m2"] or 0)
        if hour > 23:
            continue
        ap = (m["ap"] or "").replace(".", "")
        if ap == "pm" and hour < 12:
            found.times.add(time(hour + 12, minute))
        elif ap == "am":
            found.times.add(time(hour % 12, minute))
        else:
            found.times.add(time(hour, minute))
            if hour < 12:
                found.times.add(time(hour + 12, minute))  # "at 2" in the afternoon
    nouns = words.option_nouns
    for name, n in words.ordinals.items():
        if re.search(rf"\b{name}\b(?:\s+(?:{nouns})\b|\s*(?:works?|is|would|please)\b|$)", clause):
            found.ordinals.add(n)
    for m in _NUMBER_CHOICE.finditer(clause):
        found.ordinals.add(int(m["n"]))
    for name, n in words.weekdays.items():
        if re.search(rf"\b{name}\b\.?", clause):
            found.weekdays.add(n)
    months = words.months
    date_text = (
        rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{months})\b"
        rf"|\b(?:{months})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
    )
    settings = {
        "RELATIVE_BASE": base.replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
    }
    for m in re.finditer(rf"{date_text}|\b(?:{words.relative_days})\b", clause):
        parsed = dateparser.parse(m.group(0), languages=[words.code], settings=settings)
        if parsed is not None:
            found.days.add(parsed.date())
    for m in _NUMERIC_DATE.finditer(clause):
        a, b = int(m["a"]), int(m["b"])
        for month, day in ((a, b), (b, a)):  # 3/4: March 4 in the US, April 3 elsewhere
            for year in (base.year, base.year + 1):
                with contextlib.suppress(ValueError):
                    found.days.add(date(year, month, day))
    for name, span in words.parts_of_day.items():
        if re.search(rf"\b{name}\b", clause):
            found.parts.add(span)
    return found


def _matches(
    mentions: _Mentions, index: int, count: int, start: datetime, zones: Sequence[str]
) -> bool:
    """Whether the offered time at `index` fits every kind of mention made."""
    if mentions.ordinals and not ({index + 1, index - count} & mentions.ordinals):
        return False
    locals_ = [start.astimezone(ZoneInfo(z)) for z in zones]
    if mentions.days and not any(t.date() in mentions.days for t in locals_):
        return False
    if mentions.weekdays and not any(t.weekday() in mentions.weekdays for t in locals_):
        return False
    if mentions.times and not any(t.time() in mentions.times for t in locals_):
        return False
    return not mentions.parts or any(
        lo <= t.hour < hi for t in locals_ for lo, hi in mentions.parts
    )


def says_no(text: str, languages: Sequence[str] = ("en",)) -> bool:
    """Whether a reply turns the conversation down ("not now", "I'll have to pass")."""
    for code in languages:
        words = LANGUAGES[code]
        if re.search(words.decline, _body(text, words)):
            return True
    return False


def read_answer(
    text: str,
    received_at: datetime,
    offered: Sequence[datetime],
    zones: Sequence[str],
    languages: Sequence[str] = ("en",),
) -> Answer:
    """Which of the `offered` starts the reply chose.

    Parameters:
      received_at: when the reply came: "tomorrow" and "March 3" are read from it.
      zones: the zones the contact may write times in (theirs, the user's): a time
        matches an offered start in either.
    """
    answers = [_read(text, received_at, offered, zones, LANGUAGES[c]) for c in languages]
    chosen = {a.choice for a in answers if a.outcome == "chosen"}
    if len(chosen) == 1:
        return Answer("chosen", chosen.pop())
    if any(a.outcome == "declined" for a in answers) and not chosen:
        return Answer("declined")
    return Answer("unclear")


def _read(
    text: str,
    received_at: datetime,
    offered: Sequence[datetime],
    zones: Sequence[str],
    words: Words,
) -> Answer:
    body = _body(text, words)
    base = received_at.astimezone(ZoneInfo(zones[0])) if zones else received_at
    count = len(offered)
    wanted: set[int] = set()
    unwanted: set[int] = set()
    mentioned = False
    for clause in _CLAUSES.split(body):
        clause = clause.strip()
        if not clause:
            continue
        mentions = _mentions(clause, words, base)
        if not mentions.any():
            continue
        mentioned = True
        if re.search(words.other_proposal, clause) or re.search(words.several, clause):
            return Answer("unclear")
        fitting = {
            i for i, start in enumerate(offered) if _matches(mentions, i, count, start, zones)
        }
        if re.search(rf"\b(?:{words.refuse})\b", clause):
            unwanted |= fitting
        elif re.search(rf"\b(?:{words.accept})\b", clause) or _bare(clause, words):
            if not fitting:
                return Answer("unclear")  # a time they want that was not offered
            wanted = wanted & fitting if wanted else fitting
            if not wanted:
                return Answer("unclear")  # two clauses naming different times
        else:
            return Answer("unclear")  # a time named without saying what of it
    chosen = wanted - unwanted
    if len(chosen) == 1:
        return Answer("chosen", chosen.pop() + 1)
    if not mentioned and re.search(words.decline, body):
        return Answer("declined")
    return Answer("unclear")


_FILLER = re.compile(
    r"\b(?:the|at|on|for|me|i|hi|hello|thanks?|thank you|cheers|great|then|a|an|m|one|is"
    r"|s|\d+|[ap]\.?m\.?|of)\b"
)


def _bare(clause: str, words: Words) -> bool:
    """A clause that is nothing but the choice ("Tuesday at 10am", "The second one")."""
    rest = clause
    for name in (*words.weekdays, *words.ordinals):
        rest = re.sub(rf"\b{name}\b", " ", rest)
    rest = re.sub(rf"\b(?:{words.months})\b|\b(?:{words.option_nouns})\b", " ", rest)
    rest = _FILLER.sub(" ", rest)
    rest = re.sub(r"[^a-z]+", " ", rest)
    return not rest.strip()


def offered_until(offered: Sequence[datetime], offered_at: datetime, hold: timedelta) -> datetime:
    """When an offer stops holding its times: after `hold`, or when the last has passed."""
    return min(offered_at + hold, max(offered))

"""Reading the people named in meeting notes: "Name <email>", "Name (email)", "Name - email",
"email (Name)", an address beside a name, and a name with no address yet ("talk to Raj at
Tailspin, no email yet"), plus what looked like a referral but could not be read. Pure."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from worker.domain.addresses import InvalidInput, check_address, check_text
from worker.domain.names import fold

# Loose on purpose: whatever looks like an address is caught here, then validated, so a
# mistyped one is reported ("could not read") instead of silently left in the text.
_ADDRESS = re.compile(r"[^\s<>()\[\],;:@\"]+@[^\s<>()\[\],;\"]*")
# A name word: a capital first ("Lena", "O'Neil", "Jean-Luc", "Ó"), or a particle
# inside a name ("van", "de", "da").
_WORD = r"(?:[^\W\d_a-z][\w'’-]*\.?)"
_PARTICLE = r"(?:van|von|de|da|del|der|di|du|la|le|bin|al)"
_NAME = rf"{_WORD}(?:\s+(?:{_PARTICLE}\s+)*{_WORD}){{0,3}}"
# Phrases that introduce a person to talk to (never "ask X": X is who introduces).
_CUE = re.compile(
    r"\b(?:talk(?:ing)? (?:to|with)|speak (?:to|with)|reach(?:ing)? out to|get in touch with"
    r"|introduc(?:e|ed|ing) (?:me|you|us) to|introduction to|intro to|contact|write to"
    r"|e-?mail|meet(?:ing)?)\s+(?P<name>"
    + _NAME
    + r")(?:\s+(?:at|from)\s+(?P<org>"
    + _NAME
    + r"))?",
)
# "Raj at Tailspin, no email yet": a name with no address, said in so many words.
_NO_ADDRESS = re.compile(r"\bno (?:e-?mail|address)\b|\b(?:e-?mail|address) unknown\b", re.I)
_LEADING = re.compile(r"^\W*(?P<name>" + _NAME + r")(?:\s+(?:at|from)\s+(?P<org>" + _NAME + r"))?")
_LEAD_WORDS = {"talk", "to", "with", "ask", "contact", "meet", "email", "write", "and", "also"}
_NOT_NAMES = {
    *_LEAD_WORDS,
    *("i", "we", "she", "he", "they", "you", "the", "a", "an", "my", "her", "his", "their"),
    *("then", "maybe", "perhaps", "see", "cc", "or", "but", "so", "great", "thanks"),
}


@dataclass(frozen=True)
class FoundReferral:
    name: str
    email: str | None  # None: an open referral, to be completed with `contacts edit`
    line: int
    company: str | None = None


@dataclass
class ReferralReading:
    found: list[FoundReferral] = field(default_factory=list)
    #: What looked like a referral but could not be read, one line each ("line 3: ...").
    unread: list[str] = field(default_factory=list)


def read_referrals(text: str, *, not_them: Collection[str] = ()) -> ReferralReading:
    """Every person the notes name to talk to. `not_them`: names never taken as a
    referral (the contact the notes are about)."""
    reading = ReferralReading()
    skip = {fold(n) for n in not_them if n}
    seen: set[str] = set()
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        for match in _ADDRESS.finditer(line):
            _with_address(reading, line, match, number, seen)
        for name, org in _without_address(line):
            key = fold(name)
            if key in seen or key in skip or _known_first_name(key, seen):
                continue
            seen.add(key)
            reading.found.append(FoundReferral(name=name, email=None, line=number, company=org))
    return reading


def _with_address(
    reading: ReferralReading, line: str, match: re.Match[str], number: int, seen: set[str]
) -> None:
    raw = match.group().rstrip(".'’-")
    try:
        email = check_address(raw, f"line {number}")
    except InvalidInput as exc:
        reading.unread.append(f"{exc} (not taken as a referral)")
        return
    after = line[match.end() :]
    name = None
    inside = re.match(r"\s*[>)]?\s*\((?P<name>[^()]{1,80})\)", after)  # email (Name)
    if inside:
        name = _clean(inside["name"])
    if name is None:
        before = line[: match.start()]
        before = re.sub(r"[\s<(\[:,–—-]+$", "", before)  # "Name <", "Name (", "Name - "
        name = _trailing_name(before)
    if name is None:
        reading.unread.append(f"line {number}: {email} has no name beside it (not taken)")
        return
    try:
        name = check_text(name, f"line {number}: name", required=True)
    except InvalidInput as exc:
        reading.unread.append(str(exc))
        return
    seen.add(fold(name))
    reading.found.append(FoundReferral(name=name, email=email, line=number))


def _trailing_name(before: str) -> str | None:
    """The name at the end of `before`: its last capitalised words, after any sentence."""
    found = re.search(r"(?:^|[.!?;]\s+|\s)(?P<name>" + _NAME + r")$", before)
    if not found:
        return None
    return _clean(found["name"])


def _clean(name: str) -> str | None:
    words = name.split()
    # A word closing a sentence ("engines.") ends the text before the name; an initial
    # ("M.") does not.
    ends = [i for i, w in enumerate(words[:-1]) if w[-1] in ".!?" and len(w) > 2]
    if ends:
        words = words[ends[-1] + 1 :]
    while len(words) > 1 and words[0].lower() in _LEAD_WORDS:
        words = words[1:]
    words = [w.rstrip(",;:") for w in words]
    if words and len(words[-1]) > 2:
        words[-1] = words[-1].rstrip(".!?")  # the sentence ends after the name
    if not words or words[0].lower() in _NOT_NAMES or not words[0][:1].isupper():
        return None
    return " ".join(words)


def _without_address(line: str) -> list[tuple[str, str | None]]:
    if _ADDRESS.search(line):
        return []  # the line's people come with their address
    found = [(m["name"], m["org"]) for m in _CUE.finditer(line)]
    if not found and _NO_ADDRESS.search(line):
        lead = _LEADING.match(line)
        if lead:
            found = [(lead["name"], lead["org"])]
    out = []
    for name, org in found:
        clean = _clean(name)
        if clean:
            out.append((clean, _clean(org) if org else None))
    return out


def _known_first_name(key: str, seen: set[str]) -> bool:
    """ "Raj" after "Raj Patel <raj@...>" in the same notes is the same person."""
    return any(s.split()[0] == key for s in seen if s)

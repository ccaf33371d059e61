"""Finding a person by what the user types: the start of any word of their name, whatever
the case and accents ("jose" finds "José Álvarez"; "ana" finds "Ana Lima", not "Aiko Tanaka")."""

from __future__ import annotations

import re

from events.text import fold as fold  # the folding search and names share

_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def same_name(a: str, b: str) -> bool:
    return words(a) == words(b) and bool(words(a))


def name_starts_match(query: str, name: str) -> bool:
    """Whether each word typed starts a different word of the name, in any order."""
    wanted = words(query)
    if not wanted:
        return False
    available = words(name)
    for w in sorted(wanted, key=len, reverse=True):
        match = next((i for i, n in enumerate(available) if n.startswith(w)), None)
        if match is None:
            return False
        available.pop(match)
    return True

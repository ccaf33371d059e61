"""Finding a person by what the user types: the start of any word of their name, whatever
the case and accents ("jose" finds "José Álvarez"; "ana" finds "Ana Lima", not "Aiko Tanaka")."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")


class _Marks(dict[int, int | None]):
    """A `str.translate` table dropping combining marks (accents), filled as characters
    are first met: the page's search folds thousands of names per request."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_MARKS = _Marks()


def fold(text: str) -> str:
    """Lower-cased, accents dropped: the form two spellings of one name share."""
    return unicodedata.normalize("NFKD", text).translate(_MARKS).casefold()


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

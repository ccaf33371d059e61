"""Text as search compares it: lower-cased, accents dropped ("José" and "jose" are one).

Here, below the worker, because the pipeline view keeps each contact's searchable text
folded once, when their details change, instead of every search folding every row.
"""

from __future__ import annotations

import unicodedata


class _Marks(dict[int, int | None]):
    """A `str.translate` table dropping combining marks (accents), filled as characters
    are first met."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_MARKS = _Marks()


def fold(text: str) -> str:
    """Lower-cased, accents dropped: the form two spellings of one name share."""
    return unicodedata.normalize("NFKD", text).translate(_MARKS).casefold()

"""Template markers: what a message must never carry to its reader (a bracketed reminder,
an unrendered Jinja tag, a stub word, the default profile's "Your Name").

A template leaves a sentence out when its data is missing; it never leaves a slot for
the user to fill. This check runs when a message is rendered (the renderer refuses)
and again before a draft is approved (the text may have been edited since).
"""

from __future__ import annotations

import re

# Each marker with the words naming it in an error. A bracketed reminder is text in
# square brackets with a space in it ("[What stayed with you]"); "[1]" or "[sic]" is not.
_MARKERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\[[^\[\]\n]*\s[^\[\]\n]*\]"), "a bracketed reminder"),
    (re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S), "an unrendered template tag"),
    (re.compile(r"<<[^<>\n]*>>"), "a placeholder"),
    (re.compile(r"\b(?:TODO|TBD|FIXME|XXX)\b"), "a stub word"),
    (re.compile(r"\bYour Name\b"), "the default name (run `outreach init`)"),
)


def find_markers(text: str) -> list[str]:
    """Each marker left in `text`, as `<what>: "<the text>"`, in order of appearance."""
    found: list[tuple[int, str]] = []
    for pattern, what in _MARKERS:
        for match in pattern.finditer(text):
            shown = " ".join(match.group(0).split())
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            found.append((match.start(), f'{what}: "{shown}"'))
    return [text for _, text in sorted(found)]

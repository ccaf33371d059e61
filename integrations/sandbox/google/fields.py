"""The `fields=` partial-response syntax: parse a selector and trim a JSON answer with it."""

from __future__ import annotations

from typing import Any

from integrations.sandbox.google.errors import bad_request

# name -> sub-selection (None keeps the whole value)
Selector = dict[str, "Selector | None"]


def parse_fields(text: str) -> Selector:
    """Parse e.g. "nextPageToken,messages(id,threadId),payload/headers"."""
    selector, rest = _parse_list(text.replace(" ", ""), 0)
    if rest != len(text.replace(" ", "")):
        raise bad_request(f"Invalid field selection {text}", location="fields")
    return selector


def _parse_list(text: str, pos: int) -> tuple[Selector, int]:
    selector: Selector = {}
    while True:
        pos = _parse_one(text, pos, selector)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        return selector, pos


def _parse_one(text: str, pos: int, into: Selector) -> int:
    start = pos
    while pos < len(text) and text[pos] not in ",/()":
        pos += 1
    name = text[start:pos]
    if not name:
        raise bad_request(f"Invalid field selection {text}", location="fields")
    if pos < len(text) and text[pos] == "/":
        sub = _child(into, name)
        return _parse_one(text, pos + 1, sub)
    if pos < len(text) and text[pos] == "(":
        inner, pos = _parse_list(text, pos + 1)
        if pos >= len(text) or text[pos] != ")":
            raise bad_request(f"Invalid field selection {text}", location="fields")
        _child(into, name).update(inner)
        return pos + 1
    into[name] = None
    return pos


def _child(into: Selector, name: str) -> Selector:
    existing = into.get(name, {})
    if existing is None:  # already selected whole: a narrower selection changes nothing
        return {}
    into[name] = existing
    return existing


def apply_fields(value: Any, selector: Selector) -> Any:
    """Keep only the selected parts of a JSON value (lists apply the selection per item)."""
    if isinstance(value, list):
        return [apply_fields(item, selector) for item in value]
    if not isinstance(value, dict):
        return value
    kept = {}
    for name, sub in selector.items():
        if name in value:
            kept[name] = value[name] if sub is None else apply_fields(value[name], sub)
    return kept

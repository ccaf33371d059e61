"""Gmail's search language (the `q` parameter), the subset clients of this project use:
from:, to:, cc:, subject:, in:, label:, is:, after:, before:, newer_than:, older_than:,
rfc822msgid:, bare words, "quoted phrases", OR, {a b} groups and -negation."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from integrations.sandbox.google.errors import bad_request
from integrations.sandbox.google.mailbox import StoredMessage

Predicate = Callable[[StoredMessage], bool]

_TOKEN = re.compile(r'-?\w+:"[^"]*"|-?"[^"]*"|[{}()]|[^\s{}()]+')
_FOLDERS = {
    "sent": "SENT",
    "inbox": "INBOX",
    "drafts": "DRAFT",
    "draft": "DRAFT",
    "trash": "TRASH",
    "spam": "SPAM",
    "starred": "STARRED",
}
_UNITS = {"d": 1, "m": 30, "y": 365}


def compile_query(q: str, now: datetime) -> Predicate:
    """A predicate for one query string. Terms are ANDed; OR binds tighter, as in Gmail.
    Dates in after:/before: are read as UTC midnight (Gmail uses the account's zone)."""
    tokens = _TOKEN.findall(q)
    clauses: list[list[Predicate]] = []
    i = 0
    while i < len(tokens):
        word = tokens[i]
        if word in ("(", ")"):
            i += 1
            continue
        if word == "{":
            group: list[Predicate] = []
            i += 1
            while i < len(tokens) and tokens[i] != "}":
                group.append(_term(tokens[i], now))
                i += 1
            clauses.append(group)
            i += 1
            continue
        if word == "OR" and clauses and i + 1 < len(tokens):
            clauses[-1].append(_term(tokens[i + 1], now))
            i += 2
            continue
        clauses.append([_term(word, now)])
        i += 1
    return lambda msg: all(any(p(msg) for p in clause) for clause in clauses)


def _term(word: str, now: datetime) -> Predicate:
    if word.startswith("-") and len(word) > 1:
        inner = _term(word[1:], now)
        return lambda msg: not inner(msg)
    if word.startswith('"'):
        return _words(word.strip('"'))
    name, sep, value = word.partition(":")
    value = value.strip('"').lower()
    if not sep or not value:
        return _words(word)
    name = name.lower()
    if name == "from":
        return lambda m: any(value in a for a in m.senders) or value in _header(m, "From")
    if name == "to":
        return lambda m: any(value in a for a in m.recipients) or value in _header(m, "To")
    if name == "cc":
        return lambda m: value in _header(m, "Cc")
    if name == "subject":
        return lambda m: value in m.subject.lower()
    if name == "in":
        return _in(value)
    if name == "label":
        return lambda m: value.upper() in m.label_ids
    if name == "is":
        return lambda m: value.upper() in m.label_ids
    if name == "rfc822msgid":
        wanted = value.strip("<>")
        return lambda m: m.message_id.strip("<>").lower() == wanted
    if name in ("after", "before", "newer", "older"):
        edge = _date(value)
        return _since(edge) if name in ("after", "newer") else _until(edge)
    if name in ("newer_than", "older_than"):
        found = re.fullmatch(r"(\d+)([dmy])", value)
        if not found:
            raise bad_request(f"Invalid query: {word}", reason="invalidArgument")
        edge = now - timedelta(days=int(found.group(1)) * _UNITS[found.group(2)])
        return _since(edge) if name == "newer_than" else _until(edge)
    return _words(word)


def _in(folder: str) -> Predicate:
    if folder == "anywhere":
        return lambda m: True
    label = _FOLDERS.get(folder, folder.upper())
    return lambda m: label in m.label_ids


def _date(value: str) -> datetime:
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    try:
        return datetime.strptime(value.replace("-", "/"), "%Y/%m/%d").replace(tzinfo=UTC)
    except ValueError:
        raise bad_request(f"Invalid date in query: {value}", reason="invalidArgument") from None


def _since(edge: datetime) -> Predicate:
    ms = edge.timestamp() * 1000
    return lambda m: m.internal_date >= ms


def _until(edge: datetime) -> Predicate:
    ms = edge.timestamp() * 1000
    return lambda m: m.internal_date < ms


def _header(msg: StoredMessage, name: str) -> str:
    return str(msg.parsed.get(name, "")).lower()


def _words(text: str) -> Predicate:
    wanted = text.lower()
    return lambda m: (
        wanted in m.subject.lower()
        or wanted in m.text.lower()
        or any(wanted in a for a in m.senders + m.recipients)
    )

"""The People board: every active contact in one column per stage, searchable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

import sqlalchemy as sa

from events.projections.pipeline import ContactRow, next_step
from worker.domain.names import fold
from worker.services.app import App

ColumnKey = Literal[
    "to_write", "waiting", "replied", "meeting", "met", "thanked", "in_touch", "closed"
]

#: The board's columns, in the order of an interview's life, with the words shown.
COLUMNS: Final[tuple[tuple[ColumnKey, str], ...]] = (
    ("to_write", "To write"),
    ("waiting", "Waiting"),
    ("replied", "Replied"),
    ("meeting", "Meeting"),
    ("met", "Met"),
    ("thanked", "Thanked"),
    ("in_touch", "In touch"),
    ("closed", "Closed"),
)

#: Each pipeline stage's column. A side exit that ends the path (a "no", no answer)
#: is closed; one that asks for a new date (cancelled, no-show) stays with meetings.
COLUMN_OF_STAGE: Final[dict[str, ColumnKey]] = {
    "identified": "to_write",
    "to_write": "to_write",
    "drafted": "to_write",
    "sent": "waiting",
    "nudged": "waiting",
    "replied": "replied",
    "scheduled": "meeting",
    "confirmed": "meeting",
    "cancelled": "meeting",
    "no_show": "meeting",
    "met": "met",
    "thanked": "thanked",
    "kept_in_touch": "in_touch",
    "declined": "closed",
    "no_response": "closed",
}

#: Plain words for each stage (what a card says under the name).
STAGE_WORDS: Final[dict[str, str]] = {
    "identified": "not written to yet",
    "to_write": "a first message is being prepared",
    "drafted": "a first message waits for your review",
    "sent": "written to",
    "nudged": "reminded",
    "replied": "replied",
    "scheduled": "meeting planned",
    "confirmed": "meeting confirmed",
    "cancelled": "meeting cancelled",
    "no_show": "did not come",
    "met": "met",
    "thanked": "thanked",
    "kept_in_touch": "in touch",
    "declined": "declined",
    "no_response": "no answer",
    "forgotten": "forgotten",
    "merged": "merged",
}


@dataclass(frozen=True)
class Card:
    contact_id: str
    name: str
    company: str | None
    stage: str
    stage_words: str
    next_step: str
    days_in_stage: int


@dataclass(frozen=True)
class Column:
    key: ColumnKey
    label: str
    cards: list[Card]
    #: How many people the column holds; more than `cards` when the list was cut short.
    total: int


@dataclass(frozen=True)
class Board:
    columns: list[Column]
    query: str
    total: int


def column_of(row: ContactRow) -> ColumnKey | None:
    """The column a contact shows in; None for a contact gone (forgotten, merged)."""
    if row.forgotten or row.merged_into:
        return None
    if row.closed:
        return "closed"
    return COLUMN_OF_STAGE.get(row.stage)


def matches(row: ContactRow, folded_query: str) -> bool:
    return _found([row.name, row.company, row.role, row.emails], folded_query)


def days_since(at: str, now: datetime) -> int:
    return max(0, (now - datetime.fromisoformat(at)).days) if at else 0


def step_of(row: ContactRow) -> str:
    return "nothing: closed" if row.closed else next_step(row)


def card(row: ContactRow, now: datetime) -> Card:
    return Card(
        contact_id=row.contact_id,
        name=row.name or "(no name)",
        company=row.company,
        stage=row.stage,
        stage_words=STAGE_WORDS.get(row.stage, row.stage.replace("_", " ")),
        next_step=step_of(row),
        days_in_stage=days_since(row.stage_at, now),
    )


def board(app: App, query: str = "", *, per_column: int = 50) -> Board:
    """The board, most recently moved first in each column; at most `per_column` cards
    each (the page stays quick with thousands of people; search finds the rest).

    Reads the few columns that place and search a card for every listed person, and
    whole rows only for the cards shown."""
    app.projector.catch_up()
    now = app.clock.now()
    folded = fold(query.strip())
    c = app.projector.columns(ContactRow)
    shown = [c.contact_id, c.stage, c.closed, c.stage_at]
    searched = [c.name, c.company, c.role, c.emails] if folded else []
    listed = sa.select(*shown, *searched).where(c.forgotten.is_(False), c.merged_into.is_(None))
    grouped: dict[ColumnKey, list[tuple[str, str]]] = {key: [] for key, _ in COLUMNS}
    for cid, stage, closed, stage_at, *text in app.projector.select(listed):
        key = "closed" if closed else COLUMN_OF_STAGE.get(stage)
        if key is not None and (not folded or _found(text, folded)):
            grouped[key].append((stage_at, cid))
    tops = {key: sorted(found, reverse=True)[:per_column] for key, found in grouped.items()}
    wanted = sorted({cid for top in tops.values() for _, cid in top})
    rows = {r.contact_id: r for r in app.projector.find(ContactRow, contact_id=wanted)}
    columns = [
        Column(key, label, [card(rows[cid], now) for _, cid in tops[key]], len(grouped[key]))
        for key, label in COLUMNS
    ]
    return Board(columns=columns, query=query.strip(), total=sum(c.total for c in columns))


def _found(text: list[Any], folded_query: str) -> bool:
    """Whether each word searched is in the name, company, role or an address."""
    if not folded_query:
        return True
    name, company, role, emails = text
    haystack = " ".join([name or "", company or "", role or "", *(emails or [])])
    # ASCII text folds to its lower case: the Unicode decomposition only for the rest.
    folded = haystack.lower() if haystack.isascii() else fold(haystack)
    return all(word in folded for word in folded_query.split())

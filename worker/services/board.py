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


def board(app: App, query: str = "", *, per_column: int = 20) -> Board:
    """The board, most recently moved first in each column; at most `per_column` cards
    each (the page stays quick with thousands of people; search finds the rest).

    Without a search, SQL counts each column and reads its first cards (by the stage
    index). A search reads only the people it may find: SQL keeps the rows whose plain
    ASCII text holds every word, and the rows with other letters, which only folding
    can decide (so "jose" finds "José"); the exact match is decided here for those."""
    app.projector.catch_up()
    now = app.clock.now()
    folded = fold(query.strip())
    c = app.projector.columns(ContactRow)
    listed = (c.forgotten.is_(False), c.merged_into.is_(None))
    if folded:
        grouped = _searched(app, folded, listed)
        totals = {key: len(found) for key, found in grouped.items()}
        tops = {
            key: [cid for _, cid in sorted(found, reverse=True)[:per_column]]
            for key, found in grouped.items()
        }
    else:
        totals = _counts(app, listed)
        tops = {key: _newest(app, key, per_column) if totals[key] else [] for key, _ in COLUMNS}
    # Whole rows only for the cards shown.
    wanted = sorted({cid for top in tops.values() for cid in top})
    rows = {r.contact_id: r for r in app.projector.find(ContactRow, contact_id=wanted)}
    columns = [
        Column(key, label, [card(rows[cid], now) for cid in tops[key]], totals[key])
        for key, label in COLUMNS
    ]
    return Board(columns=columns, query=query.strip(), total=sum(c.total for c in columns))


def _stages(key: ColumnKey) -> list[str]:
    return sorted(stage for stage, column in COLUMN_OF_STAGE.items() if column == key)


def _in_column(c: Any, key: ColumnKey) -> sa.ColumnElement[bool]:
    """SQL for `column_of` over the view's columns `c` (the people gone are left out by
    the caller)."""
    if key == "closed":
        return sa.or_(c.closed.is_not(None), c.stage.in_(_stages(key)))
    return sa.and_(c.closed.is_(None), c.stage.in_(_stages(key)))


def _newest(app: App, key: ColumnKey, count: int) -> list[str]:
    """The ids of the `count` people most recently moved into column `key` (by the stage
    index; two columns read)."""
    c = app.projector.columns(ContactRow)
    # Nearly every row is not merged: SQLite would walk that index (the whole view)
    # rather than the stage's. The same test, written so no index answers it.
    not_merged = sa.func.coalesce(c.merged_into, "") == ""
    found = app.projector.select(
        sa.select(c.contact_id)
        .where(c.forgotten.is_(False), not_merged, _in_column(c, key))
        .order_by(c.stage_at.desc(), c.contact_id.desc())
        .limit(count)
    )
    return [cid for (cid,) in found]


def _counts(app: App, listed: tuple[sa.ColumnElement[bool], ...]) -> dict[ColumnKey, int]:
    """How many people each column holds, counted in SQL by stage."""
    c = app.projector.columns(ContactRow)
    is_closed = c.closed.is_not(None)
    counted = sa.select(c.stage, is_closed, sa.func.count()).where(*listed)
    totals: dict[ColumnKey, int] = {key: 0 for key, _ in COLUMNS}
    for stage, closed, count in app.projector.select(counted.group_by(c.stage, is_closed)):
        key = "closed" if closed else COLUMN_OF_STAGE.get(stage)
        if key is not None:
            totals[key] += count
    return totals


def _searched(
    app: App, folded: str, listed: tuple[sa.ColumnElement[bool], ...]
) -> dict[ColumnKey, list[tuple[str, str]]]:
    """(moved at, id) of the people each word searched is found in, by column: the view
    keeps each person's name, company, role and addresses folded in `search_text`, so
    this is one pass of SQL over one column, whatever their letters."""
    c = app.projector.columns(ContactRow)
    found = sa.select(c.contact_id, c.stage, c.closed, c.stage_at).where(
        *listed, *(c.search_text.contains(w, autoescape=True) for w in folded.split())
    )
    grouped: dict[ColumnKey, list[tuple[str, str]]] = {key: [] for key, _ in COLUMNS}
    for cid, stage, closed, stage_at in app.projector.select(found):
        key = "closed" if closed else COLUMN_OF_STAGE.get(stage)
        if key is not None:
            grouped[key].append((stage_at, cid))
    return grouped

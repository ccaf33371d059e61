"""What a projection is: a named reducer over facts, with its rows keyed by id."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from events.projections.rows import R, Row
from events.types import EventType

R_co = TypeVar("R_co", bound=Row, covariant=True)


@dataclass(frozen=True, slots=True)
class Fact:
    """One event as reducers see it: its decoded payload as plain JSON values.

    `occurred_at` is a UTC ISO string so reducers stay cheap and rows sort as text.
    """

    position: int
    type: EventType
    occurred_at: str
    payload: dict[str, Any]


class RowSource(Protocol[R_co]):
    """Where a view's stored rows come from when a catch-up loads only what it touches."""

    @property
    def key(self) -> str:
        """The rows' key column."""
        ...

    def fetch(self, column: str, values: Collection[str]) -> Sequence[R_co]: ...

    def fetch_all(self) -> Sequence[R_co]: ...


class Rows(Generic[R]):
    """A projection's rows in memory, remembering which changed since loading.

    With a `source`, rows are loaded as they are asked for (by key, by an indexed column,
    or all of them when a reducer walks every row): a catch-up then reads only the rows
    its events touch. Rows in memory are the truth for their keys; the source for the rest.
    """

    def __init__(
        self, rows: dict[str, R] | None = None, source: RowSource[R] | None = None
    ) -> None:
        self.rows: dict[str, R] = rows or {}
        self.dirty: set[str] = set()
        self._source = source
        self._absent: set[str] = set()

    def get(self, key: str) -> R | None:
        row = self.rows.get(key)
        if row is None and self._source is not None and key not in self._absent:
            self._take(self._source.fetch(self._source.key, [key]))
            row = self.rows.get(key)
            if row is None:
                self._absent.add(key)
        return row

    def put(self, key: str, row: R) -> None:
        self.rows[key] = row
        self.dirty.add(key)
        self._absent.discard(key)

    def touch(self, key: str) -> None:
        self.dirty.add(key)

    def values(self) -> list[R]:
        if self._source is not None:
            self._take(self._source.fetch_all())
            self._source = None  # everything is in memory now
        return list(self.rows.values())

    def where(self, column: str, values: Collection[str]) -> list[R]:
        """The rows whose `column` is one of `values` (read from the source when lazy)."""
        wanted = set(values)
        if self._source is not None and wanted:
            self._take(self._source.fetch(column, wanted))
        return [r for r in self.rows.values() if getattr(r, column) in wanted]

    def _take(self, found: Sequence[R]) -> None:
        for row in found:
            # A row already in memory may have changed since it was loaded: it stays.
            self.rows.setdefault(getattr(row, type(row).KEY), row)


#: How a projection folds one event type into its rows.
Handler = Callable[[Rows[R], Fact], None]
#: How one event changes one row it names.
Step = Callable[[R, Fact], None]


def on_row(key: str, step: Step[R]) -> Handler[R]:
    """The handler applying `step` to the row whose key the event's `key` field holds,
    marked changed; an event about a row this view never saw changes nothing."""

    def handle(rows: Rows[R], fact: Fact) -> None:
        found = fact.payload.get(key) or ""
        row = rows.get(found)
        if row is not None:
            rows.touch(found)
            step(row, fact)

    return handle


class Projection(Generic[R]):
    """A view of the log: `apply` folds one fact into its rows. Pure: no I/O, no clock.

    `handlers` is the explicit table from event type to the function folding it in: its
    keys are `EventType` literals (mypy rejects one naming no event), and a test checks
    that every event type of the log is read by some view or listed as read by none.
    """

    name: str
    row_type: type[R]
    handlers: Mapping[EventType, Handler[R]]
    #: Of those, the types whose personal (sealed) fields it reads; None: all of them.
    #: The others reach `apply` without their personal fields, unopened, because
    #: decrypting is most of what replaying an event costs. A test replays every
    #: projection both ways and compares, so a wrong declaration cannot go unnoticed.
    personal: frozenset[str] | None = None

    @property
    def handles(self) -> frozenset[EventType]:
        """Event types it reads; others are not even decoded for it."""
        return frozenset(self.handlers)

    def opens(self, event_type: str) -> bool:
        """Whether `apply` needs the personal fields of `event_type` opened."""
        return self.personal is None or event_type in self.personal

    def apply(self, rows: Rows[R], fact: Fact) -> None:
        self.handlers[fact.type](rows, fact)

"""What a projection is: a named reducer over facts, with its rows keyed by id."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from events.projections.rows import R, Row

R_co = TypeVar("R_co", bound=Row, covariant=True)


@dataclass(frozen=True, slots=True)
class Fact:
    """One event as reducers see it: its decoded payload as plain JSON values.

    `occurred_at` is a UTC ISO string so reducers stay cheap and rows sort as text.
    """

    position: int
    type: str
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


class Projection(Generic[R]):
    """A view of the log: `apply` folds one fact into its rows. Pure: no I/O, no clock."""

    name: str
    row_type: type[R]
    #: Event types it reads; others are not even decoded for it.
    handles: frozenset[str]
    #: Of those, the types whose personal (sealed) fields it reads; None: all of them.
    #: The others reach `apply` without their personal fields, unopened, because
    #: decrypting is most of what replaying an event costs. A test replays every
    #: projection both ways and compares, so a wrong declaration cannot go unnoticed.
    personal: frozenset[str] | None = None

    def opens(self, event_type: str) -> bool:
        """Whether `apply` needs the personal fields of `event_type` opened."""
        return self.personal is None or event_type in self.personal

    def apply(self, rows: Rows[R], fact: Fact) -> None:
        raise NotImplementedError

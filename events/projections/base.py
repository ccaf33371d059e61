"""What a projection is: a named reducer over facts, with its rows keyed by id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic

from events.projections.rows import R


@dataclass(frozen=True, slots=True)
class Fact:
    """One event as reducers see it: its decoded payload as plain JSON values.

    `occurred_at` is a UTC ISO string so reducers stay cheap and rows sort as text.
    """

    position: int
    type: str
    occurred_at: str
    payload: dict[str, Any]


class Rows(Generic[R]):
    """A projection's rows in memory, remembering which changed since loading."""

    def __init__(self, rows: dict[str, R] | None = None) -> None:
        self.rows: dict[str, R] = rows or {}
        self.dirty: set[str] = set()

    def get(self, key: str) -> R | None:
        return self.rows.get(key)

    def put(self, key: str, row: R) -> None:
        self.rows[key] = row
        self.dirty.add(key)

    def touch(self, key: str) -> None:
        self.dirty.add(key)

    def values(self) -> list[R]:
        return list(self.rows.values())


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

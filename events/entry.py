"""An event to record with the id that makes recording it twice harmless (no I/O here, so
pure code can say what to record without loading the journal)."""

from __future__ import annotations

from dataclasses import dataclass

from events.types import Event


@dataclass(frozen=True, slots=True)
class Entry:
    """One event to record, with the id that makes recording it again harmless."""

    event: Event
    event_id: str | None = None

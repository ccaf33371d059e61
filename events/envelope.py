"""The records the store reads and writes: an event about to be appended and one stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event ready to append.

    Parameters:
      event_id: client-made unique id; derive it from the event's cause (see
        `events.ids.derive_id`) so a retried job produces the same id and the
        store can recognise the retry.
      type: the event type name, e.g. ``"outreach.sent"``.
      schema_version: version of the payload's shape; older ones are upcast on read.
      payload: JSON-serialisable dict; personal fields already encrypted.
      occurred_at: when it happened in the world (aware UTC).
      causation_id: the event or message id that caused this one.
      correlation_id: the id shared by everything in one conversation of work.
    """

    event_id: str
    type: str
    schema_version: int
    payload: dict[str, Any]
    occurred_at: datetime
    causation_id: str | None = None
    correlation_id: str | None = None


class StoredEvent(NamedTuple):
    """An event as the log holds it, with its place in its stream and in the log.

    A named tuple rather than a frozen dataclass: just as immutable, and built six
    times faster, which is a fifth of reading the log (a frozen dataclass sets each
    field through object.__setattr__).
    """

    position: int
    event_id: str
    stream_id: str
    version: int
    type: str
    schema_version: int
    payload: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime
    causation_id: str | None = None
    correlation_id: str | None = None

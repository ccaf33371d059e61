"""The journal: how the application records domain events (encode, stamp, append)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from events.clock import Clock
from events.codec import Codec, Decoded
from events.entry import Entry
from events.ids import new_id
from events.store import ANY, AppendResult, EventStore
from events.types import Event


class Journal:
    """Records and reads domain events.

    Parameters:
      store: the append-only log.
      codec: seals personal fields with each contact's key.
      clock: stamps `occurred_at` when the caller does not know better.
    """

    def __init__(self, store: EventStore, codec: Codec, clock: Clock) -> None:
        self.store = store
        self.codec = codec
        self.clock = clock

    def record(
        self,
        event: Event,
        *,
        event_id: str | None = None,
        expected_version: int | None = ANY,
        causation_id: str | None = None,
        correlation_id: str | None = None,
    ) -> AppendResult:
        new = self.codec.encode(
            event,
            event_id=event_id or new_id(),
            occurred_at=self.clock.now(),
            causation_id=causation_id,
            correlation_id=correlation_id,
        )
        return self.store.append(event.stream_id(), [new], expected_version)

    def record_all(
        self,
        entries: Sequence[Entry],
        *,
        causation_id: str | None = None,
        correlation_id: str | None = None,
    ) -> list[AppendResult]:
        """Record events of several streams in one transaction: all or nothing.

        Entries whose ids are already stored are left out, so replaying what a sync
        saw (or a second worker recording the same) appends only what is new.
        """
        now = self.clock.now()
        given = [e.event_id for e in entries if e.event_id]
        stored = self.store.existing(given) if given else set()
        by_stream: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            if entry.event_id in stored:
                continue
            by_stream[entry.event.stream_id()].append(entry)
        batch = [
            (
                stream,
                [
                    self.codec.encode(
                        e.event,
                        event_id=e.event_id or new_id(),
                        occurred_at=now,
                        causation_id=causation_id,
                        correlation_id=correlation_id,
                    )
                    for e in group
                ],
                ANY,
            )
            for stream, group in by_stream.items()
        ]
        return self.store.append_batch(batch) if batch else []

    def has(self, event_id: str) -> bool:
        return self.store.contains(event_id)

    def stream(self, stream_id: str) -> list[Decoded]:
        return [self.codec.decode(s) for s in self.store.read_stream(stream_id)]

    def contact_history(self, contact_id: str) -> list[Decoded]:
        return self.stream(f"contact-{contact_id}")

"""What the log says about offered times: each contact's offers, their latest real reply,
and which replies were already read as answers (the state the times policy reads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from worker.domain.slots import Interval


@dataclass(frozen=True)
class OfferRow:
    offer_id: str
    contact_id: str
    starts: tuple[datetime, ...]
    minutes: int
    offered_at: datetime
    expires_at: datetime

    def slots(self) -> list[Interval]:
        return [Interval(s, s + timedelta(minutes=self.minutes)) for s in self.starts]


@dataclass(frozen=True)
class ReplySeen:
    message_id: str
    received_at: datetime


@dataclass(frozen=True)
class TimesView:
    offers: dict[str, list[OfferRow]] = field(default_factory=dict)
    #: Each contact's latest reply written by a person (no auto-reply, no bounce).
    last_reply: dict[str, ReplySeen] = field(default_factory=dict)
    #: Message ids of replies already read as answers to an offer.
    answered: frozenset[str] = frozenset()

    def latest_offer(self, contact_id: str) -> OfferRow | None:
        rows = self.offers.get(contact_id) or []
        return max(rows, key=lambda o: o.offered_at) if rows else None

"""One person as the page shows them: details, next step, who introduced them and whom
they introduced, the timeline in sentences, and the briefing before a meeting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events.projections.pipeline import ContactRow
from worker.services.board import STAGE_WORDS, days_since, step_of
from worker.services.contacts import ContactBook, is_listed, listing_order
from worker.services.history import telling_for
from worker.services.meetings import briefing
from worker.services.scheduling import Offer, offer_for
from worker.services.timeline import Moment, timeline


@dataclass(frozen=True)
class Link:
    contact_id: str
    name: str
    stage_words: str


@dataclass(frozen=True)
class Person:
    row: ContactRow
    stage_words: str
    days_in_stage: int
    next_step: str
    introduced_by: Link | None
    introduced: list[Link]
    moments: list[Moment]
    brief: dict[str, Any]
    #: Whether they can be invited to a meeting (open, with an address to invite).
    can_schedule: bool
    #: The times last offered to them, to invite them at one.
    offer: Offer | None
    #: Where a meeting is when the user names no place (their setting).
    default_place: str


def _link(row: ContactRow) -> Link:
    return Link(row.contact_id, row.name or "(no name)", STAGE_WORDS.get(row.stage, row.stage))


def _moments(book: ContactBook, row: ContactRow) -> list[Moment]:
    entries = book.history(row)
    return timeline(entries, telling_for(book, entries))


def person(book: ContactBook, ref: str) -> Person:
    row = book.resolve(ref)
    projector = book.app.projector
    # Whoever introduced them and whom they introduced, by key and by index: the people
    # `all` lists (not forgotten, not merged away).
    found = projector.get(ContactRow, row.referred_by) if row.referred_by else None
    referrer = found if found is not None and is_listed(found) else None
    introduced = [c for c in projector.find(ContactRow, referred_by=row.contact_id) if is_listed(c)]
    return Person(
        row=row,
        stage_words=STAGE_WORDS.get(row.stage, row.stage.replace("_", " ")),
        days_in_stage=days_since(row.stage_at, book.app.clock.now()),
        next_step=step_of(row),
        introduced_by=_link(referrer) if referrer else None,
        introduced=[_link(c) for c in sorted(introduced, key=listing_order)],
        moments=_moments(book, row),
        brief=briefing(book, row.contact_id),
        can_schedule=bool(row.emails) and not row.closed and is_listed(row),
        offer=offer_for(book.app, row),
        default_place=book.app.settings.policy.meeting_place,
    )

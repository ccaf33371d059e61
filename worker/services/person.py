"""One person as the page shows them: details, next step, who introduced them and whom
they introduced, the timeline in sentences, and the briefing before a meeting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events.projections.pipeline import ContactRow
from worker.services.board import STAGE_WORDS, days_since, step_of
from worker.services.contacts import ContactBook
from worker.services.meetings import briefing
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


def _link(row: ContactRow) -> Link:
    return Link(row.contact_id, row.name or "(no name)", STAGE_WORDS.get(row.stage, row.stage))


def person(book: ContactBook, ref: str) -> Person:
    row = book.resolve(ref)
    everyone = book.all()
    referrer = next((c for c in everyone if c.contact_id == row.referred_by), None)
    return Person(
        row=row,
        stage_words=STAGE_WORDS.get(row.stage, row.stage.replace("_", " ")),
        days_in_stage=days_since(row.stage_at, book.app.clock.now()),
        next_step=step_of(row),
        introduced_by=_link(referrer) if referrer else None,
        introduced=[_link(c) for c in everyone if c.referred_by == row.contact_id],
        moments=timeline(book.history(row), book.app.settings.policy.time_zone),
        brief=briefing(book, row.contact_id),
    )

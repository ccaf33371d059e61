"""The projections' dispatch tables: every event type of the log reaches the views that
must read it, and the tables agree with the draft kinds they are written out from."""

from __future__ import annotations

from typing import get_args

from events.projections.drafts import SENT_TYPES, Drafts
from events.projections.pipeline import Pipeline
from events.projections.projector import UNVIEWED, default_projections
from events.types import DRAFT_KINDS, EVENT_TYPES, SENT_FOR_KIND, EventType


def test_the_event_type_literal_names_exactly_the_logs_event_types() -> None:
    assert sorted(get_args(EventType)) == sorted(EVENT_TYPES)


def test_every_event_type_is_read_by_a_view_or_declared_unviewed() -> None:
    read = set().union(*(p.handles for p in default_projections()))
    assert read | UNVIEWED == set(EVENT_TYPES)
    assert not read & UNVIEWED, "a type both read and declared unviewed"


def test_every_view_opens_only_personal_fields_of_types_it_reads() -> None:
    for view in default_projections():
        if view.personal is not None:
            assert view.personal <= view.handles, view.name


def test_drafts_view_creates_a_draft_for_each_kind_and_closes_it_for_each_sending() -> None:
    handles = Drafts().handles
    assert set(DRAFT_KINDS) <= handles
    assert {cls.TYPE for cls in SENT_FOR_KIND.values()} == SENT_TYPES
    assert handles >= SENT_TYPES


def test_pipeline_tracks_every_waiting_draft_from_drafted_to_sent_or_discarded() -> None:
    handles = Pipeline().handles
    assert set(DRAFT_KINDS) | SENT_TYPES | {"draft.discarded"} <= handles

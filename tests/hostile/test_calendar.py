"""Hostile calendar events, in Google's and Graph's shapes: no attendees, all-day, recurring
instances, odd or unknown time zones, times no datetime holds, fields missing or null.

Each goes through the adapter's reader (`seen`) and `sync_records.interpret`; neither may
raise. An event becomes a meeting only when it is timed, has both ends and names the
tracked contact; anything else is skipped, and what is recorded stays readable.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.projections.meetings import MeetingRow
from integrations.google.calendar import seen as google_seen
from integrations.microsoft.calendar import Events as GraphEvents
from integrations.protocol import CalendarEventSeen, SyncBatch
from tests.hostile.cases import fuzz, tried
from tests.hostile.strategies import CONTACT, CONTACT_NAME, ME, google_events, graph_events
from tests.hostile.test_mime import ACCOUNT_ROW
from worker.domain.sync_records import interpret
from worker.services.app import App
from worker.services.contacts import ContactBook, NewContact
from worker.services.tick import load_snapshot

MEETING_EVENTS = {"MeetingScheduled", "MeetingRescheduled", "MeetingCancelled", "MeetingDeclined"}
# Graph's reader needs only the mailbox's zone from its client.
_GRAPH = GraphEvents(SimpleNamespace(time_zone="Europe/London"), ME)  # type: ignore[arg-type]


def _events(shape: str) -> st.SearchStrategy[dict[str, Any]]:
    return google_events() if shape == "google" else graph_events()


def _read(shape: str, item: dict[str, Any]) -> CalendarEventSeen:
    if shape == "google":
        return google_seen(item, "Europe/London")
    return _GRAPH.seen(item)


def _check(seen: CalendarEventSeen, entries: list[Any]) -> None:
    kinds = {type(e.event).__name__ for e in entries}
    assert kinds <= MEETING_EVENTS, kinds
    if seen.all_day or CONTACT not in {a.lower() for a in seen.attendees}:
        assert entries == [], seen  # skipped: not a meeting with the contact
    for entry in entries:
        event = entry.event
        if type(event).__name__ in ("MeetingScheduled", "MeetingRescheduled"):
            # Aware, and times the log can hold in UTC (see events.codec).
            assert event.start.astimezone(UTC) <= datetime.max.replace(tzinfo=UTC)
            assert event.end.astimezone(UTC) <= datetime.max.replace(tzinfo=UTC)


@pytest.fixture
def app_with_ada(app: App) -> App:
    ContactBook(app).add(NewContact(name=CONTACT_NAME, emails=[CONTACT]))
    return app


@pytest.mark.parametrize("shape", ["google", "graph"])
@fuzz(max_examples=250)
@given(data=st.data())
def test_any_event_is_read_then_recorded_or_skipped(
    shape: str, data: st.DataObject, app_with_ada: App
) -> None:
    tried(f"calendar.{shape}")
    seen = _read(shape, data.draw(_events(shape)))
    entries = interpret(SyncBatch(events=[seen]), load_snapshot(app_with_ada), ACCOUNT_ROW)
    _check(seen, entries)


@pytest.mark.parametrize("shape", ["google", "graph"])
@fuzz(max_examples=30)
@given(data=st.data())
def test_recorded_meetings_keep_the_views_readable_on_each_backend(
    shape: str, data: st.DataObject, app_with_ada: App
) -> None:
    tried(f"calendar.{shape}.journaled")
    seen = _read(shape, data.draw(_events(shape)))
    entries = interpret(SyncBatch(events=[seen]), load_snapshot(app_with_ada), ACCOUNT_ROW)
    _check(seen, entries)
    app_with_ada.journal.record_all(entries)
    app_with_ada.projector.catch_up()
    for row in app_with_ada.projector.rows(MeetingRow):
        assert row.contact_id


@pytest.mark.parametrize(
    ("shape", "item"),
    [
        # Found by the fuzz: each of these raised out of the reader and failed the sync.
        ("google", {"id": "e1", "start": {"dateTime": "2026-02-30T10:00:00Z"}}),
        ("google", {"id": "e2", "attendees": None, "organizer": None}),
        ("google", {"id": "e3", "start": {"dateTime": "9999-12-31T23:59:59-12:00"}}),
        ("graph", {"id": "e4", "end": {"dateTime": "2026-02-30T10:00:00Z"}}),
        ("graph", {"id": "e5", "start": {"dateTime": "9999-12-31T23:59:59-12:00"}}),
        (
            "graph",
            {
                "id": "e6",
                "start": {"dateTime": "9999-12-31T23:59:59", "timeZone": "UTC"},
                "originalStartTimeZone": "Pacific/Kiritimati",
            },
        ),
    ],
)
def test_events_the_fuzz_found_are_skipped(shape: str, item: dict[str, Any]) -> None:
    tried(f"calendar.{shape}")
    seen = _read(shape, item)
    assert seen.start is None or seen.end is None

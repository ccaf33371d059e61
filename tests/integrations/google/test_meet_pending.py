"""A Meet made after the insert answered: Google Calendar may answer a conference request
"pending" ("the conference create request is still being processed"); the adapter says a
link is coming, and the incremental sync that follows the event's change carries it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from integrations.protocol import EventRequest
from tests.integrations.contract import CONTACT, sync_all

from .conftest import GoogleEnv


def _video_call(env: GoogleEnv) -> EventRequest:
    """A video call three days ahead (no place: the call's link is where)."""
    start, zone = env.now + timedelta(days=3), "Europe/London"
    end = start + timedelta(minutes=30)
    call = EventRequest("Video call", start, end, zone, [CONTACT], video_call=True)
    return replace(call, request_id="meeting-video")


def test_a_pending_meet_is_reported_coming_and_its_link_synced_later(env: GoogleEnv) -> None:
    env.sandbox.google.plan_conferences(pending_for=timedelta(minutes=1))
    created = env.provider.create_event(_video_call(env))
    assert (created.link, created.link_pending) == ("", True)
    assert env.provider.create_event(_video_call(env)) == created  # a retry reads the same
    first = sync_all(env.provider, {}, {CONTACT})
    [seen] = first.events
    assert (seen.link, seen.link_pending) == ("", True)

    env.sandbox.clock.advance(timedelta(minutes=2))
    env.sandbox.accounting.reset()
    later = env.provider.sync(first.cursors, {CONTACT})
    assert env.requests() == 2  # the link costs no request of its own
    [made] = later.events
    assert made.link.startswith("https://meet.google.com/")
    assert not made.link_pending


def test_a_failed_meet_is_no_link_and_none_to_come(env: GoogleEnv) -> None:
    env.sandbox.google.plan_conferences(outcome="failure", pending_for=timedelta(minutes=1))
    created = env.provider.create_event(_video_call(env))
    assert created.link_pending
    first = sync_all(env.provider, {}, {CONTACT})
    env.sandbox.clock.advance(timedelta(minutes=2))
    [failed] = env.provider.sync(first.cursors, {CONTACT}).events
    assert (failed.link, failed.link_pending) == ("", False)

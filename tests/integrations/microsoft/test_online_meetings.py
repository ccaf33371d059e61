"""A video call on Outlook: the event is made an online meeting with the provider the
user's calendar allows (Teams by default), so the invitation carries its join link; a
calendar without online meetings still gets the event, without a link and without error."""

from __future__ import annotations

from dataclasses import replace

import pytest

from integrations.protocol import EventRequest
from tests.integrations.contract import CONTACT

from .conftest import OutlookEnv
from .test_sync import _request


def _video_call(env: OutlookEnv, request_id: str = "call-1") -> EventRequest:
    return replace(_request(env), location="", request_id=request_id, video_call=True)


def _held(env: OutlookEnv, event_id: str) -> dict[str, object]:
    [event] = [e for e in env.emulator.state()["events"] if e["id"] == event_id]
    return event


@pytest.mark.parametrize(
    ("allowed", "default", "made_with", "link"),
    [
        (["teamsForBusiness"], "teamsForBusiness", "teamsForBusiness", "https://teams."),
        (
            ["teamsForBusiness", "skypeForBusiness"],
            "skypeForBusiness",
            "skypeForBusiness",
            "https://meet.lync.com/",
        ),
        (["unknown", "teamsForBusiness"], "unknown", "teamsForBusiness", "https://teams."),
    ],
)
def test_a_video_call_is_made_with_the_calendars_provider_and_has_its_link_at_once(
    env: OutlookEnv, allowed: list[str], default: str, made_with: str, link: str
) -> None:
    env.emulator.set_online_meeting_providers(allowed, default)
    env.sandbox.accounting.reset()
    created = env.provider.create_event(_video_call(env))
    assert created.link.startswith(link)
    held = _held(env, created.provider_event_id)
    assert (held["onlineMeetingProvider"], held["joinUrl"]) == (made_with, created.link)
    # The calendar is asked once, for this create only.
    assert env.graph_requests("graph.calendar.get") == 1
    assert env.graph_requests("graph.events.create") == 1


def test_a_calendar_without_online_meetings_gets_the_event_without_a_link(
    env: OutlookEnv,
) -> None:
    """A personal account without Teams: the invitation still goes out; no call link is
    made up, so the meeting has no place yet and the worker asks the contact where."""
    env.emulator.set_online_meeting_providers(["unknown"])
    created = env.provider.create_event(_video_call(env))
    assert created.link == ""
    assert created.calendar_link.startswith("https://")
    held = _held(env, created.provider_event_id)
    assert (held["onlineMeetingProvider"], held["joinUrl"]) == ("unknown", "")
    assert [(i["to"], i["event_id"]) for i in env.contact.invitations()] == [
        (CONTACT, created.provider_event_id)
    ]
    assert env.provider.create_event(_video_call(env)) == created  # a retry, same event


def test_an_event_in_person_does_not_ask_the_calendar(env: OutlookEnv) -> None:
    env.sandbox.accounting.reset()
    in_person = replace(_video_call(env, "in-person"), location="Café Central", video_call=False)
    assert env.provider.create_event(in_person).link == ""
    assert env.graph_requests("graph.calendar.get") == 0

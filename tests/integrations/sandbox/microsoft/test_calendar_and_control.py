"""Events through Graph, contact responses, and the /microsoft control routes through the
shared Sandbox."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from integrations.sandbox import Sandbox
from integrations.sandbox.microsoft import MicrosoftEmulator

from .conftest import GraphClient, assert_graph_error

EVENT = {
    "subject": "Informational interview",
    "start": {"dateTime": "2026-03-10T10:00:00", "timeZone": "W. Europe Standard Time"},
    "end": {"dateTime": "2026-03-10T10:30:00", "timeZone": "W. Europe Standard Time"},
    "attendees": [
        {"emailAddress": {"address": "jo@example.org", "name": "Jo"}, "type": "required"}
    ],
    "transactionId": "outreach-meeting-1",
}


def test_event_create_is_idempotent_by_transaction_id(
    graph: GraphClient, emulator: MicrosoftEmulator
) -> None:
    first = graph.post("/me/events", json=EVENT)
    again = graph.post("/me/events", json=EVENT)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["start"] == {"dateTime": "2026-03-10T09:00:00.0000000", "timeZone": "UTC"}
    assert first.json()["originalStartTimeZone"] == "W. Europe Standard Time"
    assert len(emulator.state()["events"]) == 1


def test_event_get_patch_delete(graph: GraphClient) -> None:
    event = graph.post("/me/events", json=EVENT).json()
    tokyo = graph.get(
        f"/me/events/{event['id']}", headers={"Prefer": 'outlook.timezone="Asia/Tokyo"'}
    ).json()
    assert tokyo["start"] == {"dateTime": "2026-03-10T18:00:00.0000000", "timeZone": "Asia/Tokyo"}
    moved = graph.patch(
        f"/me/events/{event['id']}",
        json={
            "start": {"dateTime": "2026-03-11T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-03-11T09:30:00", "timeZone": "UTC"},
        },
    )
    assert moved.json()["start"]["dateTime"] == "2026-03-11T09:00:00.0000000"
    assert_graph_error(
        graph.patch(
            f"/me/events/{event['id']}",
            json={"start": {"dateTime": "2026-03-11T09:00:00", "timeZone": "Nowhere/City"}},
        ),
        400,
        "TimeZoneNotSupportedException",
    )
    assert graph.delete(f"/me/events/{event['id']}").status_code == 204
    assert_graph_error(graph.get(f"/me/events/{event['id']}"), 404)


def test_contact_accepts_and_declines(graph: GraphClient, emulator: MicrosoftEmulator) -> None:
    event = graph.post("/me/events", json=EVENT).json()
    emulator.respond(event["id"], "jo@example.org", "accepted")
    status = graph.get(f"/me/events/{event['id']}").json()["attendees"][0]["status"]
    assert status["response"] == "accepted"
    emulator.respond(event["id"], "jo@example.org", "declined")
    assert emulator.state()["events"][0]["attendees"][0]["response"] == "declined"
    inbox = graph.get("/me/mailFolders/inbox/messages").json()["value"]
    assert {m["subject"] for m in inbox} == {
        "Accepted: Informational interview",
        "Declined: Informational interview",
    }


def _control(sandbox: Sandbox, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(
        method, sandbox.endpoints()["control"] + "microsoft" + path, json=body, timeout=10
    )


def test_control_routes_through_the_sandbox() -> None:
    with Sandbox(seed=1, start=datetime(2026, 3, 2, 9, tzinfo=UTC)) as sandbox:
        endpoints = sandbox.endpoints()
        assert endpoints["graph"].endswith("/v1.0")
        assert endpoints["microsoft_authority"].startswith("https://127.0.0.1:")
        assert set(endpoints["microsoft"]) == {
            "email",
            "client_id",
            "refresh_token",
            "access_token",
            "ca_cert",
        }
        # A client in another process trusts the identity server through this file.
        assert Path(endpoints["microsoft"]["ca_cert"]).is_file()
        graph = GraphClient(endpoints["graph"], endpoints["microsoft"]["access_token"])
        started = time.perf_counter()
        seeded = _control(sandbox, "POST", "/seed", {"count": 10_000})
        assert seeded.status_code == 201
        assert time.perf_counter() - started < 10
        draft = graph.draft()
        sent = _control(sandbox, "POST", f"/drafts/{draft['id']}/send").json()
        assert sent["internetMessageId"] == draft["internetMessageId"]
        reply = _control(
            sandbox, "POST", "/messages/reply", {"in_reply_to": draft["internetMessageId"]}
        )
        assert reply.json()["conversationId"] == draft["conversationId"]
        second = graph.draft(subject="To delete")
        assert _control(sandbox, "DELETE", f"/drafts/{second['id']}").status_code == 200
        invite = _control(
            sandbox,
            "POST",
            "/events/invite",
            {
                "from": "kim@example.org",
                "subject": "Chat",
                "start": "2026-03-04T15:00:00",
                "end": "2026-03-04T15:30:00",
                "time_zone": "Europe/Paris",
            },
        ).json()
        assert _control(sandbox, "POST", f"/events/{invite['id']}/cancel").status_code == 200
        assert _control(sandbox, "POST", "/settings", {"sent_copy_delay_s": 5}).status_code == 200
        state = _control(sandbox, "GET", "/state").json()
        assert state["folders"]["inbox"] == 10_003  # + reply, invitation, cancellation
        assert [s["via"] for s in state["sent"]] == ["outlook"]
        assert state["drafts"] == []
        assert state["events"][0]["isCancelled"] is True
        assert _control(sandbox, "POST", "/delta/expire").status_code == 200
        assert _control(sandbox, "POST", "/revoke", {}).json()["revoked"] >= 1
        assert _control(sandbox, "POST", "/device/approve", {}).status_code == 404
        assert (
            _control(sandbox, "POST", "/messages/reply", {"in_reply_to": "<x@y>"}).status_code
            == 404
        )
        assert _control(sandbox, "POST", "/seed", {"count": "many"}).status_code == 400
        assert _control(sandbox, "GET", "/nothing").status_code == 404
        bad = requests.post(
            sandbox.endpoints()["control"] + "microsoft/seed", data=b"{", timeout=10
        )
        assert bad.status_code == 400


ONLINE_SELECT = {"$select": "defaultOnlineMeetingProvider,allowedOnlineMeetingProviders"}


def test_the_calendar_says_which_online_meeting_providers_it_allows(
    graph: GraphClient, emulator: MicrosoftEmulator
) -> None:
    whole = graph.get("/me/calendar").json()
    assert whole["allowedOnlineMeetingProviders"] == ["teamsForBusiness"]
    assert whole["defaultOnlineMeetingProvider"] == "teamsForBusiness"
    assert whole["owner"]["address"] == emulator.email
    chosen = graph.get("/me/calendar", params=ONLINE_SELECT).json()
    assert set(chosen) - {"@odata.context"} == {
        "id",
        "defaultOnlineMeetingProvider",
        "allowedOnlineMeetingProviders",
    }
    emulator.set_online_meeting_providers(["unknown"])
    personal = graph.get("/me/calendar", params=ONLINE_SELECT).json()
    assert personal["allowedOnlineMeetingProviders"] == ["unknown"]
    assert personal["defaultOnlineMeetingProvider"] == "unknown"
    assert_graph_error(graph.get("/me/calendar", params={"$select": "nope"}), 400)


def test_only_an_allowed_provider_makes_an_event_an_online_meeting(
    graph: GraphClient, emulator: MicrosoftEmulator
) -> None:
    """isOnlineMeeting alone leaves onlineMeeting null; with onlineMeetingProvider set to a
    provider the calendar allows, the event carries its join link from the start."""
    alone = graph.post("/me/events", json={**EVENT, "isOnlineMeeting": True}).json()
    assert (alone["onlineMeeting"], alone["onlineMeetingProvider"]) == (None, "unknown")
    assert alone["isOnlineMeeting"] is False
    teams = {"isOnlineMeeting": True, "onlineMeetingProvider": "teamsForBusiness"}
    online = graph.post("/me/events", json={**EVENT, "transactionId": "t-2", **teams}).json()
    assert online["onlineMeeting"]["joinUrl"].startswith("https://teams.microsoft.com/")
    assert (online["isOnlineMeeting"], online["onlineMeetingProvider"]) == (
        True,
        "teamsForBusiness",
    )
    # Later changes do not take the meeting offline.
    kept = graph.patch(f"/me/events/{online['id']}", json={"isOnlineMeeting": False}).json()
    assert kept["onlineMeeting"] == online["onlineMeeting"]
    skype = {"isOnlineMeeting": True, "onlineMeetingProvider": "skypeForConsumer"}
    refused = graph.post("/me/events", json={**EVENT, "transactionId": "t-3", **skype})
    assert refused.status_code == 201  # created, but not online: the calendar lacks Skype
    assert refused.json()["onlineMeeting"] is None
    emulator.set_online_meeting_providers(["unknown"])
    none = graph.post("/me/events", json={**EVENT, "transactionId": "t-4", **teams}).json()
    assert (none["onlineMeeting"], none["onlineMeetingProvider"]) == (None, "unknown")
    assert_graph_error(
        graph.post(
            "/me/events", json={**EVENT, "transactionId": "t-5", "onlineMeetingProvider": "zoom"}
        ),
        400,
        "RequestBodyRead",
    )


def test_control_sets_the_calendars_online_meeting_providers() -> None:
    with Sandbox(seed=1, start=datetime(2026, 3, 2, 9, tzinfo=UTC)) as sandbox:
        endpoints = sandbox.endpoints()
        graph = GraphClient(endpoints["graph"], endpoints["microsoft"]["access_token"])
        none = _control(sandbox, "POST", "/settings", {"online_meeting_providers": ["unknown"]})
        assert none.json()["default_online_meeting_provider"] == "unknown"
        calendar = graph.get("/me/calendar", params=ONLINE_SELECT).json()
        assert calendar["allowedOnlineMeetingProviders"] == ["unknown"]
        bad = {"online_meeting_providers": ["zoom"]}
        assert _control(sandbox, "POST", "/settings", bad).status_code == 400
        stray = {
            "online_meeting_providers": ["teamsForBusiness"],
            "default_online_meeting_provider": "skypeForConsumer",
        }
        assert _control(sandbox, "POST", "/settings", stray).status_code == 400
        assert graph.get("/me/calendar").json()["defaultOnlineMeetingProvider"] == "unknown"

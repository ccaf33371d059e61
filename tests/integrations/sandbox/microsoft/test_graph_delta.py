"""messages/delta and calendarView/delta: paging, @removed, replays, expired tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.sandbox import FaultPlan, SimClock
from integrations.sandbox.microsoft import MicrosoftEmulator

from .conftest import GraphClient, assert_graph_error

PAGE3 = {"Prefer": 'IdType="ImmutableId", odata.maxpagesize=3'}


def _drain(
    graph: GraphClient, url: str, headers: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], str, int]:
    """Follow nextLinks to the deltaLink: (items, deltaLink, pages)."""
    items: list[dict[str, Any]] = []
    pages = 0
    while True:
        response = graph.get(url, headers=headers or {})
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["value"])
        pages += 1
        if "@odata.deltaLink" in body:
            return items, body["@odata.deltaLink"], pages
        url = body["@odata.nextLink"]


def test_initial_sync_pages_then_reports_changes(
    graph: GraphClient, emulator: MicrosoftEmulator
) -> None:
    emulator.seed(7)
    first = graph.get("/me/mailFolders/inbox/messages/delta", headers=PAGE3)
    assert first.headers["Preference-Applied"].startswith("odata.maxpagesize=3")
    items, delta_link, pages = _drain(graph, "/me/mailFolders/inbox/messages/delta", PAGE3)
    assert (len(items), pages) == (7, 3)
    assert all(i["@odata.type"] == "#microsoft.graph.message" for i in items)
    nothing, delta_link, _ = _drain(graph, delta_link, PAGE3)
    assert nothing == []
    new = emulator.deliver("fred@example.org", "New", "Hello")
    graph.delete(f"/me/messages/{items[0]['id']}")
    changes, delta_link, _ = _drain(graph, delta_link, PAGE3)
    by_id = {c["id"]: c for c in changes}
    assert by_id[new["id"]]["subject"] == "New"
    assert by_id[items[0]["id"]]["@removed"] == {"reason": "deleted"}


def test_select_is_carried_by_the_token(graph: GraphClient, emulator: MicrosoftEmulator) -> None:
    emulator.seed(5)
    items, _, _ = _drain(
        graph, "/me/mailFolders/inbox/messages/delta?$select=subject,receivedDateTime", PAGE3
    )
    assert {frozenset(i) for i in items} == {
        frozenset({"@odata.type", "@odata.etag", "id", "subject", "receivedDateTime"})
    }


def test_filter_on_received_date(
    graph: GraphClient, emulator: MicrosoftEmulator, clock: SimClock
) -> None:
    emulator.seed(10)  # one minute apart, ending now
    since = (clock.now() - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    items, _, _ = _drain(
        graph, f"/me/mailFolders/inbox/messages/delta?$filter=receivedDateTime ge {since}"
    )
    assert len(items) == 3
    assert_graph_error(
        graph.get("/me/mailFolders/inbox/messages/delta?$filter=subject eq 'x'"), 400
    )


def test_replay_repeats_the_previous_round(graph: GraphClient, emulator: MicrosoftEmulator) -> None:
    _, delta_link, _ = _drain(graph, "/me/mailFolders/inbox/messages/delta")
    emulator.deliver("gina@example.org", "One", "1")
    first, delta_link, _ = _drain(graph, delta_link)
    emulator.replay_next_delta("inbox")
    again, _, _ = _drain(graph, delta_link)
    assert [i["id"] for i in again] == [i["id"] for i in first]


def test_expired_tokens_answer_410(
    graph: GraphClient, emulator: MicrosoftEmulator, faults: FaultPlan
) -> None:
    emulator.seed(4)
    first = graph.get("/me/mailFolders/inbox/messages/delta", headers=PAGE3).json()
    emulator.expire_delta_tokens()
    assert_graph_error(graph.get(first["@odata.nextLink"]), 410, "SyncStateNotFound")
    _, delta_link, _ = _drain(graph, "/me/mailFolders/inbox/messages/delta")
    faults.add("microsoft", "graph.messages.delta", "delta_expired", times=1)
    assert_graph_error(graph.get(delta_link), 410, "SyncStateNotFound")
    assert graph.get(delta_link).status_code == 200


def test_tokens_are_checked(graph: GraphClient, emulator: MicrosoftEmulator) -> None:
    _, delta_link, _ = _drain(graph, "/me/mailFolders/inbox/messages/delta")
    assert_graph_error(graph.get(delta_link + "&$select=subject"), 400)
    assert_graph_error(graph.get(delta_link[:-3] + "xyz"), 400)
    other = delta_link.replace("/inbox/", "/drafts/")
    assert_graph_error(graph.get(other), 400)
    assert_graph_error(graph.get("/me/mailFolders/nowhere/messages/delta"), 404)


def test_moving_out_of_a_folder_is_a_removal(
    graph: GraphClient, emulator: MicrosoftEmulator
) -> None:
    regular = GraphClient(graph.base, emulator.access_token, immutable=False)
    message = emulator.deliver("hal@example.org", "Move me", "x")
    items, delta_link, _ = _drain(regular, "/me/mailFolders/inbox/messages/delta")
    (seen,) = items
    regular.post(f"/me/messages/{seen['id']}/move", json={"destinationId": "archive"})
    (removed,) = _drain(regular, delta_link)[0]
    assert removed == {
        "@odata.type": "#microsoft.graph.message",
        "id": seen["id"],  # the id the client saw, though the message now has another
        "@removed": {"reason": "deleted"},
    }
    assert message["id"] != seen["id"]


def _event(graph: GraphClient, subject: str, start: datetime, **extra: Any) -> dict[str, Any]:
    body = {
        "subject": subject,
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "end": {
            "dateTime": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
            "timeZone": "UTC",
        },
        **extra,
    }
    response = graph.post("/me/events", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_calendar_delta_window_is_frozen(graph: GraphClient, emulator: MicrosoftEmulator) -> None:
    assert_graph_error(
        graph.get("/me/calendarView/delta?startDateTime=2026-03-01T00:00:00Z"),
        400,
        "ErrorInvalidParameter",
    )
    assert_graph_error(
        graph.get(
            "/me/calendarView/delta?startDateTime=2026-03-01T00:00:00Z"
            "&endDateTime=2026-04-01T00:00:00Z&$select=subject"
        ),
        400,
    )
    inside = _event(graph, "Inside", datetime(2026, 3, 10, 15, tzinfo=UTC))
    _event(graph, "Outside", datetime(2026, 5, 10, 15, tzinfo=UTC))
    url = (
        "/me/calendarView/delta?startDateTime=2026-03-01T00:00:00Z&endDateTime=2026-04-01T00:00:00Z"
    )
    tz = {"Prefer": 'outlook.timezone="Pacific Standard Time"'}
    items, delta_link, _ = _drain(graph, url, tz)
    assert [i["subject"] for i in items] == ["Inside"]
    assert items[0]["start"] == {
        "dateTime": "2026-03-10T08:00:00.0000000",
        "timeZone": "Pacific Standard Time",
    }
    later = _event(graph, "Later inside", datetime(2026, 3, 20, 9, tzinfo=UTC))
    _event(graph, "Later outside", datetime(2026, 6, 1, 9, tzinfo=UTC))
    graph.delete(f"/me/events/{inside['id']}")
    changes, delta_link, _ = _drain(graph, delta_link)
    by_id = {c["id"]: c for c in changes}
    assert by_id[later["id"]]["subject"] == "Later inside"
    assert by_id[inside["id"]]["@removed"] == {"reason": "deleted"}
    assert len(changes) == 2 or all(c["id"] in by_id for c in changes)
    assert_graph_error(graph.get(delta_link + "&startDateTime=2026-01-01T00:00:00Z"), 400)


def test_contact_invites_and_cancellations_reach_calendar_delta(
    graph: GraphClient, emulator: MicrosoftEmulator
) -> None:
    url = (
        "/me/calendarView/delta?startDateTime=2026-03-01T00:00:00Z&endDateTime=2026-04-01T00:00:00Z"
    )
    _, delta_link, _ = _drain(graph, url)
    invite = emulator.invite(
        "ivy@example.org",
        "Chat",
        datetime(2026, 3, 5, 16, tzinfo=UTC),
        datetime(2026, 3, 5, 16, 30, tzinfo=UTC),
    )
    (added,), delta_link, _ = _drain(graph, delta_link)
    assert added["isOrganizer"] is False
    assert added["organizer"]["emailAddress"]["address"] == "ivy@example.org"
    emulator.reschedule(
        invite["id"], datetime(2026, 3, 6, 16, tzinfo=UTC), datetime(2026, 3, 6, 17, tzinfo=UTC)
    )
    (moved,), delta_link, _ = _drain(graph, delta_link)
    assert moved["start"]["dateTime"].startswith("2026-03-06T16:00")
    emulator.cancel_event(invite["id"])
    (cancelled,), _, _ = _drain(graph, delta_link)
    assert cancelled["isCancelled"] is True

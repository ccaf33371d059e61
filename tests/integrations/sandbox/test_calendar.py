"""Calendar v3 through the real googleapiclient: insert/patch/delete, list, sync, recurrence."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from googleapiclient.errors import HttpError

from integrations.sandbox import Sandbox
from integrations.sandbox.google.errors import GoogleError

from .conftest import CONTACT, START
from .test_gmail import reason

BERLIN = ZoneInfo("Europe/Berlin")


def meeting(**extra: Any) -> dict[str, Any]:
    return {
        "summary": "Informational interview",
        "start": {"dateTime": "2026-03-05T10:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-03-05T10:30:00", "timeZone": "Europe/Berlin"},
        "attendees": [{"email": CONTACT}],
        **extra,
    }


def full_sync(calendar: Any, **params: Any) -> tuple[list[dict[str, Any]], str]:
    items, token = [], None
    while True:
        page = calendar.events().list(calendarId="primary", pageToken=token, **params).execute()
        items += page["items"]
        token = page.get("nextPageToken")
        if not token:
            return items, page["nextSyncToken"]


def test_insert_with_invites_and_meet_link(calendar: Any, sandbox: Sandbox) -> None:
    event = (
        calendar.events()
        .insert(
            calendarId="primary",
            body=meeting(conferenceData={"createRequest": {"requestId": "r1"}}),
            sendUpdates="all",
            conferenceDataVersion=1,
        )
        .execute()
    )
    assert event["attendees"][0]["responseStatus"] == "needsAction"
    assert event["hangoutLink"].startswith("https://meet.google.com/")
    assert event["organizer"]["self"] is True
    invites = sandbox.google.calendar_state()["invitations"]
    assert [(i["to"], i["action"]) for i in invites] == [(CONTACT, "invite")]
    got = calendar.events().get(calendarId="primary", eventId=event["id"]).execute()
    assert datetime.fromisoformat(got["start"]["dateTime"]) == datetime(
        2026, 3, 5, 10, tzinfo=BERLIN
    )
    with pytest.raises(HttpError) as dup:
        calendar.events().insert(calendarId="primary", body=meeting(id=event["id"])).execute()
    assert dup.value.resp.status == 409
    assert reason(dup.value) == "duplicate"


def test_bad_event_bodies(calendar: Any) -> None:
    with pytest.raises(HttpError) as missing:
        calendar.events().insert(calendarId="primary", body={"summary": "x"}).execute()
    assert missing.value.resp.status == 400
    backwards = meeting(end={"dateTime": "2026-03-05T09:00:00+01:00"})
    with pytest.raises(HttpError) as empty:
        calendar.events().insert(calendarId="primary", body=backwards).execute()
    assert reason(empty.value) == "timeRangeEmpty"


def test_sync_tokens_see_changes_and_tombstones(calendar: Any, sandbox: Sandbox) -> None:
    for _ in range(3):
        calendar.events().insert(calendarId="primary", body=meeting()).execute()
    items, token = full_sync(calendar, maxResults=2)
    assert len(items) == 3
    first = items[0]["id"]
    calendar.events().patch(
        calendarId="primary", eventId=first, body={"summary": "Moved"}, sendUpdates="none"
    ).execute()
    calendar.events().delete(calendarId="primary", eventId=items[1]["id"]).execute()
    changed, token2 = full_sync(calendar, syncToken=token)
    assert {c["id"]: c.get("status") for c in changed} == {
        first: "confirmed",
        items[1]["id"]: "cancelled",
    }
    assert set(changed[1]) <= {"kind", "etag", "id", "status"}
    assert full_sync(calendar, syncToken=token2)[0] == []
    with pytest.raises(HttpError) as forbidden:
        calendar.events().list(
            calendarId="primary", syncToken=token2, timeMin="2026-01-01T00:00:00Z"
        ).execute()
    assert forbidden.value.resp.status == 400
    sandbox.google.expire_sync_tokens()
    with pytest.raises(HttpError) as gone:
        calendar.events().list(calendarId="primary", syncToken=token2).execute()
    assert gone.value.resp.status == 410
    assert reason(gone.value) == "fullSyncRequired"


def test_single_events_expand_weekly_rule(calendar: Any) -> None:
    calendar.events().insert(
        calendarId="primary",
        body=meeting(recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"]),
    ).execute()
    calendar.events().insert(
        calendarId="primary",
        body={"summary": "Day off", "start": {"date": "2026-03-06"}, "end": {"date": "2026-03-07"}},
    ).execute()
    masters = calendar.events().list(calendarId="primary").execute()["items"]
    assert len(masters) == 2
    expanded = (
        calendar.events()
        .list(
            calendarId="primary",
            singleEvents=True,
            orderBy="startTime",
            timeMin="2026-03-01T00:00:00Z",
            timeMax="2026-03-20T00:00:00Z",
        )
        .execute()["items"]
    )
    assert [i.get("start", {}).get("date") or i["start"]["dateTime"][:10] for i in expanded] == [
        "2026-03-05",
        "2026-03-06",
        "2026-03-12",
        "2026-03-19",
    ]
    instance = expanded[2]
    assert instance["recurringEventId"] == masters[0]["id"]
    assert instance["originalStartTime"]["timeZone"] == "Europe/Berlin"
    with pytest.raises(HttpError) as unordered:
        calendar.events().list(calendarId="primary", orderBy="startTime").execute()
    assert unordered.value.resp.status == 400


def test_contact_side_invite_response_move_cancel(calendar: Any, sandbox: Sandbox) -> None:
    google = sandbox.google
    mine = calendar.events().insert(calendarId="primary", body=meeting()).execute()
    google.respond_to_event(mine["id"], attendee=CONTACT, response="accepted")
    got = calendar.events().get(calendarId="primary", eventId=mine["id"]).execute()
    assert got["attendees"][0]["responseStatus"] == "accepted"
    invite = google.send_invite(
        organizer=CONTACT,
        summary="Call",
        start=START + timedelta(days=2),
        end=START + timedelta(days=2, hours=1),
    )
    theirs = calendar.events().get(calendarId="primary", eventId=invite["id"]).execute()
    assert theirs["organizer"] == {"email": CONTACT}
    assert [a["responseStatus"] for a in theirs["attendees"] if a.get("self")] == ["needsAction"]
    google.move_event(
        invite["id"], start=START + timedelta(days=3), end=START + timedelta(days=3, hours=1)
    )
    moved = calendar.events().get(calendarId="primary", eventId=invite["id"]).execute()
    assert moved["sequence"] == 1
    google.cancel_event(invite["id"])
    assert (
        calendar.events().get(calendarId="primary", eventId=invite["id"]).execute()["status"]
        == "cancelled"
    )
    listed = calendar.events().list(calendarId="primary").execute()["items"]
    assert [i["id"] for i in listed] == [mine["id"]]


def _insert_with_meet(calendar: Any, request_id: str) -> dict[str, Any]:
    body = meeting(conferenceData={"createRequest": {"requestId": request_id}})
    found: dict[str, Any] = (
        calendar.events()
        .insert(calendarId="primary", body=body, sendUpdates="all", conferenceDataVersion=1)
        .execute()
    )
    return found


def test_a_meet_made_later_reaches_a_sync_token_list(calendar: Any, sandbox: Sandbox) -> None:
    """Google may answer the insert with the conference "pending": no link, no entry
    points; once made, the event changes (etag, updated) and an incremental sync sees it."""
    sandbox.google.plan_conferences(pending_for=timedelta(seconds=30))
    event = _insert_with_meet(calendar, "r1")
    assert event["conferenceData"]["createRequest"]["status"] == {"statusCode": "pending"}
    assert "hangoutLink" not in event
    assert "entryPoints" not in event["conferenceData"]
    _, token = full_sync(calendar)
    assert full_sync(calendar, syncToken=token)[0] == []  # still being made
    sandbox.clock.advance(timedelta(seconds=31))
    [made], _ = full_sync(calendar, syncToken=token)
    assert made["conferenceData"]["createRequest"]["status"] == {"statusCode": "success"}
    assert made["hangoutLink"].startswith("https://meet.google.com/")
    [point] = made["conferenceData"]["entryPoints"]
    assert point["uri"] == made["hangoutLink"]
    assert made["etag"] != event["etag"]
    assert made["updated"] > event["updated"]


def test_a_failed_meet_has_no_link_and_a_held_one_waits_for_the_story(
    calendar: Any, sandbox: Sandbox
) -> None:
    google = sandbox.google
    google.plan_conferences(outcome="failure", pending_for=timedelta(seconds=5))
    failing = _insert_with_meet(calendar, "r1")
    google.plan_conferences(pending_for=None)
    held = _insert_with_meet(calendar, "r2")
    sandbox.clock.advance(timedelta(days=1))
    failed = calendar.events().get(calendarId="primary", eventId=failing["id"]).execute()
    assert failed["conferenceData"] == {
        "createRequest": {"requestId": "r1", "status": {"statusCode": "failure"}}
    }
    assert "hangoutLink" not in failed
    waiting = calendar.events().get(calendarId="primary", eventId=held["id"]).execute()
    assert waiting["conferenceData"]["createRequest"]["status"] == {"statusCode": "pending"}
    google.finish_conference(held["id"])
    made = calendar.events().get(calendarId="primary", eventId=held["id"]).execute()
    assert made["hangoutLink"].startswith("https://meet.google.com/")
    with pytest.raises(GoogleError):
        google.finish_conference(held["id"])  # nothing left being made

"""The /google control routes: the contact side of a story, seen through the real client."""

from __future__ import annotations

import base64
from typing import Any

import requests

from .conftest import CONTACT, raw_message


def post(endpoints: dict[str, Any], route: str, body: dict[str, Any] | None = None) -> Any:
    answer = requests.post(endpoints["control"] + "google/" + route, json=body or {}, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_replies_auto_replies_and_bounces(gmail: Any, endpoints: dict[str, Any]) -> None:
    sent = gmail.users().messages().send(userId="me", body={"raw": raw_message()}).execute()
    reply = post(endpoints, "mail/reply", {"to_message": sent["id"], "body": "Happy to!"})
    ooo = post(
        endpoints, "mail/auto-reply", {"to_message": sent["id"], "return_date": "2026-03-16"}
    )
    bounce = post(endpoints, "mail/bounce", {"to_message": sent["id"]})
    assert reply["threadId"] == ooo["threadId"] == bounce["threadId"] == sent["threadId"]
    got = gmail.users().messages().get(userId="me", id=ooo["id"], format="full").execute()
    headers = {h["name"]: h["value"] for h in got["payload"]["headers"]}
    assert headers["Auto-Submitted"] == "auto-replied"
    assert headers["X-Autoreply"] == "yes"
    assert "2026-03-16" in base64.urlsafe_b64decode(got["payload"]["body"]["data"]).decode()
    dsn = gmail.users().messages().get(userId="me", id=bounce["id"]).execute()
    assert dsn["payload"]["mimeType"] == "multipart/report"
    found = gmail.users().messages().list(userId="me", q=f"from:{CONTACT}").execute()
    assert {m["id"] for m in found["messages"]} == {reply["id"], ooo["id"]}


def test_user_actions_seed_state_and_revoke(gmail: Any, endpoints: dict[str, Any]) -> None:
    drafts = gmail.users().drafts()
    one = drafts.create(userId="me", body={"message": {"raw": raw_message()}}).execute()
    two = drafts.create(userId="me", body={"message": {"raw": raw_message()}}).execute()
    post(endpoints, f"drafts/{one['id']}/send")
    deleted = requests.delete(endpoints["control"] + f"google/drafts/{two['id']}", timeout=5)
    assert deleted.status_code == 200
    assert drafts.list(userId="me").execute() == {"resultSizeEstimate": 0}
    assert post(endpoints, "mail/seed", {"count": 50}) == {"seeded": 50}
    state = requests.get(endpoints["control"] + "google/state", timeout=5).json()
    assert len(state["mail"]["sent"]) == 1 + 13
    assert state["mail"]["sent"][0]["headers"]["To"] == CONTACT
    missing = requests.post(endpoints["control"] + "google/mail/reply", json={}, timeout=5)
    assert missing.status_code == 400
    post(endpoints, "grant/revoke")
    state_after = requests.get(endpoints["control"] + "google/state", timeout=5)
    assert state_after.ok


def test_meet_requests_pending_then_finished(calendar: Any, endpoints: dict[str, Any]) -> None:
    assert post(endpoints, "calendar/conferences", {"held": True}) == {"planned": True}
    body = {
        "summary": "Call",
        "start": {"dateTime": "2026-03-05T10:00:00Z"},
        "end": {"dateTime": "2026-03-05T10:30:00Z"},
        "attendees": [{"email": CONTACT}],
        "conferenceData": {"createRequest": {"requestId": "r1"}},
    }
    event = (
        calendar.events().insert(calendarId="primary", body=body, conferenceDataVersion=1).execute()
    )
    assert event["conferenceData"]["createRequest"]["status"] == {"statusCode": "pending"}
    made = post(endpoints, f"calendar/events/{event['id']}/conference", {"outcome": "success"})
    assert made["hangoutLink"].startswith("https://meet.google.com/")
    refused = requests.post(
        endpoints["control"] + "google/calendar/conferences",
        json={"pending_seconds": -1},
        timeout=5,
    )
    assert refused.status_code == 400

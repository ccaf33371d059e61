"""Faults, auth and validation as the real Google clients see them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httplib2
import pytest
import requests
from google.auth.exceptions import RefreshError
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from integrations.sandbox import Sandbox

from .conftest import credentials, gmail_batch, raw_message, service
from .test_gmail import reason


def no_sleep(request: Any) -> Any:
    request._sleep = lambda seconds: None  # the library's backoff sleeps real seconds
    return request


def test_execute_with_retries_recovers_from_503(gmail: Any, sandbox: Sandbox) -> None:
    sandbox.faults.add("google", "gmail.users.messages.list", "unavailable", times=2)
    listed = no_sleep(gmail.users().messages().list(userId="me")).execute(num_retries=3)
    assert listed == {"resultSizeEstimate": 0}
    assert sandbox.accounting.total(method="gmail.users.messages.list") == 3


@pytest.mark.parametrize(
    ("kind", "status", "why"),
    [
        ("rate_limit", 429, "rateLimitExceeded"),
        ("rate_limit_403", 403, "userRateLimitExceeded"),
        ("server_error", 500, "backendError"),
        ("history_expired", 404, "notFound"),
    ],
)
def test_fault_answers(gmail: Any, sandbox: Sandbox, kind: str, status: int, why: str) -> None:
    start = gmail.users().getProfile(userId="me").execute()["historyId"]
    sandbox.faults.add("google", "gmail.users.history.list", kind, times=1, retry_after=7)
    with pytest.raises(HttpError) as failed:
        gmail.users().history().list(userId="me", startHistoryId=start).execute()
    assert failed.value.resp.status == status
    assert reason(failed.value) == why
    if kind == "rate_limit":
        assert failed.value.resp["retry-after"] == "7"
    if kind.startswith("rate_limit"):
        # Beside the classic reason, the newer ErrorInfo (what the library reports first).
        assert failed.value.error_details[0]["reason"] == "RATE_LIMIT_EXCEEDED"


def test_batch_part_429_inside_a_200(
    gmail: Any, endpoints: dict[str, Any], sandbox: Sandbox
) -> None:
    sent = gmail.users().messages().send(userId="me", body={"raw": raw_message()}).execute()
    sandbox.faults.add("google", "gmail.users.messages.get", "batch_part_429", times=1)
    outcomes: list[Any] = []
    batch = gmail_batch(endpoints)
    for _ in range(2):
        batch.add(
            gmail.users().messages().get(userId="me", id=sent["id"]),
            callback=lambda _id, resp, exc: outcomes.append(exc or resp),
        )
    batch.execute()
    assert isinstance(outcomes[0], HttpError)
    assert outcomes[0].resp.status == 429
    assert outcomes[1]["id"] == sent["id"]


def test_dropped_connection_then_service_continues(gmail: Any, sandbox: Sandbox) -> None:
    # httplib2 silently retries a dropped connection once; two drops reach the caller.
    sandbox.faults.add("google", "gmail.users.getProfile", "drop", times=2)
    with pytest.raises(Exception):  # noqa: B017,PT011 - httplib2 raises transport errors of several types
        gmail.users().getProfile(userId="me").execute()
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"]


def test_expired_access_token_refreshes_then_revocation_is_final(
    endpoints: dict[str, Any], sandbox: Sandbox
) -> None:
    creds = credentials(endpoints, token=endpoints["google"]["access_token"])
    client = service("gmail", "v1", endpoints["gmail"], creds)
    try:
        client.users().getProfile(userId="me").execute()
        sandbox.clock.advance(timedelta(hours=2))
        # The emulator answers 401; the library refreshes on the token endpoint and retries.
        client.users().getProfile(userId="me").execute()
        assert creds.token != endpoints["google"]["access_token"]
        sandbox.google.revoke_grant()
        with pytest.raises(RefreshError, match="invalid_grant"):
            client.users().getProfile(userId="me").execute()
    finally:
        client.close()


def test_token_endpoint_revoked_fault(endpoints: dict[str, Any], sandbox: Sandbox) -> None:
    sandbox.faults.add("google", "google.token", "revoked", times=1)
    creds = credentials(endpoints)
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(
            __import__("google.auth.transport.requests").auth.transport.requests.Request()
        )


def test_unauthenticated_call_is_401(endpoints: dict[str, Any]) -> None:
    client = build(
        "gmail",
        "v1",
        http=httplib2.Http(),
        static_discovery=True,
        client_options={"api_endpoint": endpoints["gmail"]},
    )
    try:
        with pytest.raises(HttpError) as denied:
            client.users().getProfile(userId="me").execute()
        assert denied.value.resp.status == 401
        assert reason(denied.value) == "authError"
        assert denied.value.resp["www-authenticate"].startswith("Bearer")
    finally:
        client.close()


@pytest.mark.parametrize(
    ("tamper", "status"),
    [
        (lambda r: setattr(r, "uri", r.uri + "&bogus=1"), 400),
        (lambda r: setattr(r, "uri", r.uri + "&maxResults=ten"), 400),
        (lambda r: setattr(r, "uri", r.uri + "&includeSpamTrash=maybe"), 400),
        (lambda r: setattr(r, "uri", r.uri.replace("/users/me/messages", "/nowhere")), 404),
        (lambda r: setattr(r, "method", "DELETE"), 400),
    ],
)
def test_requests_are_checked_against_discovery(gmail: Any, tamper: Any, status: int) -> None:
    request = gmail.users().messages().list(userId="me")
    tamper(request)
    with pytest.raises(HttpError) as bad:
        request.execute()
    assert bad.value.resp.status == status
    assert set(bad.value.error_details[0]) >= {"domain", "reason", "message"}


def test_bad_enum_and_unknown_body_field(gmail: Any) -> None:
    request = gmail.users().messages().get(userId="me", id="x")
    request.uri += "&format=weird"
    with pytest.raises(HttpError) as enum:
        request.execute()
    assert enum.value.resp.status == 400
    with pytest.raises(HttpError) as unknown:
        gmail.users().messages().send(userId="me", body={"raw": raw_message(), "nope": 1}).execute()
    assert unknown.value.resp.status == 400


def test_malformed_requests_never_crash(endpoints: dict[str, Any], gmail: Any) -> None:
    base = endpoints["gmail"]
    auth = {"Authorization": f"Bearer {endpoints['google']['access_token']}"}
    garbage = [
        ("POST", base + "gmail/v1/users/me/messages/send", b"{not json"),
        ("POST", base + "gmail/v1/users/me/messages/send", b'{"raw": "***"}'),
        ("POST", base + "batch/gmail/v1", b"--x\r\nno headers"),
        ("POST", base + "token", b"\xff\xfe"),
        ("GET", base + "gmail/v1/users/me/messages?pageToken=%%%", b""),
        ("GET", base + "calendar/v3/calendars/primary/events?timeMin=yesterday", b""),
    ]
    for verb, url, body in garbage:
        answer = requests.request(verb, url, data=body, headers=auth, timeout=5)
        assert 400 <= answer.status_code < 500, url
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"]

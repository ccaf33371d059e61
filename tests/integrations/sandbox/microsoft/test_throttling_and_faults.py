"""What a Graph client sees under load and injected faults; malformed input never crashes."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from integrations.sandbox import Accounting, FaultPlan
from integrations.sandbox.microsoft import MicrosoftEmulator

from .conftest import GraphClient, assert_graph_error

THROTTLED = {
    "code": "ApplicationThrottled",
    "message": "Application is over its MailboxConcurrency limit.",
}


def test_a_fifth_concurrent_request_is_throttled(
    graph: GraphClient, emulator: MicrosoftEmulator, faults: FaultPlan
) -> None:
    faults.add("microsoft", "graph.me", "slow", times=4, delay_s=0.6)
    with ThreadPoolExecutor(4) as pool:
        slow = [
            pool.submit(
                requests.get, graph.base + "/me", headers=dict(graph.session.headers), timeout=10
            )
            for _ in range(4)
        ]
        deadline = time.monotonic() + 5
        while emulator.graph.in_flight(emulator.email) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        fifth = graph.get("/me/messages")
        assert [f.result().status_code for f in slow] == [200] * 4
    assert_graph_error(fifth, 429)
    assert {k: fifth.json()["error"][k] for k in ("code", "message")} == THROTTLED
    assert fifth.headers["Retry-After"] == "1"


def test_four_in_flight_never_sees_a_429(graph: GraphClient, emulator: MicrosoftEmulator) -> None:
    statuses: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        session = requests.Session()
        session.headers.update(graph.session.headers)
        for _ in range(25):
            status = session.get(graph.base + "/me", timeout=10).status_code
            with lock:
                statuses.append(status)
        session.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 100
    assert emulator.graph.peak_in_flight(emulator.email) <= 4


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("rate_limit", 429, "ApplicationThrottled"),
        ("concurrency_limit", 429, "ApplicationThrottled"),
        ("server_error", 500, "UnknownError"),
        ("unavailable", 503, "ServiceNotAvailable"),
    ],
)
def test_injected_faults(
    graph: GraphClient, faults: FaultPlan, kind: str, status: int, code: str
) -> None:
    faults.add("microsoft", "graph.messages.create", kind, times=1, retry_after=5)
    response = graph.post("/me/messages", json={"subject": "x"})
    assert_graph_error(response, status, code)
    if status in (429, 503):
        assert response.headers["Retry-After"] == "5"
    assert graph.post("/me/messages", json={"subject": "x"}).status_code == 201


def test_dropped_and_slow_answers(graph: GraphClient, faults: FaultPlan) -> None:
    faults.add("microsoft", "graph.me", "drop", times=1)
    with pytest.raises(requests.ConnectionError):
        graph.get("/me")
    faults.add("microsoft", "graph.me", "slow", times=1, delay_s=0.3)
    started = time.monotonic()
    assert graph.get("/me").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_every_request_is_accounted(
    graph: GraphClient, emulator: MicrosoftEmulator, accounting: Accounting
) -> None:
    graph.get("/me")
    draft = graph.draft()
    graph.post(f"/me/messages/{draft['id']}/send")
    graph.get("/me/mailFolders/inbox/messages/delta")
    for method in (
        "graph.me",
        "graph.messages.create",
        "graph.messages.send",
        "graph.messages.delta",
    ):
        assert accounting.total("microsoft", emulator.email, method) == 1, method


def test_missing_scope_is_forbidden(emulator: MicrosoftEmulator) -> None:
    tokens = emulator.identity.grant(emulator.email, frozenset({"mail.read"}))
    reader = GraphClient(emulator.endpoints()["graph"], tokens.access_token)
    assert reader.get("/me/messages").status_code == 200
    assert_graph_error(reader.post("/me/sendMail", json={}), 403, "ErrorAccessDenied")


def test_malformed_requests_never_crash(graph: GraphClient) -> None:
    attempts = [
        ("GET", "/", None),
        ("GET", "/me/messages?$top=-1", None),
        ("GET", "/me/messages?$skip=x", None),
        ("GET", "/me/messages?$filter=%27", None),
        ("GET", "/me/mailFolders('inbox')/messages/delta?$deltatoken=", None),
        ("GET", "/me/calendarView/delta?startDateTime=x&endDateTime=y", None),
        ("PATCH", "/me/messages", b"{}"),
        ("POST", "/me/events", b'{"start": 1, "end": 2}'),
        ("POST", "/me/events", b'{"start": {"dateTime": "x"}, "end": {"dateTime": "y"}}'),
        (
            "POST",
            "/me/events",
            b'{"start": {"dateTime": "2026-01-01T00:00:00", '
            b'"timeZone": "Mars/Olympus"}, "end": {"dateTime": "x"}}',
        ),
        ("POST", "/me/messages", b'{"toRecipients": "bob"}'),
        ("POST", "/me/messages", b'{"body": {"contentType": "pdf"}}'),
        ("POST", "/me/sendMail", b'{"message": 3}'),
        ("DELETE", "/me/events/nope", None),
        ("POST", "/me/$batch", b"{}"),
        ("PUT", "/me/messages/x", b"{}"),
        ("GET", "/users/someone@else.example/messages", None),
    ]
    for method, path, body in attempts:
        response = graph.session.request(
            method,
            graph.base.removesuffix("/v1.0") + "/v1.0" + path
            if path != "/"
            else graph.base.removesuffix("/v1.0") + "/",
            data=body,
            timeout=10,
        )
        assert 400 <= response.status_code < 500, (method, path, response.text)
        assert "error" in response.json(), (method, path)

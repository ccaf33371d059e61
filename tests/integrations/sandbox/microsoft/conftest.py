"""Fixtures for the Microsoft emulator tests: a started emulator on a SimClock, real MSAL
pointed at it over TLS, and a thin requests client for Graph."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import msal
import pytest
import requests

from integrations.sandbox import Accounting, FaultPlan, SimClock
from integrations.sandbox.microsoft import IdentitySettings, MicrosoftEmulator

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SCOPES = ["Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite"]


@pytest.fixture(autouse=True)
def _trust_only_given_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    # requests lets these variables override a session's `verify`, which is how MSAL
    # passes our CA; clear them so `verify=ca_cert_path` is what counts.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.fixture
def clock() -> SimClock:
    return SimClock(START)


@pytest.fixture
def faults() -> FaultPlan:
    return FaultPlan(seed=3)


@pytest.fixture
def accounting() -> Accounting:
    return Accounting()


@pytest.fixture
def identity_settings() -> IdentitySettings:
    return IdentitySettings()


@pytest.fixture
def emulator(
    clock: SimClock,
    faults: FaultPlan,
    accounting: Accounting,
    identity_settings: IdentitySettings,
) -> Iterator[MicrosoftEmulator]:
    running = MicrosoftEmulator(clock, faults, accounting, identity=identity_settings)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def msal_app(emulator: MicrosoftEmulator) -> msal.PublicClientApplication:
    endpoints = emulator.endpoints()
    return msal.PublicClientApplication(
        endpoints["microsoft"]["client_id"],
        authority=endpoints["microsoft_authority"],
        verify=emulator.ca_cert_path,
        instance_discovery=False,
        token_cache=msal.SerializableTokenCache(),
    )


class GraphClient:
    """requests against the emulator's Graph root with a bearer token and Prefer headers."""

    def __init__(self, base: str, token: str, immutable: bool = True) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        if immutable:
            self.session.headers["Prefer"] = 'IdType="ImmutableId"'

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=10, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url(path), timeout=10, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.patch(self.url(path), timeout=10, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.delete(self.url(path), timeout=10, **kwargs)

    def draft(self, subject: str = "Coffee?", to: str = "bob@example.org") -> dict[str, Any]:
        response = self.post(
            "/me/messages",
            json={
                "subject": subject,
                "body": {"contentType": "text", "content": "Hello Bob"},
                "toRecipients": [{"emailAddress": {"address": to, "name": "Bob"}}],
            },
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def graph(emulator: MicrosoftEmulator) -> Iterator[GraphClient]:
    endpoints = emulator.endpoints()
    client = GraphClient(endpoints["graph"], endpoints["microsoft"]["access_token"])
    yield client
    client.session.close()


def assert_graph_error(response: requests.Response, status: int, code: str | None = None) -> None:
    """Graph's error shape: {"error": {"code", "message", "innerError": {...}}}."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error["message"], str)
    assert set(error["innerError"]) >= {"date", "request-id", "client-request-id"}
    if code is not None:
        assert error["code"] == code, error

"""Fixtures for the sandbox emulator tests: a started Sandbox and real Google clients."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest

from integrations.sandbox import Sandbox

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONTACT = "ada@contact.example"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=7, start=START) as running:
        yield running


@pytest.fixture
def endpoints(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.endpoints()


def credentials(endpoints: dict[str, Any], *, token: str | None = None) -> Credentials:
    """Real google-auth credentials; with no token they refresh against the emulator."""
    google = endpoints["google"]
    return Credentials(
        token=token,
        refresh_token=google["refresh_token"],
        token_uri=endpoints["google_token_uri"],
        client_id=google["client_id"],
        client_secret=google["client_secret"],
    )


@pytest.fixture
def creds(endpoints: dict[str, Any]) -> Credentials:
    return credentials(endpoints)


def service(name: str, version: str, endpoint: str, creds: Credentials) -> Any:
    """A real discovery client pointed at the emulator (the discovery document ships)."""
    return build(
        name,
        version,
        credentials=creds,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": endpoint},
    )


@pytest.fixture
def gmail(endpoints: dict[str, Any], creds: Credentials) -> Iterator[Any]:
    client = service("gmail", "v1", endpoints["gmail"], creds)
    yield client
    client.close()  # httplib2 keeps sockets open; unclosed ones warn (errors here)


@pytest.fixture
def calendar(endpoints: dict[str, Any], creds: Credentials) -> Iterator[Any]:
    client = service("calendar", "v3", endpoints["calendar"], creds)
    yield client
    client.close()


def gmail_batch(endpoints: dict[str, Any]) -> BatchHttpRequest:
    return BatchHttpRequest(batch_uri=endpoints["gmail_batch"])


def raw_message(
    to: str = CONTACT,
    subject: str = "Coffee chat?",
    body: str = "Would you have 20 minutes next week?",
    **headers: str,
) -> str:
    """A base64url RFC 5322 message, as a client builds it for messages.send/drafts."""
    msg = EmailMessage()
    msg["To"] = to
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return base64.urlsafe_b64encode(msg.as_bytes()).decode()

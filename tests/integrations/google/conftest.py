"""Fixtures for the Gmail provider tests: a sandbox per test, a provider on it with a fake
sleep, and the contact side of the story played through the emulator's Python API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import getaddresses
from typing import Any

import pytest

from integrations.google import GmailProvider
from integrations.retry import Backoff
from integrations.sandbox import Sandbox
from integrations.sandbox.http import Request, Response

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeSleep:
    """Records waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class GoogleContact:
    """ContactSide on the Google emulator."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.google = sandbox.google

    def write(self, from_address: str, subject: str, body: str) -> str:
        found = self.google.deliver_message(sender=from_address, subject=subject, body=body)
        return str(found["messageId"])

    def reply(self, thread_id: str, from_address: str, body: str, auto: bool = False) -> str:
        box = self.google.mailbox()
        latest = box.thread(thread_id)[-1]
        if auto:
            found = self.google.deliver_auto_reply(
                to_message=latest.id, return_date=START.date(), body=body, sender=from_address
            )
        else:
            found = self.google.deliver_reply(to_message=latest.id, body=body, sender=from_address)
        return str(found["messageId"])

    def invite(
        self, organizer: str, summary: str, start: datetime, end: datetime, time_zone: str
    ) -> str:
        # With the invitation mail, as the organizer's calendar sends it (and Outlook does).
        event = self.google.send_invite(
            organizer=organizer,
            summary=summary,
            start=start,
            end=end,
            time_zone=time_zone,
            mail=True,
        )
        return str(event["id"])

    def user_adds_event(
        self,
        summary: str,
        start: datetime,
        end: datetime,
        all_day: bool = False,
        free: bool = False,
    ) -> str:
        event = self.google.user_adds_event(
            summary=summary, start=start, end=end, all_day=all_day, free=free
        )
        return str(event["id"])

    def respond(self, event_id: str, attendee: str, response: str) -> None:
        self.google.respond_to_event(event_id, attendee=attendee, response=response)
        # The attendee's calendar mails the answer to the organizer, as Outlook's does.
        event = self.google.calendar().get(event_id).resource
        self.google.deliver_invitation(
            sender=attendee,
            summary=str(event.get("summary", "")),
            start=datetime.fromisoformat(event["start"]["dateTime"]),
            end=datetime.fromisoformat(event["end"]["dateTime"]),
            method="REPLY",
            response=response,
        )

    def user_sends_draft(self, draft_id: str) -> None:
        self.google.user_sends_draft(draft_id)

    def user_edits_draft(self, draft_id: str, body: str) -> None:
        self.google.user_edits_draft(draft_id, body)

    def user_deletes_draft(self, draft_id: str) -> None:
        self.google.user_deletes_draft(draft_id)

    def mailbox_sent(self) -> list[dict[str, Any]]:
        return [_shown(m) for m in self.google.mail_state()["sent"]]

    def mailbox_drafts(self) -> list[dict[str, Any]]:
        return [_shown(m) for m in self.google.mail_state()["drafts"]]

    def events(self) -> list[dict[str, Any]]:
        return [
            {
                "id": e["id"],
                "summary": e.get("summary", ""),
                "attendees": [a["email"] for a in e.get("attendees", [])],
            }
            for e in self.google.calendar_state()["events"]
        ]

    def invitations(self) -> list[dict[str, Any]]:
        return [
            {"to": i["to"], "event_id": i["eventId"]}
            for i in self.google.calendar_state()["invitations"]
        ]


def _shown(message: dict[str, Any]) -> dict[str, Any]:
    headers = message["headers"]
    return {
        "message_id": headers.get("Message-ID", ""),
        "thread_id": message["threadId"],
        "to": [a for _, a in getaddresses([headers.get("To", "")]) if a],
        "subject": headers.get("Subject", ""),
        "headers": headers,
        "sent_as": headers.get("X-Outreach-Message-ID"),
        "text": message["text"],
        "id": message["id"],
    }


@dataclass
class GoogleEnv:
    sandbox: Sandbox
    provider: GmailProvider
    contact: GoogleContact
    sleep: FakeSleep
    now: datetime = START
    token_requests: list[str] = field(default_factory=list)

    def requests(self, method: str | None = None) -> int:
        return self.sandbox.accounting.total(provider="google", method=method)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=11, start=START) as running:
        yield running


@pytest.fixture
def env(sandbox: Sandbox) -> Iterator[GoogleEnv]:
    sleep = FakeSleep()
    provider = GmailProvider.from_sandbox(
        sandbox.endpoints(),
        sleep=sleep,
        clock=sandbox.clock.now,
        backoff=Backoff(sleep=sleep, attempts=4),
    )
    found = GoogleEnv(sandbox, provider, GoogleContact(sandbox), sleep)
    # The emulator does not count token requests in its accounting: count them here.
    tokens = sandbox.google.tokens
    original = tokens.token_endpoint

    def counted(request: Request, revoked_fault: bool = False) -> Response:
        found.token_requests.append(request.path)
        return original(request, revoked_fault)

    tokens.token_endpoint = counted  # type: ignore[method-assign]
    yield found
    provider.close()


@pytest.fixture(params=["message-id-kept", "message-id-rewritten"])
def provider_env(env: GoogleEnv, request: pytest.FixtureRequest) -> GoogleEnv:
    """The contract holds whether Gmail keeps our Message-ID on send or makes its own
    (not documented either way)."""
    env.sandbox.google.rewrite_message_ids(request.param == "message-id-rewritten")
    return env

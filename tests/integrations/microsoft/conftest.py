"""Fixtures for the Outlook provider tests: a sandbox per test, a provider on it with a
fake sleep and the sandbox's clock, and the contact side played through the emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.microsoft import OutlookProvider
from integrations.microsoft.mail import MARKER
from integrations.retry import Backoff
from integrations.sandbox import Sandbox
from integrations.sandbox.microsoft import MicrosoftEmulator, extended
from integrations.sandbox.microsoft.state import Message

from .trust import _trust_only_given_ca  # noqa: F401 - autouse for every test here

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RESPONSES = {"accepted": "accepted", "declined": "declined", "tentative": "tentativelyAccepted"}


class FakeSleep:
    """Records waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class OutlookContact:
    """ContactSide on the Microsoft emulator."""

    def __init__(self, emulator: MicrosoftEmulator) -> None:
        self.emulator = emulator

    def write(self, from_address: str, subject: str, body: str) -> str:
        return str(self.emulator.deliver(from_address, subject, body)["internetMessageId"])

    def reply(self, thread_id: str, from_address: str, body: str, auto: bool = False) -> str:
        latest = self._latest(thread_id)
        if auto:
            found = self.emulator.deliver_out_of_office(latest, sender=from_address)
        else:
            found = self.emulator.deliver_reply(latest, body, sender=from_address)
        return str(found["internetMessageId"])

    def _latest(self, thread_id: str) -> str:
        mailbox = self.emulator.mailbox()
        with mailbox.lock:
            members = [
                (m.received or m.created or START, index, m.internet_message_id)
                for index, m in enumerate(mailbox.messages.values())
                if m.conversation_id == thread_id and not m.is_draft
            ]
        assert members, f"no messages in conversation {thread_id}"
        return max(members)[2]

    def invite(
        self, organizer: str, summary: str, start: datetime, end: datetime, time_zone: str
    ) -> str:
        return str(self.emulator.invite(organizer, summary, start, end, time_zone)["id"])

    def user_adds_event(
        self,
        summary: str,
        start: datetime,
        end: datetime,
        all_day: bool = False,
        free: bool = False,
    ) -> str:
        return str(
            self.emulator.user_adds_event(summary, start, end, all_day=all_day, free=free)["id"]
        )

    def respond(self, event_id: str, attendee: str, response: str) -> None:
        self.emulator.respond(event_id, attendee, RESPONSES.get(response, response))

    def user_sends_draft(self, draft_id: str) -> None:
        self.emulator.send_draft_in_outlook(draft_id)

    def user_edits_draft(self, draft_id: str, body: str) -> None:
        self.emulator.edit_draft_in_outlook(draft_id, body)

    def user_deletes_draft(self, draft_id: str) -> None:
        self.emulator.delete_draft_in_outlook(draft_id)

    def _message(self, immutable_id: str) -> Message:
        return self.emulator.mailbox().messages[immutable_id]

    def mailbox_sent(self) -> list[dict[str, Any]]:
        shown = []
        for record in self.emulator.state()["sent"]:
            message = self._message(record["id"])
            headers = {"Message-ID": record["internetMessageId"], "Subject": record["subject"]}
            if message.in_reply_to:
                headers["In-Reply-To"] = message.in_reply_to
            if message.references:
                headers["References"] = " ".join(message.references)
            shown.append(
                {
                    "message_id": record["internetMessageId"],
                    "thread_id": record["conversationId"],
                    "to": list(record["to"]),
                    "subject": record["subject"],
                    "headers": headers,
                    "sent_as": _marker(message),
                    "id": record["id"],
                }
            )
        return shown

    def mailbox_drafts(self) -> list[dict[str, Any]]:
        return [
            {
                "message_id": draft["internetMessageId"],
                "thread_id": draft["conversationId"],
                "to": draft["to"],
                "subject": draft["subject"],
                "headers": {"Message-ID": draft["internetMessageId"]},
                "text": self._message(draft["id"]).body,
                "id": draft["id"],
            }
            for draft in self.emulator.state()["drafts"]
        ]

    def events(self) -> list[dict[str, Any]]:
        return [
            {
                "id": e["id"],
                "summary": e["subject"],
                "attendees": [a["address"] for a in e["attendees"]],
            }
            for e in self.emulator.state()["events"]
            if not e["deleted"]
        ]

    def invitations(self) -> list[dict[str, Any]]:
        # Graph sends an invitation to every attendee of an event the user organizes.
        return [
            {"to": a["address"], "event_id": e["id"]}
            for e in self.emulator.state()["events"]
            if e["isOrganizer"] and not e["deleted"]
            for a in e["attendees"]
        ]


def _marker(message: Message) -> str | None:
    """The Message-ID our adapter marked a message with (its extended property)."""
    found = extended.key(MARKER)
    assert found is not None
    held = message.extended.get(found)
    return held[1] if held else None


@dataclass
class OutlookEnv:
    sandbox: Sandbox
    emulator: MicrosoftEmulator
    provider: OutlookProvider
    contact: OutlookContact
    sleep: FakeSleep
    saved: list[str]
    make: Callable[..., OutlookProvider]
    now: datetime = START
    others: list[OutlookProvider] = field(default_factory=list)

    def graph_requests(self, method: str | None = None) -> int:
        """Graph requests the emulator served for the mailbox (token requests excluded)."""
        calls = self.sandbox.accounting.snapshot()["calls"]
        return sum(
            c["requests"]
            for c in calls
            if c["provider"] == "microsoft"
            and c["method"].startswith("graph.")
            and (method is None or c["method"] == method)
        )

    def token_requests(self) -> int:
        return self.sandbox.accounting.total(provider="microsoft", method="identity.token")

    def another(self, **options: Any) -> OutlookProvider:
        """A second provider on the same account (a restarted worker)."""
        provider = self.make(**options)
        self.others.append(provider)
        return provider


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=11, start=START) as running:
        yield running


@pytest.fixture
def env(sandbox: Sandbox) -> Iterator[OutlookEnv]:
    emulator = sandbox.microsoft
    assert isinstance(emulator, MicrosoftEmulator)
    sleep = FakeSleep()
    saved: list[str] = []

    def make(**options: Any) -> OutlookProvider:
        options.setdefault("sleep", sleep)
        options.setdefault("clock", sandbox.clock.now)
        options.setdefault("backoff", Backoff(sleep=sleep, attempts=4))
        return OutlookProvider.from_sandbox(
            sandbox.endpoints(), sandbox, save=saved.append, **options
        )

    found = OutlookEnv(sandbox, emulator, make(), OutlookContact(emulator), sleep, saved, make)
    yield found
    found.provider.close()
    for other in found.others:
        other.close()


@pytest.fixture(params=["message-id-kept", "message-id-rewritten"])
def provider_env(env: OutlookEnv, request: pytest.FixtureRequest) -> OutlookEnv:
    """The contract holds whether Exchange keeps our internetMessageId on send or makes
    its own (not documented either way)."""
    # The contract expects the user's sends to be in Sent Items at once; the copy delay
    # has its own tests (test_sending.py).
    env.emulator.set_sent_copy_delay(0)
    env.emulator.rewrite_message_ids(request.param == "message-id-rewritten")
    return env

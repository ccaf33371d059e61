"""Worker worlds for fault tests: the World of tests/worker on Gmail or Outlook, stepped as
`outreach run` steps (sync, tick, perform what is due) on the simulated clock, with the
providers' backoff sleeping on that clock too, so a Retry-After "elapses" without a real
wait and every request the emulators count can be tied to a simulated moment."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from typer.testing import CliRunner

from events.ids import derive_id
from events.projections.accounts import AccountRow
from integrations.google.mime import MARKER as GMAIL_MARKER
from integrations.google.provider import GmailProvider
from integrations.microsoft import OutlookProvider
from integrations.microsoft.mail import MARKER as GRAPH_MARKER
from integrations.protocol import OutgoingMessage, Provider, SentRef
from integrations.sandbox.http import Request, Response
from integrations.sandbox.microsoft import MicrosoftEmulator, extended
from tests.worker.world import ZONE, World
from worker.cli import _register as register_commands
from worker.cli import app as cli
from worker.runner.clocks import CLOCK_URL_ENV
from worker.services.status import status

#: When the contact's meeting starts: two days after the story begins, 10:00 London.
MEETING_AT = datetime.fromisoformat("2026-03-04T10:00:00+00:00")


class Killed(Exception):
    """The worker process died: here, right after the provider accepted a send."""


class _DiesAfterSending:
    """A provider whose process dies right after its next send went through: the send
    is done, nothing was recorded, and the next run starts with a fresh provider."""

    def __init__(self, inner: Provider, world: FaultWorld) -> None:
        self._inner = inner
        self._world = world

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def send_message(self, message: OutgoingMessage) -> SentRef:
        self._inner.send_message(message)
        raise self._die()

    def send_draft(self, provider_draft_id: str) -> SentRef:
        self._inner.send_draft(provider_draft_id)
        raise self._die()

    def _die(self) -> Killed:
        self._world.restart_provider()
        return Killed("the worker died after sending, before recording it")


class FaultWorld(World):
    """A World (Gmail) stepped like `outreach run`, counting what the provider is asked.

    `provider_key` names the provider in the sandbox's fault plan and accounting; the
    methods of `api_methods` are the mailbox and calendar calls (not sign-in).
    """

    name = "google"
    provider_key = "google"
    api_methods: tuple[str, ...] = ("gmail.*", "calendar.*")
    send_method = "gmail.users.messages.send"
    draft_method = "gmail.users.drafts.create"

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path)
        self.waits: list[float] = []
        self.token_requests = 0
        self._count_token_requests()

    # --- the providers, on the simulated clock ---------------------------------------

    def sleep(self, seconds: float) -> None:
        """The providers' backoff sleep: the simulated time passes, no real time."""
        self.waits.append(seconds)
        self.later(seconds=seconds)

    def provider_for(self, _account: AccountRow) -> Provider:
        if not hasattr(self._local, "provider"):
            self._local.provider = self.build_provider()
            self._opened.append(self._local.provider)
        provider: Provider = self._local.provider
        return provider

    def build_provider(self) -> Provider:
        return GmailProvider.from_sandbox(
            self.endpoints,
            account_id=self.account_id,
            sleep=self.sleep,
            clock=self.sandbox.clock.now,
        )

    def crash_after_next_send(self) -> None:
        """The worker dies right after its next send went through, before the log has it."""
        inner = self.build_provider()
        self._opened.append(inner)
        self._local.provider = cast(Provider, _DiesAfterSending(inner, self))

    def restart_provider(self) -> None:
        """A new process: the next call opens a new provider (no memory of the old one)."""
        if hasattr(self._local, "provider"):
            del self._local.provider

    def rewrite_message_ids(self) -> None:
        """From now on the provider gives what is sent a Message-ID of its own making."""
        self.sandbox.google.rewrite_message_ids()

    def _count_token_requests(self) -> None:
        # The Google emulator leaves token requests out of its accounting: count them here.
        tokens = self.sandbox.google.tokens
        original = tokens.token_endpoint

        def counted(request: Request, revoked_fault: bool = False) -> Response:
            self.token_requests += 1
            return original(request, revoked_fault)

        tokens.token_endpoint = counted  # type: ignore[method-assign]

    def requests(self, method: str | None = None) -> int:
        """Mailbox and calendar requests (of one method) the emulator served so far."""
        if method is not None:
            return self.sandbox.accounting.total(self.provider_key, method=method)
        calls = self.sandbox.accounting.snapshot()["calls"]
        return sum(
            c["requests"]
            for c in calls
            if c["provider"] == self.provider_key and not c["method"].startswith("identity.")
        )

    def tokens(self) -> int:
        """Token-endpoint requests so far."""
        return self.token_requests

    # --- faults and the user's fixes -------------------------------------------------

    def fail(self, kind: str, *, retry_after: float | None = None) -> list[int]:
        """Every mailbox and calendar call answers with `kind` until `heal()`."""
        return [
            self.sandbox.faults.add(
                self.provider_key, method, kind, probability=1.0, retry_after=retry_after
            )
            for method in self.api_methods
        ]

    def heal(self) -> None:
        self.sandbox.faults.clear()

    def revoke(self) -> None:
        self.sandbox.google.revoke_grant()

    def reconnect(self) -> None:
        """What `outreach connect` leaves behind: a new grant, AccountConnected again."""
        google = self.endpoints["google"]
        grant = self.sandbox.google.tokens.grant(
            self.email, google["client_id"], google["client_secret"]
        )
        self.endpoints["google"] = {**google, "refresh_token": grant.refresh_token}
        self._reconnected()

    def _reconnected(self) -> None:
        # A new grant means a new provider (the old one latched the lost grant).
        if hasattr(self._local, "provider"):
            del self._local.provider
        self.record_connection(derive_id("world", "reconnect", self.clock.now().isoformat()))

    # --- the contact's side ------------------------------------------------------------

    def contact_replies(self, email: str) -> None:
        last = self.contact(email).last_message_id
        assert last, f"nothing sent to {email}"
        self.sandbox.google.deliver_reply(to_message=last, body="Happy to talk!")

    def contact_invites(self, email: str, start: datetime, zone: str = ZONE) -> None:
        # With the invitation mail, as on Outlook: both face the same mailbox.
        ev = self.sandbox.google.send_invite(
            organizer=email,
            summary="Coffee chat",
            start=start,
            end=start + timedelta(minutes=30),
            time_zone=zone,
            mail=True,
            location="Blue Bottle Coffee, 300 Webster Street, Oakland",
        )
        # Accepted by the user: a contact's invitation is confirmed only once accepted.
        self.sandbox.google.respond_to_event(
            str(ev["id"]), attendee=self.sandbox.google.calendar().email, response="accepted"
        )

    def sent_message_ids(self) -> list[str]:
        """Message-IDs we gave everything in the mailbox's sent mail (read from our marker
        header when Gmail replaced the Message-ID)."""
        return [
            m["headers"].get(GMAIL_MARKER) or m["headers"].get("Message-ID", "")
            for m in self.mail()["sent"]
        ]

    def draft_message_ids(self) -> list[str]:
        return [m["headers"].get("Message-ID", "") for m in self.mail()["drafts"]]

    def inbox_count(self) -> int:
        """Messages in the mailbox's inbox."""
        return len(self.mail()["inbox"])

    # --- the worker -------------------------------------------------------------------

    def step(self, minutes: float = 1) -> list[str]:
        """One step of `outreach run`, `minutes` after the last: sync, tick, perform."""
        self.later(minutes=minutes)
        self.sync()
        return [self.runtime.perform(action.to_message()) for action in self.due()]

    def steps(self, minutes: float, every: float = 1) -> list[str]:
        """Step every `every` minutes for `minutes` minutes; the outcomes of every action."""
        outcomes: list[str] = []
        for _ in range(round(minutes / every)):
            outcomes += self.step(every)
        return outcomes

    def account_status(self) -> dict[str, Any]:
        """This account's entry in `outreach status` (worker/status.py, as the CLI calls it)."""
        [account] = status(self.app, None)["accounts"]
        assert account["account_id"] == self.account_id
        return account

    def status_cli(self, *args: str) -> str:
        """`outreach status ARGS` as typed, reading the simulated clock over HTTP."""
        return self.cli("status", *args)

    def cli(self, *args: str, exit_code: int = 0, columns: int = 300) -> str:
        """`outreach ARGS` as typed, reading the simulated clock over HTTP; by default in a
        terminal wide enough that no table cell is cut short."""
        env = {
            **self.env,
            CLOCK_URL_ENV: self.endpoints["control"].rstrip("/") + "/clock",
            "COLUMNS": str(columns),
        }
        register_commands()  # as `outreach` itself does before parsing
        result = CliRunner(env=env).invoke(cli, list(args))
        assert result.exit_code == exit_code, result.output
        return result.output

    def status_json(self) -> dict[str, Any]:
        [account] = json.loads(self.status_cli("--json"))["accounts"]
        found: dict[str, Any] = account
        return found


class OutlookFaultWorld(FaultWorld):
    """The same world on Outlook: the Microsoft emulator's account, through Graph."""

    name = "outlook"
    account_id = "sandbox-microsoft"
    account_provider = "microsoft"
    provider_key = "microsoft"
    api_methods = ("graph.*",)
    send_method = "graph.messages.send"
    draft_method = "graph.messages.create"

    @property
    def emulator(self) -> MicrosoftEmulator:
        emulator = self.sandbox.microsoft
        assert isinstance(emulator, MicrosoftEmulator)
        return emulator

    def account_email(self) -> str:
        return str(self.endpoints["microsoft"]["email"])

    def build_provider(self) -> Provider:
        return OutlookProvider.from_sandbox(
            self.endpoints,
            self.sandbox,
            account_id=self.account_id,
            sleep=self.sleep,
            clock=self.sandbox.clock.now,
        )

    def _count_token_requests(self) -> None:
        # Entra ID's token endpoint is in the Microsoft emulator's accounting already.
        self.emulator.set_sent_copy_delay(0)  # the Sent Items delay has its own tests

    def tokens(self) -> int:
        return self.sandbox.accounting.total(provider="microsoft", method="identity.token")

    def revoke(self) -> None:
        self.emulator.revoke_grant(access_tokens_too=True)

    def reconnect(self) -> None:
        issued = self.emulator.identity.grant(self.email)
        self.endpoints["microsoft"] = {
            **self.endpoints["microsoft"],
            "refresh_token": issued.refresh_token,
        }
        self._reconnected()

    def user_sends(self, draft: Any) -> None:
        self.emulator.send_draft_in_outlook(draft.provider_draft_id)
        self.sync()

    def contact_replies(self, email: str) -> None:
        last = self.contact(email).last_message_id
        assert last, f"nothing sent to {email}"
        self.emulator.deliver_reply(last, "Happy to talk!")

    def contact_invites(self, email: str, start: datetime, zone: str = ZONE) -> None:
        event = self.emulator.invite(
            email,
            "Coffee chat",
            start,
            start + timedelta(minutes=30),
            zone,
            location="Blue Bottle Coffee, 300 Webster Street, Oakland",
        )
        # Accepted by the user: a contact's invitation is confirmed only once accepted.
        self.emulator.user_accepts(str(event["id"]))

    def rewrite_message_ids(self) -> None:
        self.emulator.rewrite_message_ids()

    def sent_message_ids(self) -> list[str]:
        """Message-IDs we gave everything sent (our marker property, when Exchange gave
        the message another internetMessageId)."""
        marker = extended.key(GRAPH_MARKER)
        assert marker is not None
        mailbox = self.emulator.mailbox()
        with mailbox.lock:
            held = {i: m.extended.get(marker) for i, m in mailbox.messages.items()}
        out = []
        for record in self.emulator.state()["sent"]:
            ours = held.get(record["id"])
            out.append(ours[1] if ours else record["internetMessageId"])
        return out

    def draft_message_ids(self) -> list[str]:
        return [m["internetMessageId"] for m in self.emulator.state()["drafts"]]

    def inbox_count(self) -> int:
        return int(self.emulator.state()["folders"]["inbox"])


WORLDS: dict[str, type[FaultWorld]] = {"google": FaultWorld, "outlook": OutlookFaultWorld}


@pytest.fixture(autouse=True)
def _trust_only_given_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    # requests lets these override a session's `verify`; MSAL must trust the sandbox's CA.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


def open_world(provider: str, tmp_path: Path) -> Iterator[FaultWorld]:
    world = WORLDS[provider](tmp_path)
    try:
        yield world
    finally:
        world.close()


# --- the story every fault test plays ------------------------------------------------

ADA = "ada@analytical.example"
GRACE = "grace@navy.example"


def set_the_scene(world: FaultWorld) -> None:
    """Before any fault: Ada was written to, and the user sent the outreach."""
    world.outreach_sent("Ada Lovelace", ADA)


def things_happen(world: FaultWorld) -> None:
    """What the worker has to notice or do while the provider misbehaves: Ada replies and
    invites the user to a meeting, and the user chooses to write to Grace."""
    world.contact_replies(ADA)
    world.contact_invites(ADA, MEETING_AT)
    world.add("Grace Hopper", GRACE)


@dataclass(frozen=True)
class Outcome:
    """What a user would check after the story: which facts the log holds (a duplicate
    shows as a subject or start listed twice) and which messages the mailbox holds."""

    replies: tuple[str, ...]
    meetings: tuple[str, ...]
    outreach_drafts: dict[str, int]
    drafts_in_mailbox: int
    confirmations: int
    sent_confirmations: int


def outcome(world: FaultWorld) -> Outcome:
    drafted = Counter(
        world.book.resolve(e["contact_id"]).emails[0] for e in world.events("outreach.drafted")
    )
    confirmed = world.events("meeting.confirmed")
    confirmation_ids = {e["message_id"] for e in confirmed}
    return Outcome(
        replies=tuple(sorted(e["subject"] for e in world.events("reply.received"))),
        meetings=tuple(sorted(e["start"].isoformat() for e in world.events("meeting.scheduled"))),
        outreach_drafts=dict(drafted),
        drafts_in_mailbox=len(world.draft_message_ids()),
        confirmations=len(confirmed),
        sent_confirmations=sum(1 for m in world.sent_message_ids() if m in confirmation_ids),
    )


def finish_the_story(world: FaultWorld) -> Outcome:
    """Step to the day before the meeting, past the confirmation, and say what happened."""
    world.at(MEETING_AT - timedelta(days=1) - timedelta(minutes=30))
    world.steps(minutes=60, every=5)
    return outcome(world)


def play_without_faults(provider: str, tmp_path: Path) -> Outcome:
    """The story's outcome when nothing fails: what every fault test must converge to."""
    for world in open_world(provider, tmp_path):
        set_the_scene(world)
        things_happen(world)
        world.steps(minutes=5)
        found = finish_the_story(world)
        # Each fact and message once: Grace's outreach waits as the one draft, and the
        # meeting is confirmed by one message.
        assert found.outreach_drafts == {ADA: 1, GRACE: 1}
        # Ada's one answer: her invitation mail is meeting mail, not a second reply.
        assert len(found.replies) == 1, found.replies
        assert (found.drafts_in_mailbox, found.confirmations, found.sent_confirmations) == (1, 1, 1)
        assert len(found.meetings) == 1
        return found
    raise AssertionError("unreachable: open_world yields once")

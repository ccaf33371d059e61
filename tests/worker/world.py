"""A small world for worker tests: an app on SQLite, a running sandbox, its Google account
connected, and story steps (the user's clicks, the contact's answers) on one clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from events.clock import ManualClock
from events.ids import derive_id
from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.projections.pipeline import ContactRow
from events.types import AccountConnected
from events.types import Provider as ProviderName
from integrations.google.provider import GmailProvider
from integrations.protocol import Provider
from integrations.sandbox import Sandbox
from tests.worker.conftest import worker_env
from worker.domain.policies.actions import Action
from worker.runner.runtime import Runtime
from worker.services.app import App, open_app
from worker.services.contacts import ContactBook, NewContact
from worker.services.rendering import Renderer
from worker.services.settings import load_settings
from worker.services.tick import tick

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00 in London
ZONE = "Europe/London"
ACCOUNT = "sandbox-google"


def world_env(tmp_path: Path, *, summary: bool = False) -> dict[str, str]:
    """The environment of the world's app; a command run with it sees the same settings.

    The daily summary (a message to the user's own address) is off unless asked for: a story
    about one contact counts the messages that reach people, and the summary has tests and
    stories of its own (test_daily_summary, test_action_table)."""
    env = worker_env(tmp_path, f"sqlite:///{tmp_path / 'w.db'}")
    config = Path(env["OUTREACH_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(
        f'[profile]\nname = "Sam Rivera"\n\n[policy]\ntime_zone = "{ZONE}"\n'
        f"summary = {'true' if summary else 'false'}\n"
    )
    return env


class World:
    """Everything a worker test needs, started together; `close()` stops it all.

    Parameters:
      tmp_path: where the database and settings live.
      start: the first reading of the app's and the sandbox's clocks.
    """

    #: The account connected at the start; a subclass may connect another provider's.
    account_id = ACCOUNT
    account_provider: ProviderName = "sandbox"

    def __init__(self, tmp_path: Path, start: datetime = START, *, summary: bool = False) -> None:
        self.clock = ManualClock(start)
        self.env = world_env(tmp_path, summary=summary)
        self.app: App = open_app(load_settings(self.env), self.clock)
        self.sandbox = Sandbox(seed=11, start=start).start()
        self.endpoints: dict[str, Any] = self.sandbox.endpoints()
        self.email: str = self.account_email()
        self._local = threading.local()
        self._opened: list[Any] = []
        self.record_connection(derive_id("world", "account"))
        self.runtime = Runtime(
            app=self.app, provider_for=self.provider_for, renderer=Renderer(tmp_path / "none")
        )
        self.book = ContactBook(self.app)

    def record_connection(self, event_id: str) -> None:
        """What `outreach connect` records (again, on reconnecting)."""
        self.app.journal.record(
            AccountConnected(
                account_id=self.account_id,
                provider=self.account_provider,
                email=self.email,
                time_zone=ZONE,
            ),
            event_id=event_id,
        )

    def account_email(self) -> str:
        return str(self.endpoints["google"]["email"])

    def provider_for(self, _account: AccountRow) -> Provider:
        # httplib2 is not thread-safe: one provider per thread.
        if not hasattr(self._local, "provider"):
            self._local.provider = GmailProvider.from_sandbox(self.endpoints, account_id=ACCOUNT)
            self._opened.append(self._local.provider)
        provider: Provider = self._local.provider
        return provider

    def close(self) -> None:
        for p in self._opened:
            p.close()
        self.sandbox.stop()
        self.app.close()

    # --- time and the log -----------------------------------------------------------

    def at(self, when: datetime) -> None:
        self.clock.set(when)
        self.sandbox.clock.set(when)

    def later(self, **delta: float) -> None:
        self.at(self.clock.now() + timedelta(**delta))

    def sync(self) -> None:
        self.runtime.sync(self.account_id)

    def due(self, kind: str | None = None) -> list[Action]:
        found: list[Action] = []
        tick(self.app, found.append)
        return [a for a in found if kind is None or a.kind == kind]

    def one_due(self, kind: str) -> Action:
        found = self.due(kind)
        assert len(found) == 1, (kind, found)
        return found[0]

    def perform(self, kind: str) -> None:
        """Do the due action of this kind in-process (a setup step, not under test)."""
        assert self.runtime.perform(self.one_due(kind).to_message()) == "done"

    def events(self, type_: str) -> list[dict[str, Any]]:
        """The events of one type, decoded (personal fields readable)."""
        stored = self.app.store.read_all(types={type_})
        return [self.app.codec.decode(e).event.fields() for e in stored]

    def contact(self, email: str) -> ContactRow:
        return self.book.resolve(email)

    def drafts(self, status: str | None = "pending") -> list[DraftRow]:
        self.app.projector.catch_up()
        rows = self.app.projector.rows(DraftRow)
        return [d for d in rows if status is None or d.status == status]

    def mail(self) -> dict[str, Any]:
        state: dict[str, Any] = self.sandbox.google.mail_state()
        return state

    # --- the story ------------------------------------------------------------------

    def add(self, name: str, email: str, **extra: Any) -> ContactRow:
        return self.book.add(NewContact(name=name, emails=[email], **extra), reach_out=True)

    def user_sends(self, draft: DraftRow) -> None:
        self.sandbox.google.user_sends_draft(draft.provider_draft_id)
        self.sync()

    def reply(self, email: str, body: str = "Happy to talk!") -> None:
        last = self.contact(email).last_message_id
        assert last, f"nothing sent to {email}"
        self.sandbox.google.deliver_reply(to_message=last, body=body)
        self.sync()

    def invite(
        self,
        email: str,
        start: datetime,
        minutes: int = 30,
        *,
        place: str = "Blue Bottle Coffee, 300 Webster Street, Oakland",
        meet: bool = False,
        accept: bool = True,
    ) -> str:
        """The contact invites the user (to `place`, or a Meet call), and the user accepts
        in their calendar unless `accept` is False (nothing is confirmed until then)."""
        ev = self.sandbox.google.send_invite(
            organizer=email,
            summary="Coffee chat",
            start=start,
            end=start + timedelta(minutes=minutes),
            time_zone=ZONE,
            location=place,
            meet=meet,
        )
        if accept:
            self.accept(str(ev["id"]))
        self.sync()
        return str(ev["id"])

    def accept(self, event_id: str) -> None:
        """The user accepts an invitation in their calendar."""
        self.sandbox.google.respond_to_event(
            event_id, attendee=self.account_email(), response="accepted"
        )

    def outreach_sent(self, name: str, email: str, **extra: Any) -> ContactRow:
        """A contact written to: outreach drafted, then sent by the user."""
        self.add(name, email, **extra)
        self.perform("draft_outreach")
        [draft] = [d for d in self.drafts() if d.to == email]
        self.user_sends(draft)
        return self.contact(email)

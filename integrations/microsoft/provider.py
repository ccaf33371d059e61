"""OutlookProvider: one Microsoft 365 / Outlook.com mailbox and calendar behind the
provider protocol."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import requests

from integrations.microsoft.auth import SaveCache, TokenSource, discard
from integrations.microsoft.calendar import Events
from integrations.microsoft.graph import GRAPH_URL, TIMEOUT, Graph
from integrations.microsoft.mail import DEFAULT_GRACE, Mail
from integrations.microsoft.sync import DRAFTS_EVERY, MailboxSync
from integrations.protocol import (
    BusyTime,
    CreatedEvent,
    DraftRef,
    DraftText,
    EventRequest,
    NeedsReconnect,
    OutgoingMessage,
    SentRef,
    SyncBatch,
)
from integrations.retry import Backoff, Sleep


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OutlookProvider:
    """Outlook mail and the default calendar of one connected Microsoft account.

    Parameters:
        account_id: our id for the connected account.
        email: the account's address.
        tokens: MSAL-backed access tokens; refreshed as needed, never logged.
        graph_url: the Graph root, ending in /v1.0.
        time_zone: the zone Graph renders event times in (Prefer outlook.timezone).
        sleep: used for backoff (tests pass a fake one).
        clock: the current time, aware (grace period, calendar window, drafts schedule).
        grace: how long a message we submitted may stay invisible before sending it
            again is allowed.
        backoff: the retry policy (defaults to 5 attempts with jitter, using `sleep`).
        timeout: (connect, read) seconds per request.
        limiter: the in-flight bound shared by every provider of this mailbox.
        page_size: items per delta page.
        pages_per_sync: delta pages per resource and call before reporting incomplete.
        drafts_every: the longest wait between two looks at Drafts when nothing changed.
        trust_env: let requests read proxy settings from the environment.
        reconnect_command: what the user runs when the grant is dead (names this
            account's client id, tenant and address); None keeps the generic command.
    """

    def __init__(
        self,
        account_id: str,
        email: str,
        tokens: TokenSource,
        graph_url: str = GRAPH_URL,
        *,
        time_zone: str = "UTC",
        sleep: Sleep = time.sleep,
        clock: Callable[[], datetime] = _utc_now,
        grace: timedelta = DEFAULT_GRACE,
        backoff: Backoff | None = None,
        timeout: tuple[float, float] = TIMEOUT,
        limiter: threading.Semaphore | None = None,
        page_size: int = 100,
        pages_per_sync: int = 10,
        drafts_every: timedelta = DRAFTS_EVERY,
        trust_env: bool = True,
        reconnect_command: str | None = None,
    ) -> None:
        self.account_id = account_id
        self.reconnect_command = reconnect_command
        self.email = email
        self.tokens = tokens
        self.graph = Graph(
            tokens,
            graph_url,
            time_zone=time_zone,
            backoff=backoff or Backoff(sleep=sleep),
            timeout=timeout,
            limiter=limiter,
            trust_env=trust_env,
        )
        self._mail = Mail(self.graph, email, clock, grace)
        self._events = Events(self.graph, email)
        self._mailbox = MailboxSync(
            self.graph,
            self._mail,
            self._events,
            email,
            clock,
            page_size=page_size,
            pages_per_sync=pages_per_sync,
            drafts_every=drafts_every,
        )

    @classmethod
    def from_sandbox(
        cls,
        sandbox_endpoints: Mapping[str, Any],
        sandbox: Any = None,
        *,
        account_id: str = "sandbox-microsoft",
        save: SaveCache | None = None,
        **options: Any,
    ) -> OutlookProvider:
        """A provider for the ready-made account of a running sandbox (tests, demo).

        `sandbox` (a Sandbox or the MicrosoftEmulator) supplies the test CA the identity
        server's TLS certificate is signed with. MSAL gets its own requests session that
        trusts that CA and ignores REQUESTS_CA_BUNDLE (which would override `verify`).
        """
        microsoft = sandbox_endpoints["microsoft"]
        emulator = getattr(sandbox, "microsoft", sandbox)
        ca = getattr(emulator, "ca_cert_path", None)
        session = requests.Session()
        session.trust_env = False
        session.verify = ca if ca else True
        tokens = TokenSource.build(
            microsoft["client_id"],
            sandbox_endpoints["microsoft_authority"],
            microsoft["email"],
            http_client=session,
            save=save or discard,
        )
        tokens.import_refresh_token(microsoft["refresh_token"])
        options.setdefault("trust_env", False)  # loopback Graph: no proxy
        return cls(account_id, microsoft["email"], tokens, sandbox_endpoints["graph"], **options)

    # lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the pooled connections."""
        self.graph.close()

    def __enter__(self) -> OutlookProvider:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def account_address(self) -> str:
        """The signed-in user's address from Graph's /me: `mail`, or the sign-in name when
        the mailbox has none (some personal accounts)."""
        with self._reconnect_as_account():
            me = self.graph.get(
                "/me", what="graph.me", params={"$select": "mail,userPrincipalName"}
            )
        return str(me.get("mail") or me.get("userPrincipalName") or "").strip().lower()

    @property
    def resyncs(self) -> dict[str, int]:
        """Full resyncs done after an expired delta token, per cursor."""
        return dict(self._mailbox.resyncs)

    @contextmanager
    def _reconnect_as_account(self) -> Iterator[None]:
        """Name this account's own reconnect command in NeedsReconnect: the adapter's
        layers only know the generic one, and `outreach status` shows what is raised."""
        try:
            yield
        except NeedsReconnect as exc:
            if self.reconnect_command is None or exc.command == self.reconnect_command:
                raise
            raise NeedsReconnect(str(exc), command=self.reconnect_command) from None

    # the protocol -------------------------------------------------------------------------
    def create_draft(self, message: OutgoingMessage) -> DraftRef:
        with self._reconnect_as_account():
            return self._mail.create_draft(message)

    def update_draft(self, provider_draft_id: str, message: OutgoingMessage) -> DraftRef:
        with self._reconnect_as_account():
            return self._mail.update_draft(provider_draft_id, message)

    def delete_draft(self, provider_draft_id: str) -> None:
        with self._reconnect_as_account():
            self._mail.delete_draft(provider_draft_id)

    def read_draft(self, provider_draft_id: str) -> DraftText | None:
        with self._reconnect_as_account():
            return self._mail.read_draft(provider_draft_id)

    def send_draft(self, provider_draft_id: str) -> SentRef:
        with self._reconnect_as_account():
            return self._mail.send_draft(provider_draft_id)

    def send_message(self, message: OutgoingMessage) -> SentRef:
        with self._reconnect_as_account():
            return self._mail.send_message(message)

    def find_sent(self, message_id: str) -> SentRef | None:
        with self._reconnect_as_account():
            return self._mail.find_sent(message_id)

    def create_event(self, request: EventRequest) -> CreatedEvent:
        with self._reconnect_as_account():
            return self._events.create(request)

    def busy(self, start: datetime, end: datetime) -> list[BusyTime]:
        with self._reconnect_as_account():
            return self._events.busy(start, end)

    def sync(
        self, cursors: dict[str, str], addresses: set[str], drafts: Collection[str] = ()
    ) -> SyncBatch:
        """Mail, drafts and calendar changes since `cursors`; the caller's dict is left alone."""
        out = dict(cursors)
        with self._reconnect_as_account():
            changes = self._mailbox.sync(out, addresses, drafts)
        return SyncBatch(
            messages=changes.messages,
            drafts_gone=changes.drafts_gone,
            events=changes.events,
            cursors=out,
            incomplete=changes.incomplete,
        )

"""GmailProvider: one Google account's mailbox and calendar behind the provider protocol."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from google.auth.credentials import Credentials
from google.oauth2.credentials import Credentials as UserCredentials

from integrations.google.calendar import Events
from integrations.google.client import (
    TIMEOUT_S,
    Calls,
    GoogleEndpoints,
    Grant,
    authorized_http,
    build_service,
)
from integrations.google.mail import Mail
from integrations.google.retry import QuotaBudget
from integrations.google.sync import MailboxSync
from integrations.protocol import (
    BusyTime,
    CreatedEvent,
    DraftRef,
    DraftText,
    EventRequest,
    OutgoingMessage,
    SentRef,
    SyncBatch,
)
from integrations.retry import Backoff, Sleep


def _utc_now() -> datetime:
    return datetime.now(UTC)


class GmailProvider:
    """Gmail and the primary Google Calendar of one connected account.

    Parameters:
        account_id: our id for the connected account.
        email: the account's address (the From of what we send).
        credentials: google-auth credentials; refreshed as needed, never logged.
        endpoints: where the APIs live (Google's by default).
        sleep: used for backoff and quota waits (tests pass a fake one).
        clock: the current time, aware (bounds the calendar's first sync window).
        budget: the account's Gmail quota bucket; pass the same one to every provider
            built for the account so they pace together.
        backoff: the retry policy (defaults to 5 attempts with jitter, using `sleep`).
        timeout: socket timeout in seconds.
        pages_per_sync: first-sync pages per call before it reports incomplete.
        page_size: messages per first-sync page (Gmail allows up to 500).
        address_key: a secret keying the digests of searched addresses kept in the
            cursors (see MailboxSync); pass one derived from the master key.
    """

    def __init__(
        self,
        account_id: str,
        email: str,
        credentials: Credentials,
        endpoints: GoogleEndpoints | None = None,
        *,
        sleep: Sleep = time.sleep,
        clock: Callable[[], datetime] = _utc_now,
        budget: QuotaBudget | None = None,
        backoff: Backoff | None = None,
        timeout: float = TIMEOUT_S,
        pages_per_sync: int = 5,
        page_size: int = 100,
        address_key: bytes | None = None,
    ) -> None:
        self.account_id = account_id
        self.email = email
        self.endpoints = endpoints or GoogleEndpoints()
        self.backoff = backoff or Backoff(sleep=sleep)
        self.budget = budget or QuotaBudget(sleep=sleep)
        self.calendar_budget = QuotaBudget.for_calendar(sleep=sleep)
        self.grant = Grant()
        self._http = authorized_http(credentials, timeout)
        self._gmail = build_service("gmail", "v1", self.endpoints.gmail, self._http)
        self._calendar = build_service("calendar", "v3", self.endpoints.calendar, self._http)
        gmail_calls = Calls(email, self.backoff, self.budget, self.grant)
        calendar_calls = Calls(email, self.backoff, self.calendar_budget, self.grant)
        self._mail = Mail(self._gmail, gmail_calls, email)
        self._mailbox = MailboxSync(
            self._gmail,
            gmail_calls,
            email,
            self.endpoints.gmail_batch,
            page_size=page_size,
            pages_per_sync=pages_per_sync,
            address_key=address_key,
        )
        self._events = Events(self._calendar, calendar_calls, email, clock)

    @classmethod
    def from_sandbox(
        cls,
        sandbox_endpoints: Mapping[str, Any],
        *,
        account_id: str = "sandbox-google",
        **options: Any,
    ) -> GmailProvider:
        """A provider for the ready-made account of a running sandbox (tests, demo)."""
        google = sandbox_endpoints["google"]
        credentials = UserCredentials(
            token=google.get("access_token"),
            refresh_token=google["refresh_token"],
            token_uri=sandbox_endpoints["google_token_uri"],
            client_id=google["client_id"],
            client_secret=google["client_secret"],
        )
        endpoints = GoogleEndpoints.from_mapping(sandbox_endpoints)
        return cls(account_id, google["email"], credentials, endpoints, **options)

    # lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the pooled connections (httplib2 keeps sockets open)."""
        self._gmail.close()
        self._calendar.close()

    def __enter__(self) -> GmailProvider:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # identity (read when connecting) ---------------------------------------------------
    def account_address(self) -> str:
        """The address Gmail says this mailbox has."""
        return self._mail.address()

    def calendar_time_zone(self) -> str:
        """The primary calendar's IANA time zone."""
        return self._events.time_zone()

    # the protocol ----------------------------------------------------------------------
    def create_draft(self, message: OutgoingMessage) -> DraftRef:
        return self._mail.create_draft(message)

    def update_draft(self, provider_draft_id: str, message: OutgoingMessage) -> DraftRef:
        return self._mail.update_draft(provider_draft_id, message)

    def delete_draft(self, provider_draft_id: str) -> None:
        self._mail.delete_draft(provider_draft_id)

    def read_draft(self, provider_draft_id: str) -> DraftText | None:
        return self._mail.read_draft(provider_draft_id)

    def send_draft(self, provider_draft_id: str) -> SentRef:
        return self._mail.send_draft(provider_draft_id)

    def send_message(self, message: OutgoingMessage) -> SentRef:
        return self._mail.send_message(message)

    def find_sent(self, message_id: str) -> SentRef | None:
        return self._mail.find_sent(message_id)

    def create_event(self, request: EventRequest) -> CreatedEvent:
        return self._events.create(request)

    def busy(self, start: datetime, end: datetime) -> list[BusyTime]:
        return self._events.busy(start, end)

    def sync(
        self, cursors: dict[str, str], addresses: set[str], drafts: Collection[str] = ()
    ) -> SyncBatch:
        """Mail and calendar changes since `cursors`; the caller's dict is left alone."""
        out = dict(cursors)
        mail = self._mailbox.sync(out, addresses, drafts)
        events = self._events.sync(out, addresses)
        return SyncBatch(
            messages=mail.messages,
            drafts_gone=mail.drafts_gone,
            events=events,
            cursors=out,
            incomplete=mail.incomplete,
        )

"""Connected Google accounts: their stored grant, their ids, and a GmailProvider for each."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from google.oauth2.credentials import Credentials as UserCredentials

from events.ids import derive_id
from events.projections.accounts import AccountRow
from integrations.google import GmailProvider, GoogleEndpoints
from integrations.google.errors import reconnect_command
from integrations.protocol import NeedsReconnect
from worker.accounts.token_store import load_secret
from worker.services.settings import Settings

SCOPES = (
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/calendar.events",
)


def google_account_id(email: str) -> str:
    """One account id per address: reconnecting the same address finds its cursors again."""
    return derive_id("account", "google", email.strip().lower())


@dataclass(frozen=True)
class GoogleGrant:
    """What the token file of a Google account holds (sealed as JSON).

    The client id and secret travel with the refresh token because Google refreshes only
    for the client that was granted; `endpoints` is set only for accounts connected to
    somewhere other than Google (the sandbox).
    """

    refresh_token: str = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)
    token_uri: str
    scopes: list[str]
    endpoints: dict[str, str] | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> GoogleGrant:
        data = json.loads(text)
        return cls(
            refresh_token=str(data["refresh_token"]),
            client_id=str(data["client_id"]),
            client_secret=str(data["client_secret"]),
            token_uri=str(data["token_uri"]),
            scopes=[str(s) for s in data.get("scopes", [])],
            endpoints=data.get("endpoints"),
        )

    def credentials(self) -> UserCredentials:
        return UserCredentials(
            token=None,
            refresh_token=self.refresh_token,
            token_uri=self.token_uri,
            client_id=self.client_id,
            client_secret=self.client_secret,
            scopes=list(self.scopes),
        )


def address_key(settings: Settings, account_id: str) -> bytes:
    """The key the mailbox sync hashes tracked addresses with before they go into a
    cursor: cursors are logged in clear, and a forgotten contact's address must not be."""
    return hashlib.sha256(
        b"outreach-address-digest\x00" + settings.secret_key + account_id.encode()
    ).digest()


def load_grant(settings: Settings, account: AccountRow) -> GoogleGrant:
    """The account's stored grant; a missing or unopenable one means reconnecting."""
    text = load_secret(settings, account.account_id, reconnect_command(account.email))
    try:
        return GoogleGrant.from_json(text)
    except (ValueError, KeyError, TypeError):
        raise NeedsReconnect(
            f"the token file of {account.email} is not a Google grant",
            command=reconnect_command(account.email),
        ) from None


def google_provider(settings: Settings, account: AccountRow, **options: Any) -> GmailProvider:
    """A GmailProvider for a connected Google account, from its token file.

    `options` go to GmailProvider (sleep, clock, budget, page sizes...). A provider is
    not thread-safe (httplib2): build one per thread. Raises NeedsReconnect when the
    token is missing or cannot be opened.
    """
    grant = load_grant(settings, account)
    endpoints = GoogleEndpoints.from_mapping(grant.endpoints) if grant.endpoints else None
    options.setdefault("address_key", address_key(settings, account.account_id))
    return GmailProvider(
        account.account_id, account.email, grant.credentials(), endpoints, **options
    )

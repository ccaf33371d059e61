"""Providers for one-shot commands: the connected account's mailbox, or a clear refusal.

Real accounts need stored OAuth tokens, which arrive with `outreach connect`; until
then only the sandbox account can be reached, through the endpoints that
`outreach sandbox` prints (saved to a file named by OUTREACH_SANDBOX_ENDPOINTS).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from events.projections.accounts import AccountRow
from integrations.protocol import Provider
from worker.app import App

SANDBOX_ENDPOINTS = "OUTREACH_SANDBOX_ENDPOINTS"


class ProviderUnavailable(LookupError):
    """The account's mailbox cannot be reached from here; the message says what to do."""


def sandbox_endpoints(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The endpoints a running `outreach sandbox` printed, read from the configured file."""
    env = os.environ if env is None else env
    where = env.get(SANDBOX_ENDPOINTS, "").strip()
    if not where:
        raise ProviderUnavailable(
            f"the sandbox account needs a running sandbox: start `outreach sandbox`, save its "
            f"first line to a file and set {SANDBOX_ENDPOINTS} to that file"
        )
    path = Path(where)
    try:
        line = path.read_text(encoding="utf-8").strip().splitlines()[0]
        found = json.loads(line)
    except (OSError, IndexError, json.JSONDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not the JSON line it printed"
        raise ProviderUnavailable(f"{SANDBOX_ENDPOINTS}={path}: {reason}") from None
    if not isinstance(found, dict) or not isinstance(found.get("google"), dict):
        raise ProviderUnavailable(f"{SANDBOX_ENDPOINTS}={path}: no Google sandbox endpoints")
    return found


def provider_for(
    app: App, account: AccountRow, env: Mapping[str, str] | None = None, **options: Any
) -> Provider:
    """The provider of `account`, or ProviderUnavailable saying why it cannot be reached.

    The app is the seam for the token store of real accounts (it holds the settings).
    `options` go to a Microsoft account's OutlookProvider (the runtime shares one
    in-flight limiter per mailbox through them).
    """
    if account.status == "removed":
        raise ProviderUnavailable(f"account {account.email} was removed")
    if account.status != "connected":
        raise ProviderUnavailable(
            f"account {account.email} needs reconnecting: {account.command or 'reconnect it'}"
        )
    if account.provider == "google":
        # Imported here: the Google client libraries are slow to import.
        from worker.google_accounts import google_provider

        return google_provider(app.settings, account)
    if account.provider == "microsoft":
        # Imported here: msal is slow to import and most commands never reach a mailbox.
        from worker.microsoft_accounts import microsoft_provider

        return microsoft_provider(app.settings, account, **options)
    if account.provider != "sandbox":
        raise ProviderUnavailable(f"account {account.email}: unknown provider {account.provider}")
    endpoints = sandbox_endpoints(env)
    google = endpoints["google"]
    if str(google.get("email", "")).lower() != account.email.lower():
        raise ProviderUnavailable(
            f"account {account.email} is not the running sandbox's account {google.get('email')}"
        )
    # Imported here: the Google client libraries are slow to import and most commands
    # never reach a mailbox.
    from integrations.google.provider import GmailProvider

    return GmailProvider.from_sandbox(endpoints, account_id=account.account_id)


@contextmanager
def opened_provider(
    app: App, account: AccountRow, env: Mapping[str, str] | None = None
) -> Iterator[Provider]:
    """`provider_for`, closing the provider's connections afterwards."""
    provider = provider_for(app, account, env)
    try:
        yield provider
    finally:
        close = getattr(provider, "close", None)
        if callable(close):
            close()

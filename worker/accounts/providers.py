"""Providers for one-shot commands: the connected account's mailbox, or a clear refusal.

Real accounts need stored OAuth tokens, which arrive with `outreach connect`; until
then only the sandbox account can be reached, through the endpoints that
`outreach sandbox` prints (saved to a file named by OUTREACH_SANDBOX_ENDPOINTS).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from events.projections.accounts import AccountRow
from integrations.protocol import Provider
from worker.accounts.registry import BUILDERS
from worker.accounts.sandbox import ProviderUnavailable
from worker.services.app import App


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
    build = BUILDERS.get(account.provider)
    if build is None:
        raise ProviderUnavailable(f"account {account.email}: unknown provider {account.provider}")
    return build(app.settings, account, os.environ if env is None else env, options)


@contextmanager
def opened_provider(
    app: App, account: AccountRow, env: Mapping[str, str] | None = None
) -> Iterator[Provider]:
    """`provider_for`, closing the provider's connections afterwards."""
    provider = provider_for(app, account, env)
    try:
        yield provider
    finally:
        provider.close()

"""Providers for the long-running commands (`run`, `worker`): one per thread per account.

Building one is `worker.accounts.providers.provider_for` (sandbox accounts through the file named
by OUTREACH_SANDBOX_ENDPOINTS); this adds the per-thread cache actors need and turns a
real account without a stored grant into NeedsReconnect, which `outreach status` shows
with the command to run.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from events.projections.accounts import AccountRow
from integrations.microsoft.graph import MAX_CONCURRENT
from integrations.protocol import NeedsReconnect, Provider, TransientProviderError
from worker.accounts.providers import provider_for
from worker.accounts.sandbox import ProviderUnavailable
from worker.services.app import App


class ProviderFactory:
    """Gives each account its provider, one per thread per account.

    httplib2 (under the Google client) is not thread-safe, so a provider is never
    shared between actor threads.

    Parameters:
      app: the opened application (the seam for real accounts' token store).
      env: where OUTREACH_SANDBOX_ENDPOINTS is read.
    """

    def __init__(self, app: App, env: Mapping[str, str]) -> None:
        self._app = app
        self._env = dict(env)
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()
        # Outlook serves four requests in flight per app and mailbox: every thread's
        # provider of one Microsoft account shares one bound instead of four each.
        self._limiters: dict[str, threading.BoundedSemaphore] = {}

    def __call__(self, account: AccountRow) -> Provider:
        cache: dict[str, Provider] | None = getattr(self._local, "providers", None)
        if cache is None:
            cache = self._local.providers = {}
        # Keyed by the connection too: after `outreach connect` again (a revoked grant),
        # the next call builds from the new token file instead of the dead grant.
        key = f"{account.account_id}@{account.connected_at}"
        provider = cache.get(key)
        if provider is None:
            provider = self._build(account)
            cache[key] = provider
            with self._lock:
                self._opened.append(provider)
        return provider

    def _build(self, account: AccountRow) -> Provider:
        options: dict[str, Any] = {}
        # A sandbox account may be the Microsoft emulator's (the Gmail one ignores these).
        if account.provider in ("microsoft", "sandbox"):
            with self._lock:
                limiter = self._limiters.setdefault(
                    account.account_id, threading.BoundedSemaphore(MAX_CONCURRENT)
                )
            options["limiter"] = limiter
            # The calendar window and the Outbox grace are reckoned from the app's clock.
            options["clock"] = self._app.clock.now
        try:
            return provider_for(self._app, account, self._env, **options)
        except ProviderUnavailable as exc:
            if account.provider == "sandbox":
                # A setup problem of this machine (its endpoints file is gone), not the
                # account's grant: the worker records it and asks again after the
                # account's growing pause, as when a provider is down.
                raise TransientProviderError(str(exc)) from None
            raise NeedsReconnect(str(exc), command=f"outreach connect {account.provider}") from None

    def close(self) -> None:
        """Close every provider this factory opened (their sockets stay open otherwise)."""
        with self._lock:
            opened, self._opened = self._opened, []
        for provider in opened:
            close = getattr(provider, "close", None)
            if callable(close):
                close()

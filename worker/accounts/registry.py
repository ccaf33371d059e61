"""The provider registry: which adapter serves each kind of account, as one explicit table.

Every command and run mode gets a provider for an account through `provider_for` (one-shot)
or `ProviderFactory` (long-running, in `run_providers`); nothing else names an adapter.
Each builder imports its adapter when called: the Google and Microsoft client libraries are
slow to import and most commands never reach a mailbox.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from events.projections.accounts import AccountRow
from events.types import Provider as ProviderName
from integrations.protocol import Provider
from worker.accounts.sandbox import sandbox_endpoints
from worker.services.settings import Settings

#: Builds the provider of one connected account of its kind.
Builder = Callable[[Settings, AccountRow, Mapping[str, str], dict[str, Any]], Provider]


def _google(
    settings: Settings, account: AccountRow, _env: Mapping[str, str], _options: dict[str, Any]
) -> Provider:
    from worker.accounts.google import google_provider

    return google_provider(settings, account)


def _microsoft(
    settings: Settings, account: AccountRow, _env: Mapping[str, str], options: dict[str, Any]
) -> Provider:
    from worker.accounts.microsoft import microsoft_provider

    return microsoft_provider(settings, account, **options)


def _sandbox(
    settings: Settings, account: AccountRow, env: Mapping[str, str], options: dict[str, Any]
) -> Provider:
    endpoints = sandbox_endpoints(env)
    if sandbox_outlook(endpoints, account.email):
        options.setdefault("time_zone", settings.policy.time_zone)
        return sandbox_outlook_provider(endpoints, account.account_id, **options)
    return sandbox_provider(endpoints, account.account_id)


def sandbox_provider(endpoints: Mapping[str, Any], account_id: str) -> Provider:
    """The sandbox's Gmail emulator as a provider (the demo, `connect sandbox`, tests)."""
    from integrations.google.provider import GmailProvider

    return GmailProvider.from_sandbox(dict(endpoints), account_id=account_id)


def sandbox_outlook(endpoints: Mapping[str, Any], email: str) -> bool:
    """Whether `email` is the sandbox's Outlook account (the Microsoft emulator's user):
    a sandbox account is Gmail or Outlook by the address it was connected with."""
    microsoft = endpoints.get("microsoft") or {}
    return str(microsoft.get("email", "")).lower() == email.lower()


def sandbox_outlook_provider(
    endpoints: Mapping[str, Any], account_id: str, **options: Any
) -> Provider:
    """The sandbox's Microsoft Graph emulator as a provider, signed in through MSAL; its
    identity server's TLS certificate is signed by the CA file the endpoints name."""
    from types import SimpleNamespace

    from integrations.microsoft import OutlookProvider

    ca = SimpleNamespace(ca_cert_path=endpoints["microsoft"].get("ca_cert"))
    return OutlookProvider.from_sandbox(dict(endpoints), ca, account_id=account_id, **options)


BUILDERS: Final[dict[ProviderName, Builder]] = {
    "google": _google,
    "microsoft": _microsoft,
    "sandbox": _sandbox,
}

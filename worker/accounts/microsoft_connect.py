"""Connecting a Microsoft account once: MSAL's device-code sign-in, the checks on what was
granted, storing MSAL's token cache sealed, and recording the account in the log.

Nothing is written until the sign-in has finished and Graph has said who signed in: an
interrupted or refused sign-in leaves no file and no event.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import msal
import requests

from integrations.microsoft.auth import public_client
from integrations.microsoft.graph import GRAPH_URL
from integrations.protocol import ProviderError
from worker.accounts.connecting import (
    Connected,
    ConnectError,
    Say,
    check_expected,
    quiet,
    record_connection,
)
from worker.accounts.microsoft import (
    SCOPES,
    MicrosoftEndpoints,
    MicrosoftGrant,
    MicrosoftSetupError,
    check_client_id,
    check_tenant,
    grant_endpoints,
    microsoft_account_id,
    token_source,
)
from worker.services.app import App

__all__ = ["ConnectError", "Connected", "connect", "sign_in"]

# msal logs its token-cache events at DEBUG (tokens redacted, the device code not always);
# urllib3 logs request lines. Held at INFO while signing in.
TOKEN_LOGGERS = ("msal", "urllib3")
PENDING = ("authorization_pending", "slow_down")
GRAPH_PREFIX = GRAPH_URL.rsplit("/", 1)[0].lower() + "/"  # https://graph.microsoft.com/

Sleep = Callable[[float], None]


def sign_in(
    client_id: str | None,
    tenant: str,
    *,
    endpoints: MicrosoftEndpoints,
    say: Say,
    sleep: Sleep = time.sleep,
    wall: Callable[[], float] = time.time,
) -> MicrosoftGrant:
    """The device-code flow: print the code and the page to type it in, poll until the
    user has signed in, and return the grant; refuses a partial consent.

    sleep: waits between polls (Ctrl-C raises KeyboardInterrupt out of it).
    wall: the wall clock MSAL's device code expires by (msal sets `expires_at` from it).
    """
    try:
        client_id = check_client_id(client_id)
        tenant = check_tenant(tenant)
    except MicrosoftSetupError as exc:
        raise ConnectError(str(exc)) from None
    authority = endpoints.authority(tenant)
    cache = msal.SerializableTokenCache()
    with quiet(*TOKEN_LOGGERS):
        app = _client(client_id, authority, cache, endpoints)
        try:
            flow = app.initiate_device_flow(scopes=list(SCOPES))
        except requests.RequestException as exc:
            raise ConnectError(f"cannot reach {authority} ({type(exc).__name__})") from None
        if "user_code" not in flow:
            raise ConnectError(_refusal(flow, client_id))
        say(
            f"To sign in, open {flow['verification_uri']} in a browser and enter the code "
            f"{flow['user_code']}"
        )
        say("Waiting for the sign-in to finish (Ctrl-C stops without saving anything)...")
        result = _poll(app, flow, sleep, wall)
    if "access_token" not in result:
        raise ConnectError(_refusal(result, client_id))
    granted = {_scope_name(s) for s in str(result.get("scope", "")).split()}
    missing = [s for s in SCOPES if s.lower() not in granted]
    if missing:
        raise ConnectError(
            f"Microsoft did not grant {', '.join(missing)}; run the command again and "
            "accept every permission (an administrator may have to consent for your "
            "organization)"
        )
    if not list(cache.search(msal.TokenCache.CredentialType.REFRESH_TOKEN)):
        raise ConnectError("Microsoft returned no refresh token; run the command again")
    return MicrosoftGrant(
        client_id=client_id,
        tenant=tenant,
        scopes=list(SCOPES),
        cache=cache.serialize(),
        endpoints=grant_endpoints(endpoints),
    )


def _client(
    client_id: str, authority: str, cache: msal.SerializableTokenCache, where: MicrosoftEndpoints
) -> msal.PublicClientApplication:
    try:
        return public_client(client_id, authority, cache, http_client=where.http_client())
    except requests.RequestException as exc:
        raise ConnectError(f"cannot reach {authority} ({type(exc).__name__})") from None
    except ValueError:
        # MSAL's "Unable to get authority configuration": Entra knows no such tenant.
        raise ConnectError(
            f"{authority}: no Microsoft sign-in there (is the --tenant right?)"
        ) from None


def _poll(
    app: msal.PublicClientApplication, flow: dict[str, Any], sleep: Sleep, wall: Callable[[], float]
) -> dict[str, Any]:
    """Poll the token endpoint once per interval until the user is done.

    One poll per call to MSAL (exit_condition is always true) so the waiting happens
    here: `sleep` is injectable and Ctrl-C lands between polls. MSAL itself adds 5 s to
    flow["interval"] on slow_down, as the device-flow RFC asks.
    """
    while True:
        try:
            result: dict[str, Any] = app.acquire_token_by_device_flow(
                flow, exit_condition=lambda _flow: True
            )
        except requests.RequestException as exc:
            reason = type(exc).__name__
            raise ConnectError(f"the sign-in stopped: connection failed ({reason})") from None
        if result.get("error") not in PENDING:
            return result
        if wall() >= float(flow.get("expires_at", 0)):
            raise ConnectError(
                "the code expired before the sign-in finished; run the command again"
            )
        sleep(float(flow.get("interval", 5)))


def _scope_name(scope: str) -> str:
    """`https://graph.microsoft.com/Mail.Send` (Entra's spelling) is `mail.send`."""
    lowered = scope.strip().lower()
    return lowered[len(GRAPH_PREFIX) :] if lowered.startswith(GRAPH_PREFIX) else lowered


def _refusal(answer: dict[str, Any], client_id: str) -> str:
    """One line for an OAuth error: the code, and for the common ones what to do.
    error_description is left out: it spans lines and carries trace ids, never a fix."""
    error = str(answer.get("error") or "no answer")
    if error == "expired_token":
        return "the code expired before the sign-in finished; run the command again"
    if error in ("authorization_declined", "access_denied"):
        return "the sign-in was declined on the Microsoft page; nothing was stored"
    if error in ("unauthorized_client", "invalid_client"):
        return (
            f"Microsoft does not know client id {client_id} for public sign-in ({error}); "
            "check --client-id and that the app registration allows public client flows"
        )
    return f"Microsoft refused the sign-in ({error})"


def read_identity(grant: MicrosoftGrant, **provider_options: Any) -> tuple[str, MicrosoftGrant]:
    """The signed-in address (Graph /me) and the grant with any cache change since."""
    changed: list[str] = []
    from integrations.microsoft import OutlookProvider

    try:
        tokens, where = token_source(grant, "", changed.append)
        provider_options.setdefault("trust_env", where.is_microsoft)
        with OutlookProvider("connecting", "", tokens, where.graph_url, **provider_options) as p:
            email = p.account_address()
    except ProviderError as exc:
        raise ConnectError(f"Microsoft answered, but reading the account failed: {exc}") from None
    if not email:
        raise ConnectError("Graph did not say which address signed in; run the command again")
    return email, replace(grant, cache=changed[-1]) if changed else grant


def connect(
    app: App,
    grant: MicrosoftGrant,
    *,
    expected: str | None = None,
    **provider_options: Any,
) -> Connected:
    """Store the grant and record the account; reconnecting keeps its cursors.

    The account's zone is the user's (policy.time_zone): Graph renders events in the
    zone we ask for, and reading the mailbox's own needs MailboxSettings.Read, a scope
    we do not ask for.
    """
    email, grant = read_identity(grant, **provider_options)
    check_expected(email, expected, "at the Microsoft sign-in page")
    return record_connection(
        app,
        provider="microsoft",
        account_id=microsoft_account_id(email),
        email=email,
        time_zone=app.settings.policy.time_zone,
        scopes=list(grant.scopes),
        secret=grant.to_json(),
    )

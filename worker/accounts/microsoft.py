"""Connected Microsoft accounts: where sign-in and Graph live, the stored grant (MSAL's
serialized token cache, sealed in the account's token file), and an OutlookProvider for
each that writes the cache back whenever MSAL changes it.

Endpoints default to Microsoft's. Three environment variables point them elsewhere
(the sandbox's emulator, a sovereign cloud); an account connected that way keeps them
in its token file, so `outreach run` reaches the same place without them:

  OUTREACH_MICROSOFT_LOGIN_URL   the sign-in host, tenant appended (https only: MSAL)
  OUTREACH_MICROSOFT_GRAPH_URL   the Graph root, ending in /v1.0
  OUTREACH_MICROSOFT_CA_BUNDLE   a CA file trusted for the sign-in host, instead of the
                                 environment's (REQUESTS_CA_BUNDLE would override it)

OUTREACH_MICROSOFT_CLIENT_ID is the default of `connect microsoft --client-id`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import requests

from events.errors import UserError
from events.ids import derive_id
from events.projections.accounts import AccountRow
from integrations.microsoft import OutlookProvider, TokenSource
from integrations.microsoft.auth import SCOPES as GRAPH_SCOPES
from integrations.microsoft.errors import RECONNECT_COMMAND, TRANSPORT_ERRORS, from_transport
from integrations.microsoft.graph import GRAPH_URL
from integrations.protocol import NeedsReconnect, TransientProviderError
from worker.accounts.token_store import TokenStore, load_secret
from worker.services.settings import Settings

log = logging.getLogger(__name__)

#: What `connect microsoft` asks for: the adapter's Graph scopes plus User.Read (Graph's
#: /me, which says which address signed in). MSAL adds openid, profile and
#: offline_access itself and refuses them when passed (ValueError: reserved scope).
SCOPES = (*GRAPH_SCOPES, "User.Read")
LOGIN_URL = "https://login.microsoftonline.com/"
TENANTS = ("common", "organizations", "consumers")

CLIENT_ID_ENV = "OUTREACH_MICROSOFT_CLIENT_ID"
LOGIN_URL_ENV = "OUTREACH_MICROSOFT_LOGIN_URL"
GRAPH_URL_ENV = "OUTREACH_MICROSOFT_GRAPH_URL"
CA_BUNDLE_ENV = "OUTREACH_MICROSOFT_CA_BUNDLE"

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# A verified domain of a tenant (contoso.onmicrosoft.com, contoso.com).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{4,253}}$)(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$")


class MicrosoftSetupError(UserError, ValueError):
    """A Microsoft setting or option is wrong; the one-line message names which."""


def check_tenant(value: str) -> str:
    """The tenant as the authority path takes it, or a one-line refusal."""
    tenant = value.strip()
    if tenant.lower() in TENANTS:
        return tenant.lower()
    if _GUID.fullmatch(tenant):
        return tenant.lower()
    if _DOMAIN.fullmatch(tenant):
        return tenant.lower()
    raise MicrosoftSetupError(
        f"--tenant {value!r}: expected common, organizations, consumers, a tenant id "
        "(GUID) or a tenant domain such as contoso.onmicrosoft.com"
    )


def check_client_id(value: str | None, env: Mapping[str, str] | None = None) -> str:
    """The application (client) id: the option, else OUTREACH_MICROSOFT_CLIENT_ID."""
    env = os.environ if env is None else env
    client_id = (value or env.get(CLIENT_ID_ENV, "")).strip()
    if not client_id:
        raise MicrosoftSetupError(
            f"no client id: pass --client-id (the Application (client) ID of your app "
            f"registration in Microsoft Entra) or set {CLIENT_ID_ENV}"
        )
    if not _GUID.fullmatch(client_id):
        raise MicrosoftSetupError(
            f"--client-id {client_id!r}: not an application (client) id; copy the GUID "
            "from the app registration's Overview page in Microsoft Entra"
        )
    return client_id.lower()


def microsoft_account_id(email: str) -> str:
    """One account id per address: reconnecting the same address finds its cursors again."""
    return derive_id("account", "microsoft", email.strip().lower())


@dataclass(frozen=True)
class MicrosoftEndpoints:
    """Where sign-in and Graph are reached.

    Parameters:
      login_url: the authority host; the tenant is appended.
      graph_url: the Graph root, ending in /v1.0.
      ca_bundle: a CA file to trust for the sign-in host (the emulator's local CA);
        None trusts the system's (and the environment's) CAs.
    """

    login_url: str = LOGIN_URL
    graph_url: str = GRAPH_URL
    ca_bundle: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MicrosoftEndpoints:
        env = os.environ if env is None else env
        login = env.get(LOGIN_URL_ENV, "").strip() or LOGIN_URL
        graph = env.get(GRAPH_URL_ENV, "").strip() or GRAPH_URL
        ca = env.get(CA_BUNDLE_ENV, "").strip() or None
        if not login.startswith("https://"):
            # MSAL refuses a plain-http authority; say so before it does, in one line.
            raise MicrosoftSetupError(f"{LOGIN_URL_ENV}={login}: must start with https://")
        if not graph.startswith(("https://", "http://")):
            raise MicrosoftSetupError(f"{GRAPH_URL_ENV}={graph}: not an http(s) URL")
        if ca is not None and not os.path.isfile(ca):
            raise MicrosoftSetupError(f"{CA_BUNDLE_ENV}={ca}: no such file")
        return cls(login.rstrip("/") + "/", graph.rstrip("/"), ca)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> MicrosoftEndpoints:
        ca = data.get("ca_bundle")
        return cls(str(data["login_url"]), str(data["graph_url"]), str(ca) if ca else None)

    @property
    def is_microsoft(self) -> bool:
        return self == MicrosoftEndpoints()

    def authority(self, tenant: str) -> str:
        return f"{self.login_url}{tenant}"

    def http_client(self) -> requests.Session | None:
        """The session MSAL talks through: None (MSAL's own) unless a CA is given, then
        one that trusts that CA only. requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE
        override `verify` when it reads the environment, so this one does not."""
        if self.ca_bundle is None:
            return None
        session = requests.Session()
        session.trust_env = False
        session.verify = self.ca_bundle
        return session


@dataclass(frozen=True)
class MicrosoftGrant:
    """What the token file of a Microsoft account holds (sealed as JSON).

    `cache` is MSAL's serialized token cache (refresh and access tokens, id token,
    account); MSAL reads and rotates the tokens in it, we only store it. `endpoints`
    is set only for accounts connected somewhere other than Microsoft (the sandbox).
    """

    client_id: str
    tenant: str
    scopes: list[str]
    cache: str = field(repr=False)
    endpoints: dict[str, str | None] | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> MicrosoftGrant:
        data = json.loads(text)
        return cls(
            client_id=str(data["client_id"]),
            tenant=str(data["tenant"]),
            scopes=[str(s) for s in data["scopes"]],
            cache=str(data["cache"]),
            endpoints=data.get("endpoints"),
        )

    def where(self) -> MicrosoftEndpoints:
        if self.endpoints:
            return MicrosoftEndpoints.from_mapping(self.endpoints)
        return MicrosoftEndpoints()

    def reconnect_command(self, email: str) -> str:
        """What `outreach status` tells the user to run when this grant stops working.

        Short enough for the status table: connecting an address again takes the client
        id and tenant from its token file (see `previous_grant`), so only a tenant other
        than the default needs naming (a token file may not open any more)."""
        tenant = f" --tenant {self.tenant}" if self.tenant != "common" else ""
        return f"{RECONNECT_COMMAND}{tenant} {email}"


def grant_endpoints(endpoints: MicrosoftEndpoints) -> dict[str, str | None] | None:
    """What a grant records of its endpoints: nothing for Microsoft's own."""
    return None if endpoints.is_microsoft else asdict(endpoints)


def token_source(
    grant: MicrosoftGrant, email: str, save: Any = None
) -> tuple[TokenSource, MicrosoftEndpoints]:
    """MSAL-backed tokens for a grant. MSAL reads the authority's OpenID configuration
    here, so an unreachable sign-in host raises TransientProviderError now."""
    where = grant.where()
    options: dict[str, Any] = {} if save is None else {"save": save}
    try:
        tokens = TokenSource.build(
            grant.client_id,
            where.authority(grant.tenant),
            email,
            serialized_cache=grant.cache,
            scopes=grant.scopes,
            http_client=where.http_client(),
            **options,
        )
    except TRANSPORT_ERRORS as error:
        raise from_transport(error, "microsoft.discovery") from None
    except ValueError:
        # MSAL's "Unable to get authority configuration": the host answered, not as Entra.
        raise TransientProviderError(
            f"microsoft.discovery: {where.authority(grant.tenant)} gave no sign-in configuration"
        ) from None
    return tokens, where


def previous_grant(settings: Settings, email: str) -> MicrosoftGrant | None:
    """The grant stored for this address, if one opens: reconnecting reuses its client
    id and tenant so the user need not remember them."""
    try:
        text = TokenStore(settings).load(microsoft_account_id(email))
        return MicrosoftGrant.from_json(text)
    except (LookupError, ValueError, KeyError, TypeError):
        return None


def load_grant(settings: Settings, account: AccountRow) -> MicrosoftGrant:
    """The account's stored grant; a missing, unopenable or foreign one means reconnecting."""
    command = f"{RECONNECT_COMMAND} {account.email}"
    text = load_secret(settings, account.account_id, command)
    try:
        return MicrosoftGrant.from_json(text)
    except (ValueError, KeyError, TypeError):
        raise NeedsReconnect(
            f"the token file of {account.email} is not a Microsoft grant", command=command
        ) from None


class CacheWriter:
    """The `save` of an account's TokenSource: seals MSAL's changed cache into the
    account's token file, keeping the rest of the grant.

    A removed account's file is not brought back by a provider still running.
    """

    def __init__(self, settings: Settings, account_id: str, grant: MicrosoftGrant) -> None:
        self._store = TokenStore(settings)
        self._account_id = account_id
        self._grant = grant
        self._lock = threading.Lock()

    def __call__(self, serialized: str) -> None:
        # One writer per token file in this process: each actor thread has its own
        # provider (and writer), and two saves at once would share one temporary file.
        with self._lock, _file_lock(self._store.path(self._account_id)):
            if not self._store.exists(self._account_id):
                return
            self._grant = replace(self._grant, cache=serialized)
            try:
                self._store.save(self._account_id, self._grant.to_json())
            except OSError as exc:
                # The tokens in memory still work; MSAL's next change is saved again.
                # (Another process writing the same file at this moment can cause it.)
                log.warning(
                    "token cache of %s not saved (%s)", self._account_id, type(exc).__name__
                )


_FILE_LOCKS: dict[Path, threading.Lock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _file_lock(path: Path) -> threading.Lock:
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(path, threading.Lock())


def microsoft_provider(settings: Settings, account: AccountRow, **options: Any) -> OutlookProvider:
    """An OutlookProvider for a connected Microsoft account, from its token file.

    `options` go to OutlookProvider (sleep, clock, limiter, page sizes...). Events are
    rendered in the user's zone (policy.time_zone). Raises NeedsReconnect when the grant
    is missing or cannot be opened, TransientProviderError when sign-in is unreachable.
    """
    grant = load_grant(settings, account)
    save = CacheWriter(settings, account.account_id, grant)
    tokens, where = token_source(grant, account.email, save)
    options.setdefault("time_zone", settings.policy.time_zone)
    # The emulator (or any private endpoint) is on loopback: no proxy from the environment.
    options.setdefault("trust_env", where.is_microsoft)
    options.setdefault("reconnect_command", grant.reconnect_command(account.email))
    return OutlookProvider(account.account_id, account.email, tokens, where.graph_url, **options)

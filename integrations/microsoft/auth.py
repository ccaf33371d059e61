"""Microsoft access tokens through MSAL: silent acquisition, a forced refresh after a 401,
and the token cache handed to a `save` callback whenever it changes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import msal

from integrations.microsoft.errors import (
    TRANSPORT_ERRORS,
    from_token_result,
    from_transport,
    reconnect,
)
from integrations.protocol import TransientProviderError

log = logging.getLogger(__name__)

#: Delegated Graph permissions the adapter needs: read and write mail (drafts), send,
#: and create events. MSAL adds openid/profile/offline_access itself.
SCOPES = ("Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite")

SaveCache = Callable[[str], None]


def discard(serialized: str) -> None:
    """A `save` that keeps nothing (tests, and accounts bootstrapped for one run)."""


def public_client(
    client_id: str,
    authority: str,
    cache: msal.SerializableTokenCache,
    *,
    http_client: Any = None,
    verify: bool | str = True,
) -> msal.PublicClientApplication:
    """An MSAL public client on `cache`, for signing in (device flow) and for TokenSource.

    MSAL fetches the authority's OpenID configuration here: a wrong or unreachable
    authority raises (ValueError or a requests error) before any sign-in starts.
    `http_client` (a requests.Session) replaces `verify` when given.
    """
    options: dict[str, Any] = {
        "authority": authority,
        "token_cache": cache,
        "http_cache": NoWallClockReplay(),
    }
    if http_client is not None:
        options["http_client"] = http_client
    else:
        options["verify"] = verify
    if not authority.startswith("https://login.microsoftonline.com/"):
        # A private authority (the sandbox's) is not in Microsoft's instance list.
        options["instance_discovery"] = False
    return msal.PublicClientApplication(client_id, **options)


class NoWallClockReplay(dict[str, Any]):
    """MSAL's `http_cache`, keeping everything but its replays of throttling: MSAL answers
    every refresh with a 429 or 5xx the token endpoint gave, for its Retry-After (5 s
    without one) by the wall clock. The worker spaces its retries itself, on its injected
    clock: a failure pauses the account for at least a minute and at least the
    Retry-After, so when it asks again the endpoint is asked (in a real deployment the
    replay has ended by then anyway; in a simulated run it would outlast hours of story).
    """

    def __setitem__(self, key: str, value: Any) -> None:
        if key.endswith(_THROTTLE_REPLAY):
            return  # MSAL then finds no replay and asks the endpoint (a KeyError to it)
        super().__setitem__(key, value)


#: How MSAL (msal/throttled_http_client.py) ends the keys of its 429/5xx replays;
#: tests/integrations/microsoft/test_auth.py fails if a new MSAL names them otherwise.
_THROTTLE_REPLAY = "429/5xx/Retry-After"


class TokenSource:
    """Access tokens for one signed-in Microsoft account.

    The cache lives in memory; every change to it (a refresh, a rotated refresh token)
    goes to `save` as a serialized string, which the worker stores encrypted. Tokens are
    never logged and never placed in an error message.

    Parameters:
        app: an MSAL PublicClientApplication whose token_cache is a SerializableTokenCache.
        email: the account's address (picks the cache entry when several are present).
        save: called with the serialized cache whenever it changed.
        scopes: the Graph scopes to ask for.
    """

    def __init__(
        self,
        app: msal.PublicClientApplication,
        email: str,
        *,
        save: SaveCache = discard,
        scopes: Sequence[str] = SCOPES,
    ) -> None:
        cache = app.token_cache
        if not isinstance(cache, msal.SerializableTokenCache):
            raise TypeError("the MSAL app needs a SerializableTokenCache to persist")
        self.app = app
        self.cache: msal.SerializableTokenCache = cache
        self.email = email
        self.save = save
        self.scopes = list(scopes)
        # One refresh at a time: threads that got a 401 together share the new token
        # instead of each spending (and rotating) the refresh token.
        self._lock = threading.Lock()
        self.refreshes = 0  # forced refreshes asked for, for tests and metrics

    @classmethod
    def build(
        cls,
        client_id: str,
        authority: str,
        email: str,
        *,
        serialized_cache: str | None = None,
        save: SaveCache = discard,
        scopes: Sequence[str] = SCOPES,
        http_client: Any = None,
        verify: bool | str = True,
    ) -> TokenSource:
        """A TokenSource over a new PublicClientApplication, its cache restored from
        `serialized_cache` (what `save` was last given)."""
        cache = msal.SerializableTokenCache()
        if serialized_cache:
            cache.deserialize(serialized_cache)
        app = public_client(client_id, authority, cache, http_client=http_client, verify=verify)
        return cls(app, email, save=save, scopes=scopes)

    # bootstrapping ----------------------------------------------------------------------
    def import_refresh_token(self, refresh_token: str) -> None:
        """Seed the cache from a refresh token obtained elsewhere (the sandbox's
        ready-made grant, or a migration); MSAL manages it from then on."""
        with self._lock:
            try:
                result = self.app.acquire_token_by_refresh_token(refresh_token, self.scopes)
            except TRANSPORT_ERRORS as error:
                raise from_transport(error, "microsoft.token") from None
            except msal.exceptions.MsalServiceError as error:
                raise _server_failed(error) from None
            finally:
                self._persist()
            if "access_token" not in result:
                raise from_token_result(result, "microsoft.token")

    # tokens -----------------------------------------------------------------------------
    def access_token(self, *, force_refresh: bool = False, stale: str | None = None) -> str:
        """A bearer token for Graph.

        `force_refresh` skips the cached access token (Graph said 401: MSAL judges expiry
        by the wall clock, and a token can be revoked before it expires). With `stale`,
        the token that drew the 401, a thread that finds a newer one already cached uses
        it instead of refreshing again.
        """
        with self._lock:
            account = self._account()
            if force_refresh and stale is not None:
                cached = self._silent(account, force_refresh=False)
                if cached is not None and cached != stale:
                    return cached
            if force_refresh:
                self.refreshes += 1
            token = self._silent(account, force_refresh=force_refresh)
            if token is None:
                raise reconnect("microsoft.token: no usable Microsoft sign-in in the cache")
            return token

    def _account(self) -> dict[str, Any]:
        accounts = self.app.get_accounts(username=self.email) or self.app.get_accounts()
        if not accounts:
            raise reconnect("microsoft.token: no Microsoft account in the token cache")
        found: dict[str, Any] = accounts[0]
        return found

    def _silent(self, account: dict[str, Any], *, force_refresh: bool) -> str | None:
        try:
            result = self.app.acquire_token_silent_with_error(
                self.scopes, account=account, force_refresh=force_refresh
            )
        except TRANSPORT_ERRORS as error:
            raise from_transport(error, "microsoft.token") from None
        except msal.exceptions.MsalServiceError as error:
            raise _server_failed(error) from None
        finally:
            self._persist()
        if result is None:
            return None
        if "access_token" in result:
            return str(result["access_token"])
        raise from_token_result(result, "microsoft.token")

    def _persist(self) -> None:
        if not self.cache.has_state_changed:
            return
        serialized = self.cache.serialize()
        self.cache.has_state_changed = False
        self.save(serialized)
        log.debug("token cache for %r saved", self.email)


def _server_failed(error: msal.exceptions.MsalServiceError) -> TransientProviderError:
    """MSAL raises instead of answering when the token endpoint says 5xx (and replays
    that answer for its Retry-After, 5 s without one): the endpoint will recover, so
    this is a pause like any other provider failure, not a crash of the action."""
    return TransientProviderError(f"microsoft.token: token refresh failed temporarily ({error})")

"""Translation of Graph answers, transport failures and MSAL errors into protocol errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests

from integrations.protocol import (
    NeedsReconnect,
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)
from integrations.retry import retry_after_seconds

RECONNECT_COMMAND = "outreach connect microsoft"

# OAuth errors that only a new sign-in can fix (revoked or expired grant, consent or a
# scope withdrawn); anything else from the token endpoint is treated as passing.
RECONNECT_OAUTH_ERRORS = frozenset(
    {
        "invalid_grant",
        "interaction_required",
        "consent_required",
        "login_required",
        "invalid_scope",
        "invalid_client",
        "unauthorized_client",
        "no_account",
    }
)
# Graph's codes for a delta token it no longer knows: start that resource over.
RESYNC_CODES = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})
# Failures below HTTP: the connection dropped, timed out or never opened.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (requests.RequestException, OSError)


class GraphRefused(PermanentProviderError):
    """A permanent Graph failure with its status and error code kept, so callers can tell
    a 404 (already gone) or an expired delta token from other refusals.

    Parameters:
      status: the HTTP status.
      code: Graph's error code ("ErrorItemNotFound", "SyncStateNotFound", ...).
    """

    def __init__(self, message: str, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class DeltaExpired(GraphRefused):
    """A delta or skip token Graph no longer accepts: that resource needs a full sync."""


def reconnect(message: str) -> NeedsReconnect:
    return NeedsReconnect(message, command=RECONNECT_COMMAND)


def error_code(response: requests.Response) -> str:
    """Graph's `error.code`, or "" when the body is not Graph's error shape."""
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code", ""))
    return ""


def retry_after(response: requests.Response, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), when present."""
    return retry_after_seconds(response.headers.get("Retry-After"), now)


def from_response(response: requests.Response, what: str) -> ProviderError:
    """The protocol error for a Graph answer that is not a success.

    Messages name the operation, status and code only: never the URL (delta and skip
    tokens ride in it) nor a header (the bearer token does).
    """
    status = response.status_code
    code = error_code(response)
    text = f"{what}: HTTP {status} {code}".rstrip()
    if code.lower() in RESYNC_CODES or (status == 410 and what.endswith("delta")):
        return DeltaExpired(text, status, code)
    if status == 401:
        # The caller already refreshed the token once and still got 401: the grant is dead.
        return reconnect(text)
    if status == 403 and code in ("ErrorAccessDenied", "Authorization_RequestDenied"):
        # Graph answers a missing scope this way; only a new consent adds it.
        return reconnect(text)
    if status == 429 or status >= 500:
        return TransientProviderError(text, retry_after=retry_after(response))
    return GraphRefused(text, status, code)


def from_transport(error: BaseException, what: str) -> TransientProviderError:
    return TransientProviderError(f"{what}: connection failed ({type(error).__name__})")


def from_token_result(result: dict[str, Any] | None, what: str) -> ProviderError:
    """The protocol error for an MSAL answer without an access token."""
    if not result:
        return reconnect(f"{what}: no usable Microsoft sign-in in the token cache")
    error = str(result.get("error", ""))
    if error in RECONNECT_OAUTH_ERRORS:
        return reconnect(f"{what}: Microsoft refused the sign-in ({error})")
    # server_error, temporarily_unavailable, throttling: the token endpoint will recover.
    return TransientProviderError(f"{what}: token refresh failed temporarily ({error})")

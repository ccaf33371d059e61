"""Translation of Google client failures (HttpError, transport, refresh) into protocol errors."""

from __future__ import annotations

import http.client
import json
from datetime import datetime

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError

from integrations.protocol import (
    NeedsReconnect,
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)
from integrations.retry import retry_after_seconds

RECONNECT_COMMAND = "outreach connect google"

# 403 reasons that mean "slow down", not "forbidden" (Gmail and Calendar use both). The
# classic ones come in `error.errors[].reason`; newer front ends add a google.rpc.ErrorInfo
# in `error.details[]` whose reason is UPPER_SNAKE (google/api/error_reason.proto).
RATE_LIMIT_REASONS = frozenset(
    {
        "rateLimitExceeded",
        "userRateLimitExceeded",
        "quotaExceeded",
        "concurrentLimitExceeded",
        "RATE_LIMIT_EXCEEDED",
        "RESOURCE_EXHAUSTED",
    }
)
# 403 reasons that mean the grant lacks a scope: only reconnecting can fix those.
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
# Failures below HTTP: the connection dropped, timed out or never opened.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # includes ConnectionError, TimeoutError, socket.timeout
    http.client.HTTPException,
    httplib2.HttpLib2Error,
    TransportError,
)


class GoogleRefused(PermanentProviderError):
    """A permanent failure with Google's answer kept, so callers can tell a 404 history
    id or a 409 duplicate apart from other refusals.

    Parameters:
      status: the HTTP status.
      reason: Google's reason ("notFound", "duplicate", "fullSyncRequired", ...).
    """

    def __init__(self, message: str, status: int, reason: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


def reconnect_command(email: str) -> str:
    return f"{RECONNECT_COMMAND} {email}".strip()


def reasons_of(error: HttpError) -> list[str]:
    """Every machine-readable reason Google gave, classic `errors[]` ones first
    ("notFound", "rateLimitExceeded"), then the `details[]` ErrorInfo ones
    ("RATE_LIMIT_EXCEEDED"). One body may carry both kinds, and the client library's
    `error_details` shows only `details` when both are there."""
    found: list[str] = []
    try:
        body = json.loads(error.content.decode("utf-8"))
        parts = body["error"]
    except (ValueError, KeyError, TypeError, AttributeError):
        parts = {}
    if not isinstance(parts, dict):
        parts = {}
    for key in ("errors", "details"):
        items = parts.get(key)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("reason"):
                found.append(str(item["reason"]))
    return found


def reason_of(error: HttpError) -> str:
    """Google's main machine-readable reason (the classic one when given), or ""."""
    found = reasons_of(error)
    return found[0] if found else ""


def retry_after(error: HttpError, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), when present."""
    value = error.resp.get("retry-after") if error.resp is not None else None
    return retry_after_seconds(value, now)


def is_missing(error: BaseException) -> bool:
    """A 404 (or Calendar's 410 "deleted"): the thing is already gone."""
    return isinstance(error, HttpError) and error.resp.status in (404, 410)


def translate(error: BaseException, what: str, email: str) -> ProviderError | None:
    """The protocol error for a failure of `what` (a method id), or None when the failure
    is not the provider's (a bug of ours should surface as itself).

    Messages name the method, status and reason only: never the URI's query or a header,
    so neither tokens nor search terms reach a log.
    """
    if isinstance(error, ProviderError):
        return error
    if isinstance(error, RefreshError):
        # google-auth marks token-endpoint hiccups (5xx, timeouts) as retryable; anything
        # else (invalid_grant: revoked or expired; invalid_client; invalid_scope) is final.
        if getattr(error, "retryable", False):
            return TransientProviderError(f"{what}: token refresh failed temporarily")
        return NeedsReconnect(
            f"{what}: Google refused to refresh the access token (grant revoked or expired)",
            command=reconnect_command(email),
        )
    if isinstance(error, HttpError):
        return _http_error(error, what, email)
    if isinstance(error, TRANSPORT_ERRORS):
        return TransientProviderError(f"{what}: connection failed ({type(error).__name__})")
    return None


def _http_error(error: HttpError, what: str, email: str) -> ProviderError:
    status = error.resp.status
    reasons = set(reasons_of(error))
    reason = reason_of(error)
    text = f"{what}: HTTP {status} {reason}".rstrip()
    if status == 401:
        # AuthorizedHttp already refreshed once and still got 401: the grant is dead.
        return NeedsReconnect(text, command=reconnect_command(email))
    if status == 429 or (status == 403 and reasons & RATE_LIMIT_REASONS) or status >= 500:
        return TransientProviderError(text, retry_after=retry_after(error))
    if status == 403 and reasons & SCOPE_REASONS:
        return NeedsReconnect(text, command=reconnect_command(email))
    return GoogleRefused(text, status, reason)

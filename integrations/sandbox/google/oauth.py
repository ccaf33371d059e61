"""Google's OAuth token endpoint (refresh_token grant) and the access tokens it issues."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from integrations.sandbox.clock import SimClock
from integrations.sandbox.http import Request, Response, json_response

ACCESS_TOKEN_TTL = timedelta(hours=1)
SCOPES = (
    "https://www.googleapis.com/auth/gmail.readonly"
    " https://www.googleapis.com/auth/gmail.compose"
    " https://www.googleapis.com/auth/calendar.events"
)


@dataclass
class Grant:
    """One user's consent to one OAuth client: a refresh token that may be revoked."""

    account: str
    client_id: str
    client_secret: str
    refresh_token: str
    revoked: bool = False


class TokenIssuer:
    """Issues and checks tokens; all expiry is measured on the SimClock.

    Parameters:
        clock: the simulated clock.
        seed: makes the issued tokens reproducible.
        access_ttl: lifetime of access tokens.
    """

    def __init__(
        self, clock: SimClock, seed: int = 0, access_ttl: timedelta = ACCESS_TOKEN_TTL
    ) -> None:
        self.clock = clock
        self.access_ttl = access_ttl
        self._lock = threading.Lock()
        self._grants: dict[str, Grant] = {}  # by refresh token
        self._access: dict[str, tuple[Grant, datetime]] = {}  # token -> (grant, expiry)
        self._seed = seed

    def grant(self, account: str, client_id: str, client_secret: str) -> Grant:
        """Record a consent (what the installed-app flow would produce)."""
        with self._lock:
            token = f"1//sandbox-{self._seed}-{secrets.token_urlsafe(24)}"
            grant = Grant(account, client_id, client_secret, token)
            self._grants[token] = grant
            return grant

    def issue(self, grant: Grant) -> tuple[str, int]:
        """A fresh access token for a grant and its lifetime in seconds."""
        with self._lock:
            token = f"ya29.sandbox-{secrets.token_urlsafe(32)}"
            self._access[token] = (grant, self.clock.now() + self.access_ttl)
            return token, int(self.access_ttl.total_seconds())

    def account_for(self, access_token: str) -> str | None:
        """The account an access token acts for, or None if unknown, expired or revoked."""
        with self._lock:
            entry = self._access.get(access_token)
        if entry is None:
            return None
        grant, expiry = entry
        if grant.revoked or self.clock.now() >= expiry:
            return None
        return grant.account

    def revoke(self, account: str | None = None) -> int:
        """Revoke every grant (of one account, if given); their access tokens die too."""
        with self._lock:
            hit = [g for g in self._grants.values() if account in (None, g.account)]
            for grant in hit:
                grant.revoked = True
            return len(hit)

    def token_endpoint(self, request: Request, revoked_fault: bool = False) -> Response:
        """POST /token: the refresh_token grant, answering as oauth2.googleapis.com does."""
        if request.method != "POST":
            return _oauth_error(405, "invalid_request", "Method not allowed.")
        try:
            form = {
                k: v[0] for k, v in parse_qs(request.body.decode(), strict_parsing=False).items()
            }
        except UnicodeDecodeError:
            return _oauth_error(400, "invalid_request", "Malformed form body.")
        grant_type = form.get("grant_type")
        if grant_type != "refresh_token":
            return _oauth_error(
                400, "unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}"
            )
        with self._lock:
            grant = self._grants.get(form.get("refresh_token", ""))
        if grant is not None and (
            grant.client_id != form.get("client_id")
            or grant.client_secret != form.get("client_secret")
        ):
            return _oauth_error(401, "invalid_client", "Unauthorized")
        if grant is not None and revoked_fault:
            grant.revoked = True
        if grant is None or grant.revoked:
            return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        token, ttl = self.issue(grant)
        return json_response(
            200,
            {"access_token": token, "expires_in": ttl, "scope": SCOPES, "token_type": "Bearer"},
            {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"},
        )


def _oauth_error(status: int, error: str, description: str) -> Response:
    return json_response(status, {"error": error, "error_description": description})

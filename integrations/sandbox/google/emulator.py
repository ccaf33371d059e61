"""GoogleEmulator: serves OAuth, Gmail and Calendar on one loopback port; every API call
goes through one pipeline (route, auth, fault, accounting, validation, handler, fields)."""

from __future__ import annotations

import json
import logging
import random
import ssl
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from integrations.sandbox.accounting import Accounting
from integrations.sandbox.clock import SimClock
from integrations.sandbox.faults import Fault, FaultPlan
from integrations.sandbox.google import batch, calendar, discovery, gmail
from integrations.sandbox.google.calendar import Calendar
from integrations.sandbox.google.calendar_story import CalendarStory
from integrations.sandbox.google.errors import (
    GoogleError,
    rate_limited,
    shaped_error,
    unauthenticated,
)
from integrations.sandbox.google.fields import apply_fields, parse_fields
from integrations.sandbox.google.mail_story import MailStory
from integrations.sandbox.google.mailbox import HISTORY_TTL, Mailbox
from integrations.sandbox.google.oauth import Grant, TokenIssuer
from integrations.sandbox.http import LoopbackServer, Request, Response, json_response

log = logging.getLogger(__name__)

DEFAULT_EMAIL = "user@sandbox.example"
CLIENT_ID = "sandbox-client.apps.googleusercontent.com"
CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - a fake for the local emulator

# Fault kinds each call site can act on.
_API_FAULTS = frozenset(
    {
        "rate_limit",
        "rate_limit_403",
        "server_error",
        "unavailable",
        "slow",
        "drop",
        "revoked",
        "history_expired",
        "sync_token_expired",
    }
)
_TOKEN_FAULTS = frozenset({"rate_limit", "server_error", "unavailable", "slow", "drop", "revoked"})


@dataclass
class Account:
    """Everything the emulator keeps for one Google account."""

    email: str
    grant: Grant
    mailbox: Mailbox
    calendar: Calendar
    access_token: str


class GoogleEmulator(MailStory, CalendarStory):
    """Gmail v1, Calendar v3 and the OAuth token endpoint on one loopback port.

    Parameters:
        clock, faults, accounting: shared sandbox state.
        seed: makes ids reproducible.
        email: the address of the default account.
        history_ttl: how long Gmail keeps history before start ids go stale.
        ssl_context: serve HTTPS instead of HTTP.
        time_zone: the IANA zone of each account's primary calendar.
    """

    def __init__(
        self,
        clock: SimClock,
        faults: FaultPlan,
        accounting: Accounting,
        *,
        seed: int = 0,
        email: str = DEFAULT_EMAIL,
        history_ttl: timedelta = HISTORY_TTL,
        ssl_context: ssl.SSLContext | None = None,
        time_zone: str = "UTC",
    ) -> None:
        self.clock = clock
        self.faults = faults
        self.accounting = accounting
        self.history_ttl = history_ttl
        self.time_zone = time_zone
        self.rng = random.Random(seed)
        self.tokens = TokenIssuer(clock, seed)
        self.accounts: dict[str, Account] = {}
        self._server = LoopbackServer(
            self.handle, name="google", error=shaped_error, ssl_context=ssl_context
        )
        self.default_email = email
        self.add_account(email)
        from integrations.sandbox.google.control import GoogleControl

        self.story = GoogleControl(self)
        self.control_handler = self.story.handle

    # lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        return self._server.url

    def add_account(self, email: str) -> Account:
        """Create an account with a granted refresh token and a fresh access token."""
        grant = self.tokens.grant(email, CLIENT_ID, CLIENT_SECRET)
        token, _ = self.tokens.issue(grant)
        mailbox = Mailbox(email, self.rng, self.history_ttl)
        account = Account(email, grant, mailbox, Calendar(email, self.rng, self.time_zone), token)
        self.accounts[email] = account
        return account

    def account(self, email: str | None = None) -> Account:
        found = self.accounts.get(email or self.default_email)
        if found is None:
            raise KeyError(f"no Google account {email!r}")
        return found

    def mailbox(self, email: str | None = None) -> Mailbox:
        return self.account(email).mailbox

    def calendar(self, email: str | None = None) -> Calendar:
        return self.account(email).calendar

    def endpoints(self) -> dict[str, Any]:
        base = self._server.url
        account = self.account()
        return {
            "gmail": base,
            "gmail_batch": base + "batch/gmail/v1",
            "calendar": base + "calendar/v3/",
            "calendar_batch": base + "batch/calendar/v3",
            "google_token_uri": base + "token",
            "google": {
                "email": account.email,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "refresh_token": account.grant.refresh_token,
                "access_token": account.access_token,
            },
        }

    # serving ---------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if path in ("/token", "/o/oauth2/token"):
            return self._token(request)
        if path.startswith("/batch"):
            return self._batch(request)
        return self.call(request, in_batch=False)

    def _token(self, request: Request) -> Response:
        fault = self.faults.take("google", "google.token", _TOKEN_FAULTS)
        if fault is not None and fault.kind != "revoked":
            return self._fault_response(fault, None) or self.tokens.token_endpoint(request)
        return self.tokens.token_endpoint(request, revoked_fault=fault is not None)

    def _batch(self, request: Request) -> Response:
        if request.method != "POST":
            return GoogleError(400, "badRequest", "Batch requests must be POST.").response()
        api = "calendar" if "calendar" in request.path else "gmail"
        fault = self.faults.take("google", f"{api}.batch", _API_FAULTS)
        if fault is not None:
            early = self._fault_response(fault, None)
            if early is not None:
                return early
        return batch.run(request, lambda sub: self.call(sub, in_batch=True))

    def call(self, request: Request, *, in_batch: bool) -> Response:
        """Serve one API call (standalone or a batch part)."""
        try:
            return self._call(request, in_batch)
        except GoogleError as exc:
            return exc.response()

    def _call(self, request: Request, in_batch: bool) -> Response:
        apis = ("calendar.v3",) if request.path.startswith("/calendar/") else ("gmail.v1",)
        method, path_params = discovery.match(apis, request.method, request.path)
        account = self._authenticate(request)
        kinds = _API_FAULTS | {"batch_part_429"} if in_batch else _API_FAULTS
        fault = self.faults.take("google", method.id, kinds)
        self.accounting.record("google", account.email, method.id)
        delay = 0.0
        if fault is not None:
            early = self._fault_response(fault, account)
            if early is not None:
                return early
            delay = fault.delay_s or 0.0
        call = discovery.bind(method, path_params, request.query, request.body)
        self._check_user(call.params, account)
        status, payload = self._dispatch(account, call)
        if payload is None:
            return Response(status, {}, b"", delay_s=delay)
        if "fields" in call.params:
            payload = apply_fields(payload, parse_fields(call.params["fields"]))
        response = json_response(status, payload)
        response.delay_s = delay
        return response

    def _authenticate(self, request: Request) -> Account:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            token = request.param("access_token") or request.param("oauth_token") or ""
        email = self.tokens.account_for(token.strip())
        if email is None or email not in self.accounts:
            raise unauthenticated()
        return self.accounts[email]

    def _check_user(self, params: dict[str, Any], account: Account) -> None:
        user = params.get("userId")
        if user is not None and user not in ("me", account.email):
            raise GoogleError(403, "forbidden", "Delegation denied for " + account.email)

    def _dispatch(self, account: Account, call: discovery.Call) -> tuple[int, Any]:
        method_id = call.method.id
        if method_id in gmail.METHODS:
            context = gmail.GmailContext(account.mailbox, self.clock.now())
            return gmail.METHODS[method_id](context, call)
        if method_id in calendar.METHODS:
            # Conferences made meanwhile are in the event before anything reads it.
            calendar.settle_conferences(account.calendar, self.clock.now())
            cal_context = calendar.CalendarContext(account.calendar, self.clock.now())
            return calendar.METHODS[method_id](cal_context, call)
        raise gmail.not_implemented(method_id)

    def _fault_response(self, fault: Fault, account: Account | None) -> Response | None:
        """The answer a fault produces, or None when the call proceeds (slow, or a kind
        this call cannot act on). State-changing kinds also change state, so retries see
        what the real service would show."""
        kind = fault.kind
        headers = {"Retry-After": _seconds(fault.retry_after)} if fault.retry_after else {}
        if kind == "drop":
            return Response(drop=True)
        if kind == "slow":
            return None
        if kind in ("rate_limit", "batch_part_429"):
            return rate_limited(
                429, "rateLimitExceeded", "Too many concurrent requests for user.", headers
            ).response()
        if kind == "rate_limit_403":
            return rate_limited(
                403, "userRateLimitExceeded", "User Rate Limit Exceeded", headers
            ).response()
        if kind == "server_error":
            return GoogleError(500, "backendError", "Backend Error").response()
        if kind == "unavailable":
            return GoogleError(
                503, "backendError", "The service is currently unavailable.", headers=headers
            ).response()
        if account is None:
            return None
        if kind == "revoked":
            self.tokens.revoke(account.email)
            return unauthenticated().response()
        if kind == "history_expired":
            account.mailbox.expire_history()
            return GoogleError(404, "notFound", "Requested entity was not found.").response()
        if kind == "sync_token_expired":
            self.expire_sync_tokens(account.email)
            return GoogleError(
                410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."
            ).response()
        return None

    # Python-level story API ------------------------------------------------------------
    def revoke_grant(self, email: str | None = None) -> None:
        """The user revokes access: refresh fails with invalid_grant, access tokens die."""
        self.tokens.revoke(self.account(email).email)

    def rewrite_message_ids(self, on: bool = True, email: str | None = None) -> None:
        """From now on, mail sent from the account gets a Message-ID of Gmail's making."""
        self.account(email).mailbox.rewrite_message_ids = on

    def expire_history(self, email: str | None = None) -> None:
        """Every history start id issued so far answers 404 from now on."""
        self.account(email).mailbox.expire_history()

    def state(self, email: str | None = None) -> dict[str, Any]:
        """The mailbox (and calendar) as JSON, for assertions."""
        return {"mail": self.mail_state(email), "calendar": self.calendar_state(email)}


def _seconds(value: float | None) -> str:
    return str(int(value)) if value is not None and value == int(value) else str(value)


def dump(payload: Any) -> bytes:
    return json.dumps(payload).encode()

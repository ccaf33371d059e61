"""Entra ID as MSAL sees it: OpenID discovery, the device-code flow, and the token
endpoint (device_code and refresh_token grants), with tokens that expire on the SimClock."""

from __future__ import annotations

import base64
import json
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from integrations.sandbox.http import Request, Response, json_response

from .errors import OAuthError, oauth_error_response

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
GRAPH_RESOURCE = "https://graph.microsoft.com/"
RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
DEFAULT_SCOPES = frozenset({"user.read", "mail.readwrite", "mail.send", "calendars.readwrite"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt(claims: dict[str, Any]) -> str:
    header = {"typ": "JWT", "alg": "RS256", "kid": "sandbox"}
    return ".".join(
        [
            _b64(json.dumps(header).encode()),
            _b64(json.dumps(claims).encode()),
            _b64(secrets.token_bytes(64)),
        ]
    )


def normalize_scope(scope: str) -> str:
    """`https://graph.microsoft.com/Mail.Send` and `Mail.Send` name the same permission."""
    lowered = scope.strip().lower()
    return lowered[len(GRAPH_RESOURCE) :] if lowered.startswith(GRAPH_RESOURCE) else lowered


@dataclass
class IdentitySettings:
    """How the identity side behaves.

    Parameters:
        client_id: the registered app; other client ids get AADSTS700016.
        tenant_id: the user's tenant (the `utid` in client_info).
        interval: seconds MSAL is told to wait between device-code polls.
        device_code_lifetime: simulated seconds a device code stays usable.
        auto_approve_after_polls: the user approves on this poll (None: wait for approve()).
        slow_down_polls: poll numbers (1-based) answered with slow_down.
        enforce_interval: answer slow_down when a poll comes sooner than `interval`
            (real seconds, since MSAL sleeps in real time).
        access_token_lifetime: simulated lifetime of access tokens.
        refresh_token_idle_lifetime: a refresh token unused this long stops working.
    """

    client_id: str = "5f1c2a8e-6d3b-4c1e-9a7f-0b2d4e6f8a10"
    tenant_id: str = "9188040d-6c67-4c5b-b112-36a304b66dad"
    interval: int = 1
    device_code_lifetime: timedelta = timedelta(minutes=15)
    auto_approve_after_polls: int | None = None
    slow_down_polls: frozenset[int] = frozenset()
    enforce_interval: bool = True
    access_token_lifetime: timedelta = timedelta(seconds=3599)
    refresh_token_idle_lifetime: timedelta = timedelta(days=90)


@dataclass
class Grant:
    """A user's consent to the app: every refresh token hangs off one grant."""

    email: str
    client_id: str
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class AccessToken:
    grant: Grant
    scopes: frozenset[str]
    expires_at: datetime
    revoked: bool = False


@dataclass
class RefreshToken:
    grant: Grant
    last_used: datetime


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    client_id: str
    scopes: frozenset[str]
    spelled: tuple[str, ...]
    expires_at: datetime
    polls: int = 0
    approved_by: str | None = None
    declined: bool = False
    redeemed: bool = False
    last_poll: float | None = None


@dataclass
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    extra: dict[str, Any] = field(default_factory=dict)


class Identity:
    """Grants, device codes and tokens, plus the HTTP routes MSAL calls.

    Parameters:
        settings: IdentitySettings.
        now: reads the simulated clock.
        display_name: maps a user's email to the name put in id tokens.
    """

    def __init__(
        self,
        settings: IdentitySettings,
        now: Callable[[], datetime],
        display_name: Callable[[str], str],
    ) -> None:
        self.settings = settings
        self._now = now
        self._display_name = display_name
        self._lock = threading.Lock()
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._device_by_code: dict[str, DeviceCode] = {}
        self._device_by_user_code: dict[str, DeviceCode] = {}
        self.default_user = ""

    # in-process API --------------------------------------------------------------
    def grant(self, email: str, scopes: frozenset[str] = DEFAULT_SCOPES) -> IssuedTokens:
        """Consent on the user's behalf (what a finished sign-in leaves behind)."""
        with self._lock:
            grant = Grant(email, self.settings.client_id, frozenset(map(normalize_scope, scopes)))
            return self._issue(grant, grant.scopes, tuple(sorted(grant.scopes)))

    def approve(self, user_code: str, email: str | None = None) -> bool:
        """The user types the code at the verification page and consents."""
        with self._lock:
            device = self._device_by_user_code.get(user_code.strip().upper())
            if device is None or device.redeemed:
                return False
            device.approved_by = email or self.default_user
            return True

    def decline(self, user_code: str) -> bool:
        with self._lock:
            device = self._device_by_user_code.get(user_code.strip().upper())
            if device is None:
                return False
            device.declined = True
            return True

    def pending_user_codes(self) -> list[str]:
        with self._lock:
            return [
                d.user_code
                for d in self._device_by_code.values()
                if not d.redeemed and d.approved_by is None and not d.declined
            ]

    def revoke(self, email: str, access_tokens_too: bool = False) -> int:
        """Revoke every grant of the user; refresh tokens then answer invalid_grant.
        Access tokens keep working until they expire unless `access_tokens_too`."""
        with self._lock:
            count = 0
            for token in self._refresh.values():
                if token.grant.email == email and not token.grant.revoked:
                    token.grant.revoked = True
                    count += 1
            if access_tokens_too:
                for access in self._access.values():
                    if access.grant.email == email:
                        access.revoked = True
            return count

    def authenticate(self, bearer: str) -> tuple[AccessToken | None, str]:
        """The access token behind a bearer value, or None and Graph's reason."""
        if not bearer:
            return None, "Access token is empty."
        if bearer.count(".") != 2:
            return None, "IDX14100: JWT is not well formed, there are no dots (.)."
        with self._lock:
            token = self._access.get(bearer)
        if token is None:
            return None, "Access token validation failure. Invalid signature."
        if token.revoked:
            return None, "Continuous access evaluation resulted in challenge: token revoked."
        if token.expires_at <= self._now():
            return None, "Lifetime validation failed, the token is expired."
        return token, ""

    # HTTP ------------------------------------------------------------------------
    def handle(self, request: Request, base_url: str) -> Response:
        parts = [p for p in request.path.split("/") if p]
        if len(parts) < 2:
            return json_response(404, {"error": "not_found"})
        tenant, rest = parts[0], "/".join(parts[1:])
        if request.method == "GET" and rest == "v2.0/.well-known/openid-configuration":
            return json_response(200, self._openid_configuration(base_url, tenant))
        if request.method == "POST" and rest == "oauth2/v2.0/devicecode":
            return self._guard(lambda: self._start_device_flow(request, base_url))
        if request.method == "POST" and rest == "oauth2/v2.0/token":
            return self._guard(lambda: self._token(request))
        if rest in ("oauth2/v2.0/authorize", "devicelogin"):
            return Response(
                200,
                {"Content-Type": "text/html; charset=utf-8"},
                b"<html><body>Sandbox sign-in: approve the code through the control API."
                b"</body></html>",
            )
        return json_response(404, {"error": "not_found"})

    def _guard(self, action: Callable[[], Response]) -> Response:
        try:
            return action()
        except OAuthError as error:
            return oauth_error_response(error, self._now())

    def _openid_configuration(self, base_url: str, tenant: str) -> dict[str, Any]:
        root = f"{base_url}{tenant}"
        tid = self.settings.tenant_id
        return {
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"https://login.microsoftonline.com/{tid}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "name", "tid", "oid"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }

    def _form(self, request: Request) -> dict[str, str]:
        try:
            parsed = parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise OAuthError("invalid_request", "AADSTS900144: body is not form data.") from None
        return {k: v[-1] for k, v in parsed.items()}

    def _check_client(self, form: dict[str, str]) -> str:
        client_id = form.get("client_id", "")
        if not client_id:
            raise OAuthError(
                "invalid_request",
                "AADSTS900144: The request body must contain the following parameter: 'client_id'.",
                error_codes=[900144],
            )
        if client_id != self.settings.client_id:
            raise OAuthError(
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{client_id}' was not found in "
                "the directory.",
                error_codes=[700016],
            )
        return client_id

    def _start_device_flow(self, request: Request, base_url: str) -> Response:
        form = self._form(request)
        client_id = self._check_client(form)
        spelled = tuple(form.get("scope", "").split())
        scopes = frozenset(normalize_scope(s) for s in spelled)
        if not scopes - RESERVED_SCOPES:
            scopes = scopes | {"user.read"}
        alphabet = string.ascii_uppercase + string.digits
        user_code = "".join(secrets.choice(alphabet) for _ in range(9))
        lifetime = self.settings.device_code_lifetime
        device = DeviceCode(
            device_code="DAQABAAEAAA" + secrets.token_urlsafe(48),
            user_code=user_code,
            client_id=client_id,
            scopes=scopes,
            spelled=spelled,
            expires_at=self._now() + lifetime,
        )
        with self._lock:
            self._device_by_code[device.device_code] = device
            self._device_by_user_code[user_code] = device
        verification = f"{base_url}devicelogin"
        return json_response(
            200,
            {
                "user_code": user_code,
                "device_code": device.device_code,
                "verification_uri": verification,
                "expires_in": int(lifetime.total_seconds()),
                "interval": self.settings.interval,
                "message": f"To sign in, use a web browser to open the page {verification} "
                f"and enter the code {user_code} to authenticate.",
            },
        )

    def _token(self, request: Request) -> Response:
        form = self._form(request)
        grant_type = form.get("grant_type", "")
        client_id = self._check_client(form)
        if grant_type == DEVICE_CODE_GRANT:
            tokens = self._redeem_device_code(form.get("device_code", ""), client_id)
        elif grant_type == "refresh_token":
            tokens = self._redeem_refresh_token(form, client_id)
        else:
            raise OAuthError(
                "unsupported_grant_type",
                f"AADSTS70003: The app requested an unsupported grant type '{grant_type}'.",
                error_codes=[70003],
            )
        body = {
            "token_type": "Bearer",
            "expires_in": tokens.expires_in,
            "ext_expires_in": tokens.expires_in,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            **tokens.extra,
        }
        return json_response(200, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _redeem_device_code(self, code: str, client_id: str) -> IssuedTokens:
        with self._lock:
            device = self._device_by_code.get(code)
            if device is None or device.client_id != client_id:
                raise OAuthError(
                    "invalid_grant",
                    "AADSTS70000: Provided grant is invalid or malformed.",
                    error_codes=[70000],
                )
            if device.redeemed:
                raise OAuthError(
                    "invalid_grant",
                    "AADSTS54005: OAuth2 Authorization code was already redeemed.",
                    error_codes=[54005],
                )
            if self._now() >= device.expires_at:
                raise OAuthError(
                    "expired_token",
                    "AADSTS70020: The provided value for the input parameter 'device_code' "
                    "is not valid. This device code has expired.",
                    error_codes=[70020],
                )
            device.polls += 1
            previous, device.last_poll = device.last_poll, time.monotonic()
            if device.declined:
                raise OAuthError(
                    "authorization_declined",
                    "AADSTS70000: The user declined the authorization request.",
                    error_codes=[70000],
                )
            too_soon = (
                self.settings.enforce_interval
                and previous is not None
                and device.last_poll - previous < self.settings.interval * 0.8
            )
            if device.polls in self.settings.slow_down_polls or too_soon:
                raise OAuthError(
                    "slow_down",
                    "AADSTS70016: Polling too frequently; wait longer between requests.",
                    error_codes=[70016],
                )
            auto = self.settings.auto_approve_after_polls
            if device.approved_by is None and auto is not None and device.polls >= auto:
                device.approved_by = self.default_user
            if device.approved_by is None:
                raise OAuthError(
                    "authorization_pending",
                    "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. "
                    "Continue polling.",
                    error_codes=[70016],
                )
            device.redeemed = True
            grant = Grant(device.approved_by, client_id, device.scopes)
            return self._issue(grant, device.scopes, device.spelled)

    def _redeem_refresh_token(self, form: dict[str, str], client_id: str) -> IssuedTokens:
        value = form.get("refresh_token", "")
        with self._lock:
            token = self._refresh.get(value)
            if token is None or token.grant.client_id != client_id:
                raise OAuthError(
                    "invalid_grant",
                    "AADSTS9002313: Invalid request. Request is malformed or invalid.",
                    error_codes=[9002313],
                )
            if token.grant.revoked:
                raise OAuthError(
                    "invalid_grant",
                    "AADSTS50173: The provided grant has expired due to it being revoked, a "
                    "fresh auth token is needed. The user might have changed or reset their "
                    "password.",
                    error_codes=[50173],
                )
            now = self._now()
            if now - token.last_used > self.settings.refresh_token_idle_lifetime:
                raise OAuthError(
                    "invalid_grant",
                    "AADSTS700082: The refresh token has expired due to inactivity.",
                    error_codes=[700082],
                )
            token.last_used = now
            spelled = tuple(form.get("scope", "").split())
            asked = frozenset(normalize_scope(s) for s in spelled)
            wanted = asked - RESERVED_SCOPES
            if ".default" in wanted:
                wanted = token.grant.scopes
            missing = wanted - token.grant.scopes
            if missing:
                raise OAuthError(
                    "invalid_grant",
                    "AADSTS65001: The user or administrator has not consented to use the "
                    f"application for: {' '.join(sorted(missing))}.",
                    error_codes=[65001],
                )
            return self._issue(token.grant, asked or token.grant.scopes, spelled)

    def _issue(
        self, grant: Grant, scopes: frozenset[str], spelled: tuple[str, ...]
    ) -> IssuedTokens:
        """Mint an access token, a refresh token and the MSAL extras (lock held)."""
        now = self._now()
        lifetime = self.settings.access_token_lifetime
        tid = self.settings.tenant_id
        oid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"user:{grant.email}"))
        resource_scopes = frozenset(scopes - RESERVED_SCOPES) or grant.scopes
        access = _jwt(
            {
                "aud": "00000003-0000-0000-c000-000000000000",
                "iss": f"https://sts.windows.net/{tid}/",
                "iat": int(now.timestamp()),
                "exp": int((now + lifetime).timestamp()),
                "scp": " ".join(sorted(resource_scopes)),
                "oid": oid,
                "tid": tid,
                "upn": grant.email,
                "jti": secrets.token_hex(8),
            }
        )
        refresh = "0.AXoA" + secrets.token_urlsafe(64)
        self._access[access] = AccessToken(grant, resource_scopes, now + lifetime)
        self._refresh[refresh] = RefreshToken(grant, now)
        id_token = _jwt(
            {
                "aud": grant.client_id,
                "iss": f"https://login.microsoftonline.com/{tid}/v2.0",
                "iat": int(now.timestamp()),
                "nbf": int(now.timestamp()),
                "exp": int((now + lifetime).timestamp()),
                "name": self._display_name(grant.email),
                "oid": oid,
                "preferred_username": grant.email,
                "sub": _b64(oid.encode())[:43],
                "tid": tid,
                "ver": "2.0",
            }
        )
        client_info = _b64(json.dumps({"uid": oid, "utid": tid}).encode())
        # Echo the scopes as the client spelled them: MSAL matches cached tokens by
        # exact (case-sensitive) scope strings.
        shown_scopes = [s for s in spelled if normalize_scope(s) != "offline_access"]
        shown_scopes = shown_scopes or sorted(grant.scopes)
        return IssuedTokens(
            access_token=access,
            refresh_token=refresh,
            expires_in=int(lifetime.total_seconds()),
            extra={
                "scope": " ".join(shown_scopes),
                "id_token": id_token,
                "client_info": client_info,
            },
        )

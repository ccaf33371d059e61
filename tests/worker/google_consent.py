"""Google's consent screen played against the sandbox, for the connect tests.

The emulator's token endpoint serves only the refresh_token grant. This wraps it (the
emulator itself is untouched) with the authorization_code grant: a code handed out by
`approve` is exchanged once for a fresh grant of the emulator's account, so everything
after sign-in (refreshing, reading the profile, syncing) runs against the emulator.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from integrations.google import GoogleEndpoints
from integrations.sandbox import Sandbox
from integrations.sandbox.google.emulator import CLIENT_ID, CLIENT_SECRET
from integrations.sandbox.google.oauth import SCOPES
from integrations.sandbox.http import Request, Response, json_response
from tests.conftest import CLOCK_START
from worker.accounts.google_connect import PASTE_REDIRECT_URI


@dataclass
class Consent:
    """The user's side of the consent screen, and what the token endpoint handed out."""

    sandbox: Sandbox
    client_secrets: Path
    scopes: str = SCOPES
    codes: dict[str, str] = field(default_factory=dict)  # code -> redirect_uri
    issued: list[str] = field(default_factory=list)  # every token the endpoint answered
    lines: list[str] = field(default_factory=list)  # what sign_in said to the user
    exchanges: int = 0
    refresh: Callable[[Request, bool], Response] | None = None  # the emulator's own grant

    @property
    def endpoints(self) -> GoogleEndpoints:
        return GoogleEndpoints.from_mapping(self.sandbox.endpoints())

    def say(self, line: str) -> None:
        self.lines.append(line)

    def approve(self, auth_url: str, redirect_uri: str = PASTE_REDIRECT_URI) -> str:
        """Where the browser lands after the user allows access on `auth_url`."""
        query = parse_qs(urlsplit(auth_url).query)
        assert query["client_id"] == [CLIENT_ID]
        assert query["access_type"] == ["offline"]
        assert query["code_challenge_method"] == ["S256"]
        code = f"4/code-{secrets.token_urlsafe(8)}"
        self.codes[code] = redirect_uri
        state = query["state"][0]
        return f"{redirect_uri}?{urlencode({'state': state, 'code': code, 'scope': self.scopes})}"

    def paste(self, _prompt: str) -> str:
        """The prompt answered with the address the browser ended on."""
        url = next(line for line in reversed(self.lines) if line.startswith("http"))
        return self.approve(url)

    def token_endpoint(self, request: Request, revoked_fault: bool = False) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "authorization_code":
            assert self.refresh is not None
            answer = self.refresh(request, revoked_fault)
        else:
            answer = self._exchange(form, request.headers.get("authorization", ""))
        body = json.loads(answer.body or b"{}")
        self.issued += [str(body[k]) for k in ("access_token", "refresh_token") if k in body]
        return answer

    def _exchange(self, form: dict[str, str], authorization: str) -> Response:
        redirect = self.codes.pop(form.get("code", ""), None)
        if redirect is None or form.get("redirect_uri") != redirect:
            return json_response(400, {"error": "invalid_grant", "error_description": "Bad code"})
        # Google takes the client's credentials in the body or as HTTP Basic auth.
        if authorization.lower().startswith("basic "):
            pair = base64.b64decode(authorization[6:]).decode()
            form["client_id"], _, form["client_secret"] = pair.partition(":")
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return json_response(401, {"error": "invalid_client"})
        if not form.get("code_verifier"):
            return json_response(400, {"error": "invalid_request", "error_description": "PKCE"})
        self.exchanges += 1
        tokens = self.sandbox.google.tokens
        grant = tokens.grant(self.sandbox.google.default_email, CLIENT_ID, CLIENT_SECRET)
        access, ttl = tokens.issue(grant)
        return json_response(
            200,
            {
                "access_token": access,
                "refresh_token": grant.refresh_token,
                "expires_in": ttl,
                "scope": self.scopes,
                "token_type": "Bearer",
            },
        )


def client_secrets_file(directory: Path, sandbox: Sandbox) -> Path:
    base = sandbox.google.url
    path = directory / "client_secret.json"
    path.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "auth_uri": base + "o/oauth2/auth",
                    "token_uri": base + "token",
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )
    return path


@pytest.fixture
def consent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Consent]:
    # oauthlib refuses http token endpoints unless told this is a test.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with Sandbox(seed=5, start=CLOCK_START) as sandbox:
        found = Consent(sandbox, client_secrets_file(tmp_path, sandbox))
        tokens = sandbox.google.tokens
        found.refresh = tokens.token_endpoint
        tokens.token_endpoint = found.token_endpoint  # type: ignore[method-assign]
        yield found

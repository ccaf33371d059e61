"""Connecting a Google account once: the installed-app sign-in, the checks on what was
granted, storing the grant, and recording the account in the log."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from google_auth_oauthlib.flow import InstalledAppFlow

from integrations.google import GmailProvider, GoogleEndpoints
from integrations.protocol import ProviderError
from worker.accounts.connecting import (
    Connected,
    ConnectError,
    Say,
    check_expected,
    quiet,
    record_connection,
)
from worker.accounts.google import SCOPES, GoogleGrant, google_account_id
from worker.services.app import App

__all__ = ["ConnectError", "Connected", "connect", "read_client_secrets", "sign_in"]

# Where Google sends the browser after consent when nothing listens (--no-browser): the
# page fails to load and the user copies its address. The out-of-band flow is gone.
PASTE_REDIRECT_URI = "http://localhost:1/"
_REQUIRED_KEYS = ("client_id", "client_secret", "auth_uri", "token_uri")
TOKEN_LOGGERS = ("requests_oauthlib", "oauthlib")


def read_client_secrets(path: Path) -> dict[str, Any]:
    """The client configuration from a client-secrets file downloaded from Google Cloud;
    one-line errors name the file and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConnectError(f"{path}: no such file") from None
    except (OSError, UnicodeError) as exc:
        raise ConnectError(f"{path}: cannot read ({type(exc).__name__})") from None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConnectError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(config, dict):
        raise ConnectError(f"{path}: not a client-secrets file (expected a JSON object)")
    if "web" in config and "installed" not in config:
        raise ConnectError(
            f"{path}: a web-application client; create an OAuth client of type "
            "'Desktop app' in Google Cloud and download its JSON"
        )
    installed = config.get("installed")
    if not isinstance(installed, dict):
        raise ConnectError(f"{path}: not a client-secrets file (no 'installed' section)")
    for key in _REQUIRED_KEYS:
        if not isinstance(installed.get(key), str) or not installed[key]:
            raise ConnectError(f"{path}: 'installed.{key}' is missing")
    return {"installed": installed}


Prompt = Callable[[str], str]


def sign_in(
    client_config: dict[str, Any],
    *,
    open_browser: bool,
    paste: bool,
    prompt: Prompt,
    say: Say,
) -> GoogleGrant:
    """Run the installed-app flow and return the grant; refuses a partial consent.

    paste: print the URL and read back the address the browser was sent to (for a
    machine without a browser); otherwise a loopback server on a free port receives it.
    """
    flow = InstalledAppFlow.from_client_config(client_config, scopes=list(SCOPES))
    # A refresh token comes only with a fresh consent screen (Google omits it when the
    # user granted this client before): ask for the screen every time.
    options = {"prompt": "consent", "access_type": "offline"}
    try:
        with quiet(*TOKEN_LOGGERS):
            token = _run_flow(
                flow, options, open_browser=open_browser, paste=paste, prompt=prompt, say=say
            )
    except Warning as scope_changed:
        # oauthlib raises its "Scope has changed" Warning when the user unticked a box on
        # the consent screen; the token it carries tells which scopes were granted.
        token = dict(getattr(scope_changed, "token", None) or {})
        if not token:
            raise ConnectError(f"Google sign-in failed: {scope_changed}") from None
    except ConnectError:
        raise
    except Exception as exc:
        # The library's messages can quote the redirect URL (with its code): name the
        # OAuth error code (invalid_client, invalid_grant...) or the kind of failure only.
        code = getattr(exc, "error", None)
        reason = code if isinstance(code, str) and code else type(exc).__name__
        raise ConnectError(f"Google sign-in failed ({reason})") from None
    granted = _scopes(token.get("scope"))
    missing = [s for s in SCOPES if s not in granted]
    if missing:
        names = ", ".join(s.rsplit("/", 1)[-1] for s in missing)
        raise ConnectError(
            f"Google did not grant {names}; run the command again and tick every box "
            "on the consent screen"
        )
    refresh_token = token.get("refresh_token")
    if not refresh_token:
        raise ConnectError("Google returned no refresh token; run the command again")
    installed = client_config["installed"]
    return GoogleGrant(
        refresh_token=str(refresh_token),
        client_id=installed["client_id"],
        client_secret=installed["client_secret"],
        token_uri=installed["token_uri"],
        scopes=sorted(granted),
    )


def _run_flow(
    flow: InstalledAppFlow,
    options: dict[str, str],
    *,
    open_browser: bool,
    paste: bool,
    prompt: Prompt,
    say: Say,
) -> dict[str, Any]:
    if paste:
        flow.redirect_uri = PASTE_REDIRECT_URI
        url, _ = flow.authorization_url(**options)
        say("Open this address in a browser, allow access, then copy the address the")
        say("browser ends on (it will not load: that is expected) and paste it here.")
        say(url)
        answer = prompt("Address").strip()
        if "code=" not in answer:
            raise ConnectError("the pasted address has no authorization code in it")
        # oauthlib insists on https even for the loopback redirect Google uses.
        flow.fetch_token(authorization_response=answer.replace("http://", "https://", 1))
    else:
        flow.run_local_server(port=0, open_browser=open_browser, **options)
    return dict(flow.oauth2session.token)


def _scopes(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list | tuple | set):
        return {str(s) for s in value}
    return set()


def read_identity(
    grant: GoogleGrant, endpoints: GoogleEndpoints | None, **options: Any
) -> tuple[str, str]:
    """The account's address (Gmail profile) and its primary calendar's time zone.

    The zone comes from an events list (one item, `timeZone` only): calendars.get and
    settings.get need wider scopes than calendar.events, which is all we ask for.
    """
    provider = GmailProvider("connecting", "", grant.credentials(), endpoints, **options)
    try:
        email = provider.account_address()
        zone = provider.calendar_time_zone()
    except ProviderError as exc:
        raise ConnectError(f"Google answered, but reading the account failed: {exc}") from None
    finally:
        provider.close()
    return email.lower(), zone


def connect(
    app: App,
    grant: GoogleGrant,
    *,
    endpoints: GoogleEndpoints | None = None,
    expected: str | None = None,
    **provider_options: Any,
) -> Connected:
    """Store the grant and record the account; reconnecting keeps its cursors.

    expected: the address the user meant to connect (the reconnect command names it);
    signing in as someone else stores nothing.
    """
    email, zone = read_identity(grant, endpoints, **provider_options)
    check_expected(email, expected, "in the browser")
    if endpoints is not None and endpoints != GoogleEndpoints():
        grant = GoogleGrant(**{**asdict(grant), "endpoints": asdict(endpoints)})
    return record_connection(
        app,
        provider="google",
        account_id=google_account_id(email),
        email=email,
        time_zone=zone,
        scopes=list(grant.scopes),
        secret=grant.to_json(),
    )

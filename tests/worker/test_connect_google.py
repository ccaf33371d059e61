"""Connecting Google: both sign-in paths against the emulator, what is checked and stored,
reconnecting where sync stopped, and no secret in logs, errors or the log."""

from __future__ import annotations

import json
import logging
import stat
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from events.projections.accounts import AccountRow
from events.types import SyncCursorAdvanced
from integrations.sandbox.google.emulator import CLIENT_SECRET
from worker.accounts.google import GoogleGrant, google_account_id, google_provider
from worker.accounts.google_connect import (
    ConnectError,
    connect,
    read_client_secrets,
    sign_in,
)
from worker.accounts.token_store import TokenStore
from worker.services.app import App

from .google_consent import Consent, consent  # noqa: F401 - the fixture

EMAIL = "user@sandbox.example"


def paste_sign_in(consent: Consent) -> GoogleGrant:  # noqa: F811
    config = read_client_secrets(consent.client_secrets)
    return sign_in(config, open_browser=False, paste=True, prompt=consent.paste, say=consent.say)


def connected(app: App, consent: Consent) -> AccountRow:  # noqa: F811
    done = connect(app, paste_sign_in(consent), endpoints=consent.endpoints)
    return next(r for r in app.projector.rows(AccountRow) if r.account_id == done.account_id)


def test_the_no_browser_path_connects_and_the_stored_grant_syncs(
    app: App,
    consent: Consent,  # noqa: F811
) -> None:
    row = connected(app, consent)
    assert consent.exchanges == 1
    assert (row.provider, row.email, row.status) == ("google", EMAIL, "connected")
    assert row.account_id == google_account_id(EMAIL)
    assert row.time_zone == "UTC"
    path = app.settings.data_dir / "tokens" / f"{row.account_id}.token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    grant = GoogleGrant.from_json(TokenStore(app.settings).load(row.account_id))
    assert grant.refresh_token in consent.issued
    assert grant.endpoints is not None  # connected to the sandbox, so it says where
    # The runtime's factory: a provider that refreshes its access token and syncs.
    with google_provider(app.settings, row) as provider:
        batch = provider.sync({}, {"someone@example.org"})
    assert "gmail.history" in batch.cursors


def test_the_browser_path_receives_the_redirect_on_a_loopback_port(
    consent: Consent,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = read_client_secrets(consent.client_secrets)
    caplog.set_level(logging.INFO, logger="google_auth_oauthlib.flow")
    result: list[GoogleGrant] = []
    worker = threading.Thread(
        target=lambda: result.append(
            sign_in(config, open_browser=False, paste=False, prompt=input, say=print)
        )
    )
    worker.start()
    url = _wait_for_prompt(caplog)
    redirect = url.split("redirect_uri=", 1)[1].split("&", 1)[0]
    landing = consent.approve(url, urllib.parse.unquote(redirect))
    with urllib.request.urlopen(landing, timeout=10) as answer:  # noqa: S310 - the browser
        assert answer.status == 200
    worker.join(10)
    assert result
    assert result[0].refresh_token in consent.issued


def _wait_for_prompt(caplog: pytest.LogCaptureFixture) -> str:
    for _ in range(200):
        for record in caplog.records:
            if "http" in record.getMessage():
                return next(w for w in record.getMessage().split() if w.startswith("http"))
        threading.Event().wait(0.05)
    raise AssertionError("the flow never printed its sign-in address")


def test_reconnecting_keeps_the_cursors_and_records_a_new_connection(
    app: App,
    consent: Consent,  # noqa: F811
) -> None:
    first = connected(app, consent)
    app.journal.record(
        SyncCursorAdvanced(account_id=first.account_id, resource="gmail.history", cursor="42")
    )
    connect(app, paste_sign_in(consent), endpoints=consent.endpoints)
    app.projector.catch_up()
    again = next(r for r in app.projector.rows(AccountRow) if r.account_id == first.account_id)
    assert again.cursors["gmail.history"] == "42"
    connections = [e for e in app.store.read_all() if e.type == "account.connected"]
    assert len(connections) == 2
    # The token file holds the newest grant.
    grant = GoogleGrant.from_json(TokenStore(app.settings).load(first.account_id))
    assert grant.refresh_token == consent.issued[-2]


def test_a_partial_consent_is_refused_and_nothing_is_stored(
    app: App,
    consent: Consent,  # noqa: F811
) -> None:
    consent.scopes = "https://www.googleapis.com/auth/gmail.readonly"
    with pytest.raises(ConnectError, match=r"did not grant gmail\.compose, calendar\.events"):
        paste_sign_in(consent)
    assert not (app.settings.data_dir / "tokens").exists()
    assert app.store.head() == 0


def test_signing_in_as_someone_else_than_expected_stores_nothing(
    app: App,
    consent: Consent,  # noqa: F811
) -> None:
    grant = paste_sign_in(consent)
    with pytest.raises(ConnectError, match=r"signed in as user@sandbox\.example, not ada@x\.org"):
        connect(app, grant, endpoints=consent.endpoints, expected="ada@x.org")
    assert not (app.settings.data_dir / "tokens").exists()


def test_a_pasted_address_without_a_code_is_refused(consent: Consent) -> None:  # noqa: F811
    config = read_client_secrets(consent.client_secrets)
    with pytest.raises(ConnectError, match="no authorization code"):
        sign_in(
            config,
            open_browser=False,
            paste=True,
            prompt=lambda _: "http://localhost:1/?error=access_denied",
            say=consent.say,
        )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("{not json", "not JSON (line 1"),
        ("[]", "expected a JSON object"),
        ('{"web": {"client_id": "x"}}', "web-application client"),
        ('{"other": {}}', "no 'installed' section"),
        ('{"installed": {"client_id": "x", "auth_uri": "a", "token_uri": "t"}}', "client_secret"),
    ],
)
def test_bad_client_secrets_are_named_in_one_line(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "secrets.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConnectError) as refused:
        read_client_secrets(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_no_secret_reaches_logs_errors_or_the_event_log(
    app: App,
    consent: Consent,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    row = connected(app, consent)
    consent.sandbox.google.revoke_grant()
    problems: list[str] = []
    with google_provider(app.settings, row) as provider:
        try:
            provider.sync({}, {"someone@example.org"})
        except Exception as exc:
            problems.append(f"{exc!r} {exc}")
    grant = GoogleGrant.from_json(TokenStore(app.settings).load(row.account_id))
    problems.append(repr(grant))
    logged = caplog.text + "\n".join(problems)
    stored = json.dumps([e.payload for e in app.store.read_all()])
    secrets = [*consent.issued, CLIENT_SECRET]
    assert consent.issued
    for secret in secrets:
        assert secret not in logged
        assert secret not in stored

"""Connecting Microsoft: the device-code sign-in against the emulator over TLS with the
real msal, the sealed token cache and its write-back, a revoked grant stopping sync with
the command to run, Ctrl-C and bad options leaving nothing behind, and no secret in logs
or the log."""

from __future__ import annotations

import json
import logging
import os
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from events.projections.accounts import AccountRow
from integrations.sandbox import Sandbox
from integrations.sandbox.microsoft import MicrosoftEmulator
from tests.integrations.microsoft.trust import _trust_only_given_ca  # noqa: F401 - autouse
from tests.worker.conftest import worker_env
from tests.worker.test_cli import OUTREACH
from worker.accounts.microsoft import (
    CA_BUNDLE_ENV,
    CLIENT_ID_ENV,
    GRAPH_URL_ENV,
    LOGIN_URL_ENV,
    MicrosoftEndpoints,
    MicrosoftGrant,
    microsoft_account_id,
)
from worker.accounts.microsoft_connect import ConnectError, connect, sign_in
from worker.accounts.providers import opened_provider
from worker.accounts.run_providers import ProviderFactory
from worker.accounts.token_store import TokenStore
from worker.cli import _register
from worker.cli import app as cli_app
from worker.runner.runtime import Runtime
from worker.services.app import App
from worker.services.rendering import Renderer
from worker.services.status import status

EMAIL = "alex@contoso.example"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    # Started at the wall clock: MSAL judges access tokens by it, the emulator by its own.
    with Sandbox(seed=5) as running:
        emulator = running.microsoft
        assert isinstance(emulator, MicrosoftEmulator)
        emulator.identity.settings.auto_approve_after_polls = 2
        yield running


def emulator_of(sandbox: Sandbox) -> MicrosoftEmulator:
    assert isinstance(sandbox.microsoft, MicrosoftEmulator)
    return sandbox.microsoft


def microsoft_env(sandbox: Sandbox) -> dict[str, str]:
    """The settings that point `connect microsoft` at the emulator instead of Microsoft."""
    emulator = emulator_of(sandbox)
    return {
        LOGIN_URL_ENV: emulator.identity_url,
        GRAPH_URL_ENV: sandbox.endpoints()["graph"],
        CA_BUNDLE_ENV: emulator.ca_cert_path,
        CLIENT_ID_ENV: emulator.identity.settings.client_id,
    }


class Screen:
    """What the user sees while signing in."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)


def signed_in(sandbox: Sandbox, screen: Screen | None = None, **options: object) -> MicrosoftGrant:
    emulator = emulator_of(sandbox)
    return sign_in(
        emulator.identity.settings.client_id,
        "common",
        endpoints=MicrosoftEndpoints.from_env(microsoft_env(sandbox)),
        say=screen or Screen(),
        **options,  # type: ignore[arg-type]
    )


def connected(app: App, sandbox: Sandbox) -> AccountRow:
    done = connect(app, signed_in(sandbox))
    app.projector.catch_up()
    return next(r for r in app.projector.rows(AccountRow) if r.account_id == done.account_id)


def refresh_tokens(grant: MicrosoftGrant) -> list[str]:
    cache = json.loads(grant.cache)
    return [str(rt["secret"]) for rt in cache.get("RefreshToken", {}).values()]


def access_tokens(grant: MicrosoftGrant) -> list[str]:
    cache = json.loads(grant.cache)
    return [str(at["secret"]) for at in cache.get("AccessToken", {}).values()]


def stored(app: App, account_id: str) -> MicrosoftGrant:
    return MicrosoftGrant.from_json(TokenStore(app.settings).load(account_id))


def test_the_device_code_sign_in_connects_and_the_sealed_cache_syncs(
    app: App, sandbox: Sandbox
) -> None:
    emulator = emulator_of(sandbox)
    screen = Screen()
    shown: list[list[str]] = []
    screen_say = screen.__call__

    def say(line: str) -> None:
        shown.append(emulator.identity.pending_user_codes())
        screen_say(line)

    grant = signed_in(sandbox, say)  # type: ignore[arg-type]
    done = connect(app, grant)

    # The user was shown the page and the very code the sign-in waited for.
    code = shown[0][0]
    assert f"open {emulator.identity_url}devicelogin" in screen.lines[0]
    assert code in screen.lines[0]
    app.projector.catch_up()
    row = next(r for r in app.projector.rows(AccountRow) if r.account_id == done.account_id)
    assert (row.provider, row.email, row.status) == ("microsoft", EMAIL, "connected")
    assert row.account_id == microsoft_account_id(EMAIL)
    events = [e for e in app.store.read_all() if e.type == "account.connected"]
    assert [e.payload["provider"] for e in events] == ["microsoft"]
    # Sealed at rest, owner only, no token in clear.
    path = app.settings.data_dir / "tokens" / f"{row.account_id}.token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    on_disk = path.read_bytes()
    saved = stored(app, row.account_id)
    secrets = refresh_tokens(saved) + access_tokens(saved)
    assert secrets
    for secret in secrets:
        assert secret.encode() not in on_disk
    assert b"Mail.Send" not in on_disk
    assert EMAIL.encode() not in on_disk
    # What `outreach run` builds: the cached access token is used silently.
    sandbox.accounting.reset()
    with opened_provider(app, row) as provider:
        batch = provider.sync({}, {"someone@example.org"})
    assert {"graph.inbox", "graph.sentitems", "graph.calendar"} <= set(batch.cursors)
    assert sandbox.accounting.total(provider="microsoft", method="identity.token") == 0


def test_pending_and_slow_down_answers_are_waited_out(sandbox: Sandbox) -> None:
    identity = emulator_of(sandbox).identity
    identity.settings.slow_down_polls = frozenset({2})
    identity.settings.auto_approve_after_polls = 3
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    grant = signed_in(sandbox, sleep=sleep)
    # pending → wait the interval; slow_down → the interval grows by 5 s (RFC 8628).
    assert waits == [1.0, 6.0]
    assert refresh_tokens(grant)


def test_a_declined_sign_in_stores_nothing(app: App, sandbox: Sandbox) -> None:
    identity = emulator_of(sandbox).identity
    identity.settings.auto_approve_after_polls = None

    def say(line: str) -> None:
        for code in identity.pending_user_codes():
            identity.decline(code)

    with pytest.raises(ConnectError, match="declined"):
        signed_in(sandbox, say)  # type: ignore[arg-type]
    assert not (app.settings.data_dir / "tokens").exists()
    assert app.store.head() == 0


def test_signing_in_as_someone_else_than_expected_stores_nothing(
    app: App, sandbox: Sandbox
) -> None:
    grant = signed_in(sandbox)
    with pytest.raises(ConnectError, match=r"signed in as alex@contoso\.example, not ada@x\.org"):
        connect(app, grant, expected="ada@x.org")
    assert not (app.settings.data_dir / "tokens").exists()
    assert app.store.head() == 0


def test_a_refresh_writes_the_new_cache_back(app: App, sandbox: Sandbox) -> None:
    row = connected(app, sandbox)
    path = app.settings.data_dir / "tokens" / f"{row.account_id}.token"
    before_bytes = path.read_bytes()
    before = stored(app, row.account_id)
    # An hour passes on Graph's clock: it refuses the access token MSAL still trusts
    # (MSAL reads the wall clock), so the provider refreshes and retries.
    sandbox.clock.advance(timedelta(hours=2))
    with opened_provider(app, row) as provider:
        provider.sync({}, {"someone@example.org"})
    assert sandbox.accounting.total(provider="microsoft", method="identity.token") >= 1
    after = stored(app, row.account_id)
    assert path.read_bytes() != before_bytes
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(refresh_tokens(after)) - set(refresh_tokens(before))  # the new one is kept
    # Started again from the file alone, the refreshed access token is used silently.
    sandbox.accounting.reset()
    with opened_provider(app, row) as provider:
        provider.find_sent("<nothing@outreach.example>")
    assert sandbox.accounting.total(provider="microsoft", method="identity.token") == 0


def test_a_revoked_grant_stops_sync_and_status_names_the_command(
    app: App, sandbox: Sandbox, tmp_path: Path
) -> None:
    row = connected(app, sandbox)
    emulator_of(sandbox).identity.revoke(EMAIL, access_tokens_too=True)
    providers = ProviderFactory(app, os.environ)
    runtime = Runtime(app=app, provider_for=providers, renderer=Renderer(tmp_path / "none"))
    try:
        assert runtime.sync(row.account_id) == 0
        app.projector.catch_up()
        shown = {a["account_id"]: a for a in status(app, None)["accounts"]}[row.account_id]
        assert shown["status"] == "needs_reconnect"
        assert shown["command"] == f"outreach connect microsoft {EMAIL}"
        assert "invalid_grant" in shown["reason"]
        # Sync stays stopped: nothing more is asked of Graph or the sign-in.
        sandbox.accounting.reset()
        assert runtime.sync(row.account_id) == 0
        assert sandbox.accounting.total(provider="microsoft") == 0
    finally:
        providers.close()
    # What the user reads (the table wraps the command; --json gives it whole).
    _register()
    runner = CliRunner(env=worker_env(tmp_path, app.settings.database_url))
    table = runner.invoke(cli_app, ["status"])
    assert table.exit_code == 0, table.output
    assert "needs" in table.output
    listed = runner.invoke(cli_app, ["status", "--json"])
    accounts = json.loads(listed.output)["accounts"]
    assert [a["command"] for a in accounts] == [shown["command"]]
    # Running that command (no client id given or configured: the token file has it)
    # signs in again, and sync resumes where it stopped.
    env = {**worker_env(tmp_path, app.settings.database_url), **microsoft_env(sandbox)}
    env[CLIENT_ID_ENV] = ""
    args = str(shown["command"]).split()[1:]
    again = CliRunner(env=env).invoke(cli_app, args)
    assert again.exit_code == 0, again.output
    assert f"reconnected {EMAIL}" in again.output
    app.projector.catch_up()
    back = next(r for r in app.projector.rows(AccountRow) if r.account_id == row.account_id)
    assert back.status == "connected"
    providers = ProviderFactory(app, os.environ)
    try:
        resumed = Runtime(app=app, provider_for=providers, renderer=Renderer(tmp_path / "none"))
        resumed.sync(row.account_id)
    finally:
        providers.close()
    app.projector.catch_up()
    synced = next(r for r in app.projector.rows(AccountRow) if r.account_id == row.account_id)
    assert "graph.inbox" in synced.cursors


def test_no_token_reaches_logs_errors_or_the_event_log(
    app: App, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    row = connected(app, sandbox)
    problems: list[str] = []
    sandbox.clock.advance(timedelta(hours=2))
    with opened_provider(app, row) as provider:
        provider.sync({}, {"someone@example.org"})
        emulator_of(sandbox).identity.revoke(EMAIL, access_tokens_too=True)
        try:
            provider.sync({}, {"someone@example.org"})
        except Exception as exc:
            problems.append(f"{exc!r} {exc}")
    assert problems  # the revoke was noticed
    grant = stored(app, row.account_id)
    problems.append(repr(grant))
    logged = caplog.text + "\n".join(problems)
    in_log = json.dumps([e.payload for e in app.store.read_all()])
    secrets = refresh_tokens(grant) + access_tokens(grant)
    assert secrets
    for secret in secrets:
        assert secret not in logged
        assert secret not in in_log


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--tenant", "not a tenant"], "--tenant 'not a tenant': expected common"),
        (["--tenant", "../../evil"], "--tenant '../../evil'"),
        (["--client-id", "my-app"], "--client-id 'my-app': not an application (client) id"),
        ([], "no client id: pass --client-id"),
    ],
)
def test_bad_options_are_one_line_nonzero_and_write_nothing(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    _register()
    env = worker_env(tmp_path)
    if "--client-id" not in args:
        env[CLIENT_ID_ENV] = "" if not args else "5f1c2a8e-6d3b-4c1e-9a7f-0b2d4e6f8a10"
    result = CliRunner(env=env).invoke(cli_app, ["connect", "microsoft", *args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert expected in lines[0]
    assert not (tmp_path / "data").exists()


def test_ctrl_c_while_waiting_exits_130_and_writes_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    emulator_of(sandbox).identity.settings.auto_approve_after_polls = None
    env = {
        **{
            k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
        },
        **worker_env(tmp_path),
        **microsoft_env(sandbox),
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "200",
    }
    process = subprocess.Popen(
        [*OUTREACH, "connect", "microsoft"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "enter the code" in first, first
        code = first.split()[-1]
        # Wait until the sign-in is polling for that code, then press Ctrl-C.
        deadline = time.monotonic() + 10
        while emulator_of(sandbox).identity.pending_user_codes() != [code]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.5)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    assert err.strip().splitlines() == [
        "error: interrupted: the sign-in was abandoned and nothing was stored"
    ]
    assert "Traceback" not in out + err
    assert not (tmp_path / "data").exists()
    assert not (tmp_path / "config").exists()

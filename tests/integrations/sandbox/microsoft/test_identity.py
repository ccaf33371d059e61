"""Real MSAL against the emulated Entra ID: device flow, silent refresh, revocation."""

from __future__ import annotations

import time
from datetime import timedelta

import msal
import pytest
import requests

from integrations.sandbox import Accounting, FaultPlan, SimClock
from integrations.sandbox.microsoft import IdentitySettings, MicrosoftEmulator

from .conftest import SCOPES, GraphClient

NO_WAIT = {"exit_condition": lambda flow: True}  # one poll per call, no sleeping


def _device_login(app: msal.PublicClientApplication, emulator: MicrosoftEmulator) -> dict:
    flow = app.initiate_device_flow(scopes=SCOPES)
    assert emulator.approve_device_code(flow["user_code"])
    result = app.acquire_token_by_device_flow(flow, **NO_WAIT)
    assert "access_token" in result, result
    return result


@pytest.mark.parametrize(
    "identity_settings", [IdentitySettings(auto_approve_after_polls=2)], indirect=False
)
def test_device_flow_polls_until_the_user_approves(
    msal_app: msal.PublicClientApplication, emulator: MicrosoftEmulator
) -> None:
    flow = msal_app.initiate_device_flow(scopes=SCOPES)
    assert flow["interval"] == 1
    assert flow["user_code"] in flow["message"]
    started = time.monotonic()
    result = msal_app.acquire_token_by_device_flow(flow)  # MSAL's own blocking loop
    assert time.monotonic() - started < 5
    assert result["token_type"] == "Bearer"
    assert result["id_token_claims"]["preferred_username"] == emulator.email
    assert set(result["scope"].split()) >= set(SCOPES)
    (account,) = msal_app.get_accounts()
    assert account["username"] == emulator.email
    assert emulator.accounting.total(method="identity.token") == 2


def test_pending_then_approved_through_control(
    msal_app: msal.PublicClientApplication, emulator: MicrosoftEmulator
) -> None:
    flow = msal_app.initiate_device_flow(scopes=SCOPES)
    first = msal_app.acquire_token_by_device_flow(flow, **NO_WAIT)
    assert first["error"] == "authorization_pending"
    assert emulator.identity.pending_user_codes() == [flow["user_code"]]
    assert emulator.approve_device_code()  # the newest pending code
    time.sleep(0.85)  # MSAL's interval is 1 s; the emulator enforces it
    second = msal_app.acquire_token_by_device_flow(flow, **NO_WAIT)
    assert "access_token" in second


def test_polling_too_fast_gets_slow_down_and_msal_backs_off(
    msal_app: msal.PublicClientApplication,
) -> None:
    flow = msal_app.initiate_device_flow(scopes=SCOPES)
    msal_app.acquire_token_by_device_flow(flow, **NO_WAIT)
    flow["latest_attempt_at"] = 0  # skip MSAL's own "too soon" guard to hammer the server
    result = msal_app.acquire_token_by_device_flow(flow, **NO_WAIT)
    assert result["error"] == "slow_down"
    assert flow["interval"] == 6  # MSAL adds 5 s, per the RFC


@pytest.mark.parametrize(
    "identity_settings",
    [IdentitySettings(slow_down_polls=frozenset({1}), enforce_interval=False)],
)
def test_scripted_slow_down_then_success(
    msal_app: msal.PublicClientApplication, emulator: MicrosoftEmulator
) -> None:
    flow = msal_app.initiate_device_flow(scopes=SCOPES)
    assert msal_app.acquire_token_by_device_flow(flow, **NO_WAIT)["error"] == "slow_down"
    emulator.approve_device_code(flow["user_code"])
    flow["latest_attempt_at"] = 0
    assert "access_token" in msal_app.acquire_token_by_device_flow(flow, **NO_WAIT)


def test_declined_and_expired_device_codes(
    msal_app: msal.PublicClientApplication, emulator: MicrosoftEmulator, clock: SimClock
) -> None:
    declined = msal_app.initiate_device_flow(scopes=SCOPES)
    emulator.decline_device_code(declined["user_code"])
    result = msal_app.acquire_token_by_device_flow(declined, **NO_WAIT)
    assert result["error"] == "authorization_declined"
    expiring = msal_app.initiate_device_flow(scopes=SCOPES)
    clock.advance(timedelta(minutes=16))
    result = msal_app.acquire_token_by_device_flow(expiring, **NO_WAIT)
    assert result["error"] == "expired_token"


def test_unknown_client_id_is_refused(emulator: MicrosoftEmulator) -> None:
    app = msal.PublicClientApplication(
        "00000000-1111-2222-3333-444444444444",
        authority=emulator.authority,
        verify=emulator.ca_cert_path,
        instance_discovery=False,
    )
    flow = app.initiate_device_flow(scopes=SCOPES)
    assert flow["error"] == "unauthorized_client"
    assert 700016 in flow["error_codes"]


def test_silent_refresh_after_the_access_token_expires(
    msal_app: msal.PublicClientApplication, emulator: MicrosoftEmulator, clock: SimClock
) -> None:
    first = _device_login(msal_app, emulator)
    graph = GraphClient(emulator.endpoints()["graph"], first["access_token"])
    assert graph.get("/me").status_code == 200
    clock.advance(timedelta(hours=2))
    expired = graph.get("/me")
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert "expired" in expired.json()["error"]["message"]
    (account,) = msal_app.get_accounts()
    # MSAL judges expiry by the wall clock, so a client must force a refresh on 401.
    cached = msal_app.acquire_token_silent(SCOPES, account=account)
    assert cached is not None
    assert cached["token_source"] == "cache"
    fresh = msal_app.acquire_token_silent(SCOPES, account=account, force_refresh=True)
    assert fresh is not None
    assert fresh["token_source"] == "identity_provider"
    assert GraphClient(graph.base, fresh["access_token"]).get("/me").status_code == 200


def test_revoked_grant_answers_invalid_grant(
    msal_app: msal.PublicClientApplication, emulator: MicrosoftEmulator
) -> None:
    first = _device_login(msal_app, emulator)
    assert emulator.revoke_grant() >= 1
    (account,) = msal_app.get_accounts()
    result = msal_app.acquire_token_silent_with_error(SCOPES, account=account, force_refresh=True)
    assert result is not None
    assert result["error"] == "invalid_grant"
    assert 50173 in result["error_codes"]
    # Access tokens already issued live out their lifetime, as Entra's do.
    graph = GraphClient(emulator.endpoints()["graph"], first["access_token"])
    assert graph.get("/me").status_code == 200
    emulator.revoke_grant(access_tokens_too=True)
    assert graph.get("/me").status_code == 401


def _refresh(emulator: MicrosoftEmulator, refresh_token: str) -> requests.Response:
    return requests.post(
        emulator.authority + "/oauth2/v2.0/token",
        data={
            "grant_type": "refresh_token",
            "client_id": emulator.identity.settings.client_id,
            "refresh_token": refresh_token,
            "scope": "Mail.ReadWrite offline_access",
        },
        verify=emulator.ca_cert_path,
        timeout=10,
    )


def test_seeded_refresh_token_refreshes_and_faults_shape_the_answer(
    emulator: MicrosoftEmulator, faults: FaultPlan
) -> None:
    refresh_token = emulator.endpoints()["microsoft"]["refresh_token"]
    ok = _refresh(emulator, refresh_token)
    assert ok.status_code == 200
    assert ok.json()["scope"] == "Mail.ReadWrite"
    faults.add("microsoft", "identity.token", "rate_limit", times=1, retry_after=7)
    throttled = _refresh(emulator, refresh_token)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "7"
    faults.add("microsoft", "identity.token", "revoked", times=1)
    revoked = _refresh(emulator, refresh_token)
    assert (revoked.status_code, revoked.json()["error"]) == (400, "invalid_grant")
    faults.add("microsoft", "identity.token", "unavailable", times=1)
    assert _refresh(emulator, refresh_token).status_code == 503
    assert _refresh(emulator, "not-a-token").json()["error"] == "invalid_grant"
    assert _refresh(emulator, refresh_token).status_code == 200


def test_refresh_for_unconsented_scope_is_refused(emulator: MicrosoftEmulator) -> None:
    response = requests.post(
        emulator.authority + "/oauth2/v2.0/token",
        data={
            "grant_type": "refresh_token",
            "client_id": emulator.identity.settings.client_id,
            "refresh_token": emulator.refresh_token,
            "scope": "Files.ReadWrite.All",
        },
        verify=emulator.ca_cert_path,
        timeout=10,
    )
    assert response.json()["error"] == "invalid_grant"
    assert 65001 in response.json()["error_codes"]


def test_malformed_token_requests_never_crash(emulator: MicrosoftEmulator) -> None:
    url = emulator.authority + "/oauth2/v2.0/token"
    bodies: list[bytes] = [b"", b"\xff\xfe", b"grant_type=password&client_id=x", b"%%%"]
    for body in bodies:
        response = requests.post(url, data=body, verify=emulator.ca_cert_path, timeout=10)
        assert 400 <= response.status_code < 500
        assert "error" in response.json()
    missing = requests.get(emulator.identity_url + "nope", verify=emulator.ca_cert_path, timeout=10)
    assert missing.status_code == 404


def test_identity_settings_are_per_emulator() -> None:
    clock, faults, accounting = SimClock(), FaultPlan(), Accounting()
    one = MicrosoftEmulator(clock, faults, accounting, identity=IdentitySettings(interval=3))
    two = MicrosoftEmulator(clock, faults, accounting)
    assert one.identity.settings.interval == 3
    assert two.identity.settings.interval == 1

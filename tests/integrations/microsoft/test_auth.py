"""The MSAL token cache: handed to `save` when it changes, enough to start again from."""

from __future__ import annotations

import logging

import pytest
import requests

from integrations.microsoft import OutlookProvider, TokenSource
from integrations.protocol import TransientProviderError

from .conftest import OutlookEnv


def test_the_saved_cache_restores_the_sign_in(env: OutlookEnv) -> None:
    assert len(env.saved) == 1  # the bootstrap from the sandbox's refresh token
    endpoints = env.sandbox.endpoints()
    session = requests.Session()
    session.trust_env = False
    session.verify = env.emulator.ca_cert_path
    saved: list[str] = []
    tokens = TokenSource.build(
        endpoints["microsoft"]["client_id"],
        endpoints["microsoft_authority"],
        env.emulator.email,
        serialized_cache=env.saved[-1],
        save=saved.append,
        http_client=session,
    )
    env.sandbox.accounting.reset()
    restored = OutlookProvider("again", env.emulator.email, tokens, endpoints["graph"])
    env.others.append(restored)
    assert restored.find_sent("<nope@outreach.example>") is None
    assert env.token_requests() == 0  # the cached access token was still good
    assert saved == []  # nothing changed, nothing written


def test_a_forced_refresh_is_saved_and_no_token_is_logged(
    env: OutlookEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    before = env.provider.tokens.refreshes
    token = env.provider.tokens.access_token(force_refresh=True)
    assert env.provider.tokens.refreshes == before + 1
    assert len(env.saved) == 2  # the rotated tokens went to `save`
    env.sandbox.faults.add("microsoft", "graph.messages.list", "server_error", times=1)
    env.provider.find_sent("<nope@outreach.example>")
    assert token not in caplog.text
    assert env.sandbox.endpoints()["microsoft"]["refresh_token"] not in caplog.text


@pytest.mark.parametrize("kind", ["server_error", "unavailable", "rate_limit"])
def test_after_a_token_endpoint_failure_the_next_refresh_asks_again(
    env: OutlookEnv, kind: str
) -> None:
    """MSAL answers every refresh with a 5xx or 429 it got, for the Retry-After (5 s
    without one) by the wall clock. The worker spaces its retries itself, by its own
    clock (the account's pause, at least a minute, at least the Retry-After): when it
    asks again, the endpoint is asked again. In lockstep the wall-clock replay made one
    fault an outage of hours of story."""
    env.sandbox.faults.add("microsoft", "identity.token", kind, times=1, retry_after=30)
    with pytest.raises(TransientProviderError, match="token refresh failed"):
        env.provider.tokens.access_token(force_refresh=True)
    before = env.token_requests()
    assert env.provider.tokens.access_token(force_refresh=True)
    assert env.token_requests() == before + 1

"""Every fault the Microsoft emulator injects, as the Outlook provider meets it: throttling
with Retry-After, 5xx, dropped connections, a revoked grant, and the in-flight limit."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests

from integrations.microsoft import OutlookProvider, TokenSource
from integrations.microsoft.errors import RECONNECT_COMMAND
from integrations.protocol import NeedsReconnect, TransientProviderError
from tests.integrations.contract import CONTACT, outgoing, sync_all

from .conftest import OutlookEnv


def test_throttling_waits_the_retry_after_graph_gave(env: OutlookEnv) -> None:
    env.sandbox.faults.add(
        "microsoft", "graph.messages.delta", "rate_limit", times=1, retry_after=7
    )
    batch = sync_all(env.provider, {}, {CONTACT})
    assert env.sleep.waits == [7.0]
    assert "graph.inbox" in batch.cursors


@pytest.mark.parametrize("kind", ["server_error", "unavailable"])
def test_server_errors_are_retried_without_duplicates(env: OutlookEnv, kind: str) -> None:
    env.sandbox.faults.add("microsoft", "graph.messages.create", kind, times=2, retry_after=2)
    draft = env.provider.create_draft(outgoing(1))
    assert len(env.sleep.waits) == 2
    assert [d["id"] for d in env.emulator.state()["drafts"]] == [draft.provider_draft_id]


def test_a_dropped_send_is_retried_and_sends_once(env: OutlookEnv) -> None:
    env.sandbox.faults.add("microsoft", "graph.messages.send", "drop", times=1)
    sent = env.provider.send_message(outgoing(2))
    [record] = env.emulator.state()["sent"]
    assert record["id"] == sent.provider_message_id
    assert len(env.sleep.waits) == 1


def test_a_dropped_create_leaves_one_draft(env: OutlookEnv) -> None:
    env.sandbox.faults.add("microsoft", "graph.messages.create", "drop", times=1)
    env.provider.create_draft(outgoing(3))
    assert len(env.emulator.state()["drafts"]) == 1


def test_persistent_throttling_gives_up_as_transient(env: OutlookEnv) -> None:
    env.sandbox.faults.add(
        "microsoft", "graph.messages.list", "rate_limit", times=10, retry_after=3
    )
    with pytest.raises(TransientProviderError) as caught:
        env.provider.find_sent("<nope@outreach.example>")
    assert caught.value.retry_after == 3.0
    assert env.sleep.waits == [3.0, 3.0, 3.0]  # four attempts in all


def test_revoked_grant_asks_to_reconnect_without_a_retry_storm(env: OutlookEnv) -> None:
    env.emulator.revoke_grant(access_tokens_too=True)
    env.sandbox.accounting.reset()
    with pytest.raises(NeedsReconnect) as caught:
        env.provider.sync({}, {CONTACT})
    assert caught.value.command == RECONNECT_COMMAND
    # One 401 (the emulator does not count those), one refresh refused, no retries.
    assert env.provider.graph.requests_sent == 1
    assert env.token_requests() == 1
    assert env.sleep.waits == []
    tokens = env.sandbox.endpoints()["microsoft"]
    assert tokens["access_token"] not in str(caught.value)
    assert tokens["refresh_token"] not in str(caught.value)
    with pytest.raises(NeedsReconnect):
        env.provider.send_message(outgoing(4))
    assert env.emulator.state()["sent"] == []


def test_an_expired_access_token_is_refreshed_once(env: OutlookEnv) -> None:
    # MSAL judges expiry by the wall clock; the emulator by the simulated one.
    env.sandbox.clock.advance(timedelta(hours=2))
    env.sandbox.accounting.reset()
    saved = len(env.saved)
    assert env.provider.find_sent("<nope@outreach.example>") is None
    assert env.token_requests() == 1
    # A 401, then Sent Items, the whole mailbox by internetMessageId and by our marker.
    assert env.provider.graph.requests_sent == 4
    assert env.graph_requests() == 3
    assert len(env.saved) == saved + 1  # the rotated cache was handed over
    env.provider.find_sent("<nope@outreach.example>")
    assert env.token_requests() == 1


def test_revoked_refresh_after_expiry_asks_to_reconnect(env: OutlookEnv) -> None:
    env.emulator.revoke_grant()
    env.sandbox.clock.advance(timedelta(hours=2))
    with pytest.raises(NeedsReconnect):
        env.provider.create_draft(outgoing(5))


def test_missing_scope_asks_to_reconnect(env: OutlookEnv) -> None:
    grant = env.emulator.identity.grant(env.emulator.email, frozenset({"mail.read"}))
    # Asking for more than the user consented to: the token endpoint refuses.
    with pytest.raises(NeedsReconnect):
        env.another().tokens.import_refresh_token(grant.refresh_token)
    # A token without Mail.Send: Graph answers 403, which only a new consent fixes.
    endpoints = env.sandbox.endpoints()
    session = requests.Session()
    session.trust_env = False
    session.verify = env.emulator.ca_cert_path
    tokens = TokenSource.build(
        endpoints["microsoft"]["client_id"],
        endpoints["microsoft_authority"],
        env.emulator.email,
        http_client=session,
        scopes=["Mail.Read"],
    )
    tokens.import_refresh_token(grant.refresh_token)
    narrow = OutlookProvider(
        "narrow", env.emulator.email, tokens, endpoints["graph"], sleep=env.sleep
    )
    env.others.append(narrow)
    assert narrow.find_sent("<nope@outreach.example>") is None
    with pytest.raises(NeedsReconnect) as caught:
        narrow.create_draft(outgoing(6))
    assert caught.value.command == RECONNECT_COMMAND
    assert env.sleep.waits == []


def test_eight_threads_never_exceed_four_requests_in_flight(env: OutlookEnv) -> None:
    # Slow answers make the threads overlap; without the limiter the emulator would
    # answer the fifth concurrent request with a 429.
    env.sandbox.faults.add("microsoft", "graph.messages.list", "slow", times=16, delay_s=0.1)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            env.provider.find_sent("<nope@outreach.example>")
        except BaseException as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert env.emulator.graph.peak_in_flight(env.emulator.email) == 4
    assert env.sleep.waits == []  # no 429 was ever drawn


def test_every_request_carries_the_prefer_headers(env: OutlookEnv) -> None:
    seen: list[str] = []
    session = env.provider.graph._session()
    session.hooks["response"].append(
        lambda response, *args, **kwargs: seen.append(response.request.headers["Prefer"])
    )
    env.provider.send_message(outgoing(7))
    sync_all(env.provider, {}, {CONTACT})
    assert len(seen) >= 6
    for prefer in seen:
        assert 'IdType="ImmutableId"' in prefer
        assert 'outlook.timezone="UTC"' in prefer
        assert 'outlook.body-content-type="text"' in prefer

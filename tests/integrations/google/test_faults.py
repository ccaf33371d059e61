"""Injected faults: what is retried, how long we wait, and what is never retried."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integrations.protocol import NeedsReconnect, TransientProviderError
from tests.integrations.contract import CONTACT, outgoing, sync_all

from .conftest import GoogleEnv

LIST = "gmail.users.messages.list"


def test_429_waits_as_long_as_retry_after_says(env: GoogleEnv) -> None:
    env.sandbox.faults.add("google", LIST, "rate_limit", times=1, retry_after=7)
    assert env.provider.find_sent("<nothing@x>") is None
    assert env.sleep.waits == [7.0]
    assert env.requests(LIST) == 2 + 1  # the search retried, then the look by our header


@pytest.mark.parametrize("kind", ["rate_limit_403", "server_error", "unavailable", "drop"])
def test_transient_failures_are_retried_with_backoff(env: GoogleEnv, kind: str) -> None:
    env.sandbox.faults.add("google", LIST, kind, times=2)
    assert env.provider.find_sent("<nothing@x>") is None
    assert env.requests(LIST) == 3 + 1  # two failures, the search, the look by our header
    # httplib2 itself reopens a dropped keep-alive connection once, without our backoff.
    assert len(env.sleep.waits) in ((1, 2) if kind == "drop" else (2,))
    assert all(0 <= w <= 2.0 for w in env.sleep.waits)  # jittered, within the first steps


def test_throttling_with_classic_and_newer_reasons_is_retried(env: GoogleEnv) -> None:
    """A 403 whose body says userRateLimitExceeded in errors[] and RATE_LIMIT_EXCEEDED in
    details[] (the client library reports the latter) is throttling, not a refusal."""
    env.sandbox.faults.add("google", LIST, "rate_limit_403", times=1)
    assert env.provider.find_sent("<nothing@x>") is None
    assert env.requests(LIST) == 2 + 1
    assert len(env.sleep.waits) == 1


def test_retries_are_bounded(env: GoogleEnv) -> None:
    env.sandbox.faults.add("google", LIST, "unavailable", probability=1.0)
    with pytest.raises(TransientProviderError, match="503"):
        env.provider.find_sent("<nothing@x>")
    assert env.requests(LIST) == 4  # the attempts the backoff allows


def test_a_retry_after_beyond_the_limit_is_left_to_the_caller(env: GoogleEnv) -> None:
    env.sandbox.faults.add("google", LIST, "rate_limit", times=1, retry_after=3600)
    with pytest.raises(TransientProviderError) as raised:
        env.provider.find_sent("<nothing@x>")
    assert raised.value.retry_after == 3600
    assert env.sleep.waits == []


def test_dropped_send_is_retried_and_sends_once(env: GoogleEnv) -> None:
    env.sandbox.faults.add("google", "gmail.users.messages.send", "drop", times=1)
    sent = env.provider.send_message(outgoing(1))
    assert [m["message_id"] for m in env.contact.mailbox_sent()] == [sent.message_id]


def test_429_inside_a_batch_is_retried_alone(env: GoogleEnv) -> None:
    for n in range(5):
        env.contact.write(CONTACT, f"Note {n}", "Hello")
    env.sandbox.faults.add("google", "gmail.users.messages.get", "batch_part_429", times=1)
    batch = sync_all(env.provider, {}, {CONTACT})
    assert len(batch.messages) == 5
    assert env.requests("gmail.users.messages.get") == 6  # five parts + the one retried alone
    assert len(env.sleep.waits) == 1


def test_expired_history_costs_one_full_resync(env: GoogleEnv) -> None:
    env.contact.write(CONTACT, "Hello", "First")
    first = sync_all(env.provider, {}, {CONTACT})
    env.contact.write(CONTACT, "Again", "Second")
    env.sandbox.accounting.reset()
    env.sandbox.faults.add("google", "gmail.users.history.list", "history_expired", times=1)
    batch = env.provider.sync(first.cursors, {CONTACT})
    assert not batch.incomplete
    assert {m.subject for m in batch.messages} == {"Hello", "Again"}
    assert env.requests("gmail.users.history.list") == 1
    assert env.requests("gmail.users.getProfile") == 1
    assert env.requests(LIST) == 2  # the contact's mail, and mail servers' reports
    env.sandbox.accounting.reset()
    env.provider.sync(batch.cursors, {CONTACT})
    assert env.requests() == 2  # back to increments


def test_history_that_keeps_expiring_never_loops(env: GoogleEnv) -> None:
    first = sync_all(env.provider, {}, {CONTACT})
    env.sandbox.faults.add("google", "gmail.users.history.list", "history_expired", probability=1)
    env.sandbox.accounting.reset()
    for _ in range(3):
        env.provider.sync(first.cursors, {CONTACT})
    assert env.requests("gmail.users.history.list") == 3  # one per call, never more
    assert env.requests("gmail.users.getProfile") == 3


def test_expired_sync_token_costs_one_full_calendar_sync(env: GoogleEnv) -> None:
    first = sync_all(env.provider, {}, {CONTACT})
    env.sandbox.faults.add("google", "calendar.events.list", "sync_token_expired", times=1)
    env.sandbox.accounting.reset()
    batch = env.provider.sync(first.cursors, {CONTACT})
    assert env.requests("calendar.events.list") == 2
    assert batch.cursors["calendar.sync"] != first.cursors["calendar.sync"]
    env.sandbox.accounting.reset()
    env.provider.sync(batch.cursors, {CONTACT})
    assert env.requests("calendar.events.list") == 1


def test_revoked_grant_asks_to_reconnect_without_a_retry_storm(env: GoogleEnv) -> None:
    env.sandbox.google.revoke_grant()
    with pytest.raises(NeedsReconnect) as raised:
        env.provider.sync({}, {CONTACT})
    assert raised.value.command == "outreach connect google user@sandbox.example"
    assert "ya29" not in str(raised.value)
    assert "1//" not in str(raised.value)
    assert len(env.token_requests) == 1
    for _ in range(3):
        with pytest.raises(NeedsReconnect):
            env.provider.send_message(outgoing(2))
    assert len(env.token_requests) == 1
    assert env.requests() <= 1
    assert env.sleep.waits == []


def test_revoked_at_the_token_endpoint(env: GoogleEnv) -> None:
    env.sandbox.clock.advance(timedelta(hours=2))  # the access token expires
    env.sandbox.faults.add("google", "google.token", "revoked", times=1)
    with pytest.raises(NeedsReconnect):
        env.provider.find_sent("<x@y>")
    assert len(env.token_requests) == 1

"""Contacts tracked after the first sync: their past mail is fetched once, and the cursors
name them only by keyed digest."""

from __future__ import annotations

import json

from integrations.google import GmailProvider
from integrations.google.sync import BACKFILL_CURSOR, COVERED_CURSOR
from tests.integrations.contract import sync_all

from .conftest import GoogleEnv

FIRST = {"contact1@seed.example"}
LATER = "contact2@seed.example"


def test_a_contact_added_later_gets_their_past_threads_once(env: GoogleEnv) -> None:
    env.sandbox.google.seed_mailbox(2000)  # 4 messages per peer
    first = sync_all(env.provider, {}, FIRST)
    assert len(first.messages) == 4
    env.sandbox.accounting.reset()
    backfilled = sync_all(env.provider, first.cursors, FIRST | {LATER})
    assert {m.subject for m in backfilled.messages} == {
        f"Seeded message {i}" for i in range(2, 2000, 500)
    }
    assert env.requests("gmail.users.messages.list") == 1
    assert env.requests("gmail.users.messages.get") == 4
    env.sandbox.accounting.reset()
    later = env.provider.sync(backfilled.cursors, FIRST | {LATER})
    assert later.messages == []
    assert env.requests() == 2  # history + calendar: nothing searched again


def test_cursors_hold_digests_never_addresses(env: GoogleEnv) -> None:
    env.sandbox.google.seed_mailbox(40)
    first = sync_all(env.provider, {}, FIRST)
    after = sync_all(env.provider, first.cursors, FIRST | {LATER})
    logged = json.dumps(after.cursors)
    assert "seed.example" not in logged
    assert len(json.loads(after.cursors[COVERED_CURSOR])) == 2
    # Another key gives other digests: without the key they cannot be checked.
    keyed = GmailProvider.from_sandbox(
        env.sandbox.endpoints(), sleep=env.sleep, address_key=b"k" * 32
    )
    try:
        other = sync_all(keyed, {}, FIRST)
    finally:
        keyed.close()
    assert other.cursors[COVERED_CURSOR] != first.cursors[COVERED_CURSOR]


def test_a_large_backfill_resumes_page_by_page(env: GoogleEnv) -> None:
    env.sandbox.google.seed_mailbox(2000)
    provider = GmailProvider.from_sandbox(
        env.sandbox.endpoints(), sleep=env.sleep, pages_per_sync=1, page_size=2
    )
    try:
        first = sync_all(provider, {}, set())
        step = provider.sync(first.cursors, {LATER})
        assert step.incomplete
        assert BACKFILL_CURSOR in step.cursors
        rest = sync_all(provider, step.cursors, {LATER})
    finally:
        provider.close()
    assert BACKFILL_CURSOR not in rest.cursors
    assert len(step.messages) + len(rest.messages) == 4


def test_accounts_synced_before_backfills_existed_are_not_backfilled(env: GoogleEnv) -> None:
    env.sandbox.google.seed_mailbox(40)
    first = sync_all(env.provider, {}, FIRST)
    legacy = {k: v for k, v in first.cursors.items() if k != COVERED_CURSOR}
    env.sandbox.accounting.reset()
    batch = env.provider.sync(legacy, FIRST | {LATER})
    assert batch.messages == []
    assert env.requests("gmail.users.messages.list") == 0
    assert COVERED_CURSOR in batch.cursors

"""Sync costs and shape on Gmail: what a tick costs, what a first sync fetches, resuming."""

from __future__ import annotations

import json
from datetime import timedelta

from integrations.google import GmailProvider
from integrations.google.sync import queries
from tests.integrations.contract import CONTACT, outgoing, sync_all

from .conftest import GoogleEnv

SEEDED = {f"contact{i}@seed.example" for i in (1, 2, 3)}


def test_an_unchanged_mailbox_and_calendar_cost_two_requests(env: GoogleEnv) -> None:
    env.provider.send_message(outgoing(1))
    env.provider.create_draft(outgoing(2))
    first = sync_all(env.provider, {}, {CONTACT})
    cursors = first.cursors
    for _ in range(3):
        env.sandbox.accounting.reset()
        batch = env.provider.sync(cursors, {CONTACT})
        assert env.requests() == 2
        assert env.requests("gmail.users.history.list") == 1
        assert env.requests("calendar.events.list") == 1
        assert batch.messages == []
        assert batch.events == []
        cursors = batch.cursors


def test_first_sync_of_a_seeded_mailbox_fetches_only_tracked_mail(env: GoogleEnv) -> None:
    env.sandbox.google.seed_mailbox(2000)  # 500 peers, 4 messages each
    env.sandbox.accounting.reset()
    batch = sync_all(env.provider, {}, SEEDED)
    assert len(batch.messages) == 12
    assert {m.from_address for m in batch.messages if not m.sent_by_user} <= SEEDED
    assert env.requests("gmail.users.messages.get") == 12
    # One search for the tracked addresses' mail, one for mail servers' reports.
    assert env.requests("gmail.users.messages.list") == 2
    # getProfile + 2 lists + one batch of 12 parts + drafts.list + calendar events.list
    assert env.requests() == 1 + 2 + 12 + 1 + 1


def test_a_large_first_sync_resumes_and_then_sees_what_arrived_meanwhile(
    env: GoogleEnv,
) -> None:
    for n in range(7):
        env.contact.write(CONTACT, f"Note {n}", "Hello")
    provider = GmailProvider.from_sandbox(
        env.sandbox.endpoints(),
        sleep=env.sleep,
        clock=env.sandbox.clock.now,
        pages_per_sync=1,
        page_size=3,
    )
    try:
        first = provider.sync({}, {CONTACT})
        assert first.incomplete
        assert len(first.messages) == 3
        progress = json.loads(first.cursors["gmail.first_sync"])
        assert progress["page"]
        assert "gmail.history" not in first.cursors
        env.contact.write(CONTACT, "Meanwhile", "Arrived during the first sync")
        rest = sync_all(provider, first.cursors, {CONTACT})
        assert "gmail.first_sync" not in rest.cursors
        subjects = [m.subject for m in first.messages + rest.messages]
        assert len(subjects) == 8
        # The history id was taken before paging: the message shows up again in history
        # (at least once; the worker dedupes by Message-ID).
        later = provider.sync(rest.cursors, {CONTACT})
        assert [m.subject for m in later.messages] == ["Meanwhile"]
    finally:
        provider.close()


def test_many_addresses_are_split_into_short_queries() -> None:
    addresses = {f"person{i:03d}@company{i}.example" for i in range(60)}
    found = queries(addresses)
    assert len(found) > 1
    assert all(len(q) < 1100 for q in found)
    assert all(q.endswith("-in:drafts") for q in found)
    covered = " ".join(found)
    assert all(f"from:{a}" in covered and f"to:{a}" in covered for a in addresses)


def test_sync_leaves_the_callers_cursors_alone(env: GoogleEnv) -> None:
    cursors: dict[str, str] = {}
    env.provider.sync(cursors, {CONTACT})
    assert cursors == {}


def test_replies_and_bounces_carry_what_the_worker_needs(env: GoogleEnv) -> None:
    sent = env.provider.send_message(outgoing(3))
    assert sent.thread_id
    first = sync_all(env.provider, {}, {CONTACT})
    env.contact.reply(sent.thread_id, CONTACT, "Let's do Tuesday.")
    env.sandbox.google.deliver_bounce(to_message=sent.provider_message_id)
    later = sync_all(env.provider, first.cursors, {CONTACT})
    reply, bounce = later.messages
    assert reply.excerpt.startswith("Let's do Tuesday")
    assert reply.date.tzinfo is not None
    assert reply.references == [sent.message_id]
    # A bounce names the contact only in its body; it is passed on, tied by In-Reply-To.
    assert bounce.from_address.startswith("mailer-daemon@")
    assert bounce.in_reply_to == sent.message_id
    assert bounce.headers["content-type"].startswith("multipart/report")


# drafts, with history records that carry only id and threadId ---------------------------
def test_history_records_carry_only_ids(env: GoogleEnv) -> None:
    """As users.history documents: what happened to a message is not in the record."""
    gmail = env.provider._gmail  # the discovery client the adapter itself uses
    start = gmail.users().getProfile(userId="me").execute()["historyId"]
    draft = env.provider.create_draft(outgoing(1))
    env.contact.user_sends_draft(draft.provider_draft_id)
    page = gmail.users().history().list(userId="me", startHistoryId=start).execute()
    changes = [
        change
        for record in page["history"]
        for kind in ("messagesAdded", "messagesDeleted")
        for change in record.get(kind, [])
    ]
    assert len(changes) == 3  # the draft made, then gone, and the message sent
    assert all(set(change["message"]) == {"id", "threadId"} for change in changes)


def test_a_draft_updated_then_discarded_is_reported_gone(env: GoogleEnv) -> None:
    """A draft's message id changes on every update: the sync must follow it."""
    draft = env.provider.create_draft(outgoing(1))
    first = sync_all(env.provider, {}, {CONTACT})
    env.provider.update_draft(draft.provider_draft_id, outgoing(1, body="Version two"))
    again = sync_all(env.provider, first.cursors, {CONTACT})
    assert again.drafts_gone == []
    env.contact.user_deletes_draft(draft.provider_draft_id)
    later = sync_all(env.provider, again.cursors, {CONTACT})
    assert [d.provider_draft_id for d in later.drafts_gone] == [draft.provider_draft_id]


def test_our_new_draft_discarded_before_the_next_pass_is_reported(env: GoogleEnv) -> None:
    """Made after the last pass and gone before the next: never listed, yet watched."""
    first = sync_all(env.provider, {}, {CONTACT})
    draft = env.provider.create_draft(outgoing(1))
    env.contact.user_deletes_draft(draft.provider_draft_id)
    batch = env.provider.sync(first.cursors, {CONTACT}, drafts=[draft.provider_draft_id])
    assert [d.provider_draft_id for d in batch.drafts_gone] == [draft.provider_draft_id]


def test_our_new_draft_sent_from_gmail_is_seen_sent_and_gone(env: GoogleEnv) -> None:
    first = sync_all(env.provider, {}, {CONTACT})
    draft = env.provider.create_draft(outgoing(1))
    env.contact.user_sends_draft(draft.provider_draft_id)
    batch = env.provider.sync(first.cursors, {CONTACT}, drafts=[draft.provider_draft_id])
    assert [d.provider_draft_id for d in batch.drafts_gone] == [draft.provider_draft_id]
    assert [m.message_id for m in batch.messages if m.sent_by_user] == [draft.message_id]


def test_mail_that_touches_no_draft_does_not_list_drafts(env: GoogleEnv) -> None:
    """The idle budget holds: a contact's reply costs history and the message, no more."""
    env.provider.create_draft(outgoing(1))
    first = sync_all(env.provider, {}, {CONTACT})
    env.contact.write(CONTACT, "Hello", "A reply")
    env.sandbox.accounting.reset()
    batch = env.provider.sync(first.cursors, {CONTACT})
    assert [m.subject for m in batch.messages] == ["Hello"]
    assert env.requests("gmail.users.drafts.list") == 0


def test_a_full_resync_after_410_still_reports_events_deleted_meanwhile(env: GoogleEnv) -> None:
    """Calendar's full list leaves deleted events out unless showDeleted=true."""
    start = env.now + timedelta(days=3)
    event_id = env.contact.invite(CONTACT, "Coffee", start, start + timedelta(hours=1), "UTC")
    first = sync_all(env.provider, {}, {CONTACT})
    assert [e.status for e in first.events if e.provider_event_id == event_id] == ["confirmed"]
    env.sandbox.google.expire_sync_tokens()
    env.sandbox.google.cancel_event(event_id)
    later = sync_all(env.provider, first.cursors, {CONTACT})
    assert [(e.provider_event_id, e.status) for e in later.events] == [(event_id, "cancelled")]

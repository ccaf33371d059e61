"""Sending exactly once across Outlook's Sent Items delay, crashes and lost answers; replies
threaded with createReply."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integrations.protocol import TransientProviderError
from tests.integrations.contract import CONTACT, outgoing, send_once

from .conftest import OutlookEnv


def test_a_restart_during_the_sent_items_delay_sends_once(env: OutlookEnv) -> None:
    env.emulator.set_sent_copy_delay(120)
    message = outgoing(1)
    first = env.provider.send_message(message)
    assert env.emulator.state()["sent"][0]["inSentItems"] is False
    # The worker crashed before recording the send; a new process runs the action again.
    restarted = env.another()
    again = send_once(restarted, message)
    assert again.provider_message_id == first.provider_message_id
    assert len(env.emulator.state()["sent"]) == 1
    env.sandbox.clock.advance(timedelta(seconds=121))
    found = restarted.find_sent(message.message_id)
    assert found is not None
    assert found.provider_message_id == first.provider_message_id
    assert env.emulator.state()["sent"][0]["inSentItems"] is True


def test_a_send_missing_everywhere_waits_out_the_grace_period(env: OutlookEnv) -> None:
    message = outgoing(2)
    sent = env.provider.send_message(message)
    # Exchange has not shown the message anywhere yet (it answered 202 and moved on).
    mailbox = env.emulator.mailbox()
    with mailbox.lock:
        mailbox.remove_message(mailbox.messages[sent.provider_message_id])
        mailbox.pending_sent.clear()
    with pytest.raises(TransientProviderError) as caught:
        send_once(env.provider, message)
    assert caught.value.retry_after == pytest.approx(300)
    env.sandbox.clock.advance(timedelta(minutes=4))
    with pytest.raises(TransientProviderError):
        send_once(env.provider, message)
    assert len(env.emulator.state()["sent"]) == 1
    env.sandbox.clock.advance(timedelta(minutes=2))
    # Past the grace period, absence is proof enough: the message really is lost.
    send_once(env.provider, message)
    assert len(env.emulator.state()["sent"]) == 2


def test_the_grace_period_is_configurable(env: OutlookEnv) -> None:
    quick = env.another(grace=timedelta(seconds=10))
    message = outgoing(3)
    sent = quick.send_message(message)
    mailbox = env.emulator.mailbox()
    with mailbox.lock:
        mailbox.remove_message(mailbox.messages[sent.provider_message_id])
        mailbox.pending_sent.clear()
    with pytest.raises(TransientProviderError) as caught:
        quick.send_message(message)
    assert caught.value.retry_after == pytest.approx(10)


def test_a_crash_between_draft_and_send_sends_that_draft(env: OutlookEnv) -> None:
    message = outgoing(4)
    draft = env.provider.create_draft(message)  # what send_message did before the crash
    sent = env.another().send_message(message)
    assert sent.provider_message_id == draft.provider_draft_id
    assert env.emulator.state()["drafts"] == []
    assert len(env.emulator.state()["sent"]) == 1


def test_send_draft_twice_sends_once(env: OutlookEnv) -> None:
    draft = env.provider.create_draft(outgoing(5))
    first = env.provider.send_draft(draft.provider_draft_id)
    again = env.provider.send_draft(draft.provider_draft_id)
    assert again.provider_message_id == first.provider_message_id
    assert len(env.emulator.state()["sent"]) == 1


def test_reply_draft_joins_the_conversation_with_its_subject(env: OutlookEnv) -> None:
    env.emulator.set_sent_copy_delay(0)
    first = env.provider.send_message(outgoing(6))
    reply = env.emulator.deliver_reply(first.message_id, "Sure", sender=CONTACT)
    draft = env.provider.create_draft(
        outgoing(7, subject="Thanks!", thread_id=first.thread_id, in_reply_to=None)
    )
    assert draft.thread_id == first.thread_id
    [shown] = env.emulator.state()["drafts"]
    assert shown["subject"] == "RE: Coffee chat?"
    stored = env.emulator.mailbox().messages[draft.provider_draft_id]
    assert stored.in_reply_to == reply["internetMessageId"]
    assert stored.internet_message_id == "<contract-7@outreach.example>"
    env.provider.update_draft(
        draft.provider_draft_id,
        outgoing(7, subject="Other", body="v2", thread_id=first.thread_id),
    )
    assert env.emulator.state()["drafts"][0]["subject"] == "RE: Coffee chat?"
    assert stored.body == "v2"


def test_a_vanished_conversation_starts_a_new_one(env: OutlookEnv) -> None:
    sent = env.provider.send_message(outgoing(8, thread_id="AAQkAGgone", in_reply_to="<x@y.z>"))
    assert sent.thread_id != "AAQkAGgone"
    assert env.emulator.state()["sent"][0]["subject"] == "Coffee chat?"

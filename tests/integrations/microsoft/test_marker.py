"""Finding what we sent when Exchange gives it another internetMessageId: our marker
property travels with the message into Sent Items, is read back with $expand and found
with singleValueExtendedProperties/Any, as Microsoft documents; a restart while the copy
waits in the Outbox still sends once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integrations.microsoft.errors import GraphRefused
from integrations.microsoft.mail import MARKER
from tests.integrations.contract import outgoing, send_once

from .conftest import OutlookEnv

EXPAND = f"singleValueExtendedProperties($filter=id eq '{MARKER}')"


def _any(property_id: str, value: str) -> str:
    return (
        f"singleValueExtendedProperties/Any(ep: ep/id eq '{property_id}' and ep/value eq '{value}')"
    )


def _sent_items(env: OutlookEnv, condition: str) -> list[str]:
    listed = env.provider.graph.get(
        "/me/mailFolders/sentitems/messages",
        what="test.list",
        params={"$filter": condition, "$select": "id,internetMessageId"},
    )
    return [str(m["id"]) for m in listed.get("value") or []]


def test_the_marker_goes_with_the_sent_copy_whose_message_id_exchange_replaced(
    env: OutlookEnv,
) -> None:
    env.emulator.set_sent_copy_delay(0)
    env.emulator.rewrite_message_ids()
    message = outgoing(1)
    draft = env.provider.create_draft(message)
    env.provider.send_draft(draft.provider_draft_id)
    [record] = env.emulator.state()["sent"]
    assert record["internetMessageId"] != message.message_id  # Exchange made its own
    assert _sent_items(env, f"internetMessageId eq '{message.message_id}'") == []
    assert _sent_items(env, _any(MARKER, message.message_id)) == [draft.provider_draft_id]
    # The value compares case-insensitively, the Name in the id case-sensitively.
    assert _sent_items(env, _any(MARKER, message.message_id.upper())) == [draft.provider_draft_id]
    assert _sent_items(env, _any(MARKER.replace("Outreach", "outreach"), message.message_id)) == []
    assert _sent_items(env, _any(MARKER, "<another@outreach.example>")) == []
    read = env.provider.graph.get(
        f"/me/messages/{draft.provider_draft_id}",
        what="test.get",
        params={"$select": "id", "$expand": EXPAND},
    )
    assert read["singleValueExtendedProperties"] == [{"id": MARKER, "value": message.message_id}]
    # Not without $expand: "the only way to get" the property.
    plain = env.provider.graph.get(f"/me/messages/{draft.provider_draft_id}", what="test.get")
    assert "singleValueExtendedProperties" not in plain


def test_a_restart_while_the_renamed_copy_waits_in_the_outbox_sends_once(
    env: OutlookEnv,
) -> None:
    env.emulator.set_sent_copy_delay(120)
    env.emulator.rewrite_message_ids()
    message = outgoing(2)
    first = env.provider.send_message(message)
    # The worker crashed before recording the send; a new process runs the action again.
    restarted = env.another()
    again = send_once(restarted, message)
    assert again.provider_message_id == first.provider_message_id
    assert again.message_id == message.message_id
    assert len(env.emulator.state()["sent"]) == 1
    env.sandbox.clock.advance(timedelta(seconds=121))
    found = env.another().find_sent(message.message_id)
    assert found is not None
    assert found.provider_message_id == first.provider_message_id
    [record] = env.emulator.state()["sent"]
    assert record["inSentItems"] is True


def test_the_sync_reads_the_marker_of_a_draft_the_user_sent(env: OutlookEnv) -> None:
    env.emulator.set_sent_copy_delay(0)
    env.emulator.rewrite_message_ids()
    draft = env.provider.create_draft(outgoing(3))
    env.emulator.send_draft_in_outlook(draft.provider_draft_id)
    env.sandbox.accounting.reset()
    batch = env.provider.sync({}, {outgoing(3).to[0]})
    [mine] = [m for m in batch.messages if m.sent_by_user]
    assert mine.message_id != draft.message_id
    assert mine.our_message_id == draft.message_id
    # One read of the marker for the one message the user sent to a tracked contact.
    assert env.graph_requests("graph.messages.get") == 1


@pytest.mark.parametrize(
    "params",
    [
        {"$expand": "singleValueExtendedProperties"},
        {"$expand": "singleValueExtendedProperties($filter=id eq 'Color')"},
    ],
)
def test_an_expand_graph_does_not_document_is_refused(
    env: OutlookEnv, params: dict[str, str]
) -> None:
    draft = env.provider.create_draft(outgoing(4))
    with pytest.raises(GraphRefused) as refused:
        env.provider.graph.get(
            f"/me/messages/{draft.provider_draft_id}", what="test.get", params=params
        )
    assert refused.value.status == 400


def test_a_property_id_of_no_documented_form_is_refused(env: OutlookEnv) -> None:
    body = {
        "subject": "Hi",
        "toRecipients": [{"emailAddress": {"address": "ada@analytical.example"}}],
        "singleValueExtendedProperties": [{"id": "OutreachMessageId", "value": "<x@y>"}],
    }
    with pytest.raises(GraphRefused) as refused:
        env.provider.graph.call("POST", "/me/messages", what="test.create", body=body)
    assert refused.value.status == 400
    assert env.emulator.state()["drafts"] == []

"""Gmail v1 through the real googleapiclient: messages, drafts, threads, history, batch."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from integrations.sandbox import Sandbox

from .conftest import CONTACT, gmail_batch, raw_message


def reason(error: HttpError) -> str:
    """The classic `errors[].reason` (a throttling answer also carries an ErrorInfo in
    `details`, which the library reports first)."""
    return str(json.loads(error.content)["error"]["errors"][0]["reason"])


def test_profile_and_labels(gmail: Any, endpoints: dict[str, Any]) -> None:
    profile = gmail.users().getProfile(userId="me").execute()
    assert profile["emailAddress"] == endpoints["google"]["email"]
    assert int(profile["historyId"]) > 0
    labels = {lab["id"] for lab in gmail.users().labels().list(userId="me").execute()["labels"]}
    assert {"INBOX", "SENT", "DRAFT", "UNREAD"} <= labels


def test_send_keeps_message_id_and_formats(gmail: Any) -> None:
    raw = raw_message(Message_ID="<outreach-1@sandbox.example>")
    sent = gmail.users().messages().send(userId="me", body={"raw": raw}).execute()
    assert sent["labelIds"] == ["SENT"]
    meta = (
        gmail.users()
        .messages()
        .get(userId="me", id=sent["id"], format="metadata", metadataHeaders=["Message-ID", "To"])
        .execute()
    )
    headers = {h["name"]: h["value"] for h in meta["payload"]["headers"]}
    assert headers == {"Message-ID": "<outreach-1@sandbox.example>", "To": CONTACT}
    minimal = gmail.users().messages().get(userId="me", id=sent["id"], format="minimal").execute()
    assert "payload" not in minimal
    assert minimal["threadId"] == sent["threadId"]
    full = gmail.users().messages().get(userId="me", id=sent["id"]).execute()
    text = base64.urlsafe_b64decode(full["payload"]["body"]["data"]).decode()
    assert "20 minutes" in text
    raw_back = gmail.users().messages().get(userId="me", id=sent["id"], format="raw").execute()
    assert b"outreach-1@sandbox.example" in base64.urlsafe_b64decode(raw_back["raw"])
    trimmed = gmail.users().messages().get(userId="me", id=sent["id"], fields="id").execute()
    assert trimmed == {"id": sent["id"]}


def test_search_operators(gmail: Any, sandbox: Sandbox) -> None:
    send = gmail.users().messages().send
    first = send(userId="me", body={"raw": raw_message(Message_ID="<a@x>")}).execute()
    send(userId="me", body={"raw": raw_message(to="bob@other.example", subject="Hi")}).execute()
    sandbox.google.deliver_message(sender="carol@third.example", subject="Hello", body="x")

    def ids(q: str) -> set[str]:
        found = gmail.users().messages().list(userId="me", q=q).execute()
        return {m["id"] for m in found.get("messages", [])}

    assert ids(f"to:{CONTACT}") == {first["id"]}
    assert ids("rfc822msgid:<a@x>") == {first["id"]}
    assert len(ids("in:sent")) == 2
    assert len(ids("from:carol@third.example")) == 1
    assert len(ids(f"to:{CONTACT} OR to:bob@other.example")) == 2
    assert len(ids('"20 minutes"')) == 2
    assert ids(f"after:{(sandbox.clock.now() + timedelta(days=1)):%Y/%m/%d}") == set()
    assert len(ids("in:sent -to:bob@other.example")) == 1


def test_list_pages_and_caps(gmail: Any, sandbox: Sandbox) -> None:
    sandbox.google.seed_mailbox(7)
    seen: list[str] = []
    token = None
    while True:
        page = gmail.users().messages().list(userId="me", maxResults=3, pageToken=token).execute()
        seen += [m["id"] for m in page["messages"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert len(seen) == len(set(seen)) == 7


def test_drafts_lifecycle(gmail: Any, sandbox: Sandbox) -> None:
    drafts = gmail.users().drafts()
    draft = drafts.create(userId="me", body={"message": {"raw": raw_message()}}).execute()
    assert draft["message"]["labelIds"] == ["DRAFT"]
    updated = drafts.update(
        userId="me", id=draft["id"], body={"message": {"raw": raw_message(body="v2")}}
    ).execute()
    assert updated["id"] == draft["id"]
    assert updated["message"]["id"] != draft["message"]["id"]
    listed = drafts.list(userId="me").execute()["drafts"]
    assert [d["id"] for d in listed] == [draft["id"]]
    got = drafts.get(userId="me", id=draft["id"], format="raw").execute()
    assert b"v2" in base64.urlsafe_b64decode(got["message"]["raw"])
    sent = drafts.send(userId="me", body={"id": draft["id"]}).execute()
    assert sent["labelIds"] == ["SENT"]
    with pytest.raises(HttpError) as gone:
        drafts.get(userId="me", id=draft["id"]).execute()
    assert gone.value.resp.status == 404
    assert reason(gone.value) == "notFound"
    other = drafts.create(userId="me", body={"message": {"raw": raw_message()}}).execute()
    drafts.delete(userId="me", id=other["id"]).execute()
    assert drafts.list(userId="me").execute() == {"resultSizeEstimate": 0}


def test_reply_threads_like_gmail(gmail: Any, sandbox: Sandbox) -> None:
    out = (
        gmail.users()
        .messages()
        .send(userId="me", body={"raw": raw_message(Message_ID="<ask@sandbox.example>")})
        .execute()
    )
    reply = sandbox.google.deliver_reply(to_message=out["id"], body="Sure, Tuesday works.")
    assert reply["threadId"] == out["threadId"]
    follow_up = raw_message(
        subject="Re: Coffee chat?",
        In_Reply_To=reply["messageId"],
        References=f"<ask@sandbox.example> {reply['messageId']}",
    )
    sent = (
        gmail.users()
        .messages()
        .send(userId="me", body={"raw": follow_up, "threadId": out["threadId"]})
        .execute()
    )
    assert sent["threadId"] == out["threadId"]
    # Gmail starts a new thread when the subject does not match, threadId or not.
    changed = raw_message(subject="Something else", In_Reply_To=reply["messageId"])
    apart = (
        gmail.users()
        .messages()
        .send(userId="me", body={"raw": changed, "threadId": out["threadId"]})
        .execute()
    )
    assert apart["threadId"] != out["threadId"]
    thread = (
        gmail.users().threads().get(userId="me", id=out["threadId"], format="minimal").execute()
    )
    assert [m["id"] for m in thread["messages"]] == [out["id"], reply["id"], sent["id"]]


def test_history_pages_and_expires(gmail: Any, sandbox: Sandbox) -> None:
    start = gmail.users().getProfile(userId="me").execute()["historyId"]
    for _ in range(5):
        gmail.users().messages().send(userId="me", body={"raw": raw_message()}).execute()
    added, token, last = [], None, None
    while True:
        page = (
            gmail.users()
            .history()
            .list(
                userId="me",
                startHistoryId=start,
                historyTypes=["messageAdded"],
                maxResults=2,
                pageToken=token,
            )
            .execute()
        )
        added += [h["messagesAdded"][0]["message"]["id"] for h in page.get("history", [])]
        token = page.get("nextPageToken")
        if not token:
            last = page["historyId"]
            break
    assert len(added) == 5
    ids = [int(h) for h in (start, last)]
    assert ids[1] - ids[0] > 5  # not contiguous
    sandbox.clock.advance(timedelta(days=8))
    with pytest.raises(HttpError) as expired:
        gmail.users().history().list(userId="me", startHistoryId=start).execute()
    assert expired.value.resp.status == 404
    assert reason(expired.value) == "notFound"


def test_batch_counts_each_part(gmail: Any, endpoints: dict[str, Any], sandbox: Sandbox) -> None:
    sent = [
        gmail.users().messages().send(userId="me", body={"raw": raw_message()}).execute()["id"]
        for _ in range(3)
    ]
    sandbox.accounting.reset()
    results: dict[str, Any] = {}

    def collect(request_id: str, response: Any, exception: Exception | None) -> None:
        results[request_id] = exception or response

    batch = gmail_batch(endpoints)
    for message_id in [*sent, "0000000000000bad"]:
        batch.add(gmail.users().messages().get(userId="me", id=message_id), callback=collect)
    batch.execute()
    assert [r["id"] for r in list(results.values())[:3]] == sent
    missing = results["4"]
    assert isinstance(missing, HttpError)
    assert missing.resp.status == 404
    assert sandbox.accounting.total(method="gmail.users.messages.get") == 4
    assert sandbox.accounting.units(method="gmail.users.messages.get") == 20

"""Gmail v1 methods: profile, labels, messages, drafts, threads and history."""

from __future__ import annotations

import email.policy
import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesParser
from typing import Any

from integrations.sandbox.google import gmail_query, mime, paging
from integrations.sandbox.google.discovery import Call
from integrations.sandbox.google.errors import GoogleError, bad_request, not_found
from integrations.sandbox.google.mailbox import SYSTEM_LABELS, Mailbox, StoredMessage

MAX_RESULTS = 500


@dataclass
class GmailContext:
    """What one call sees: the mailbox it acts on and the simulated time."""

    mailbox: Mailbox
    now: datetime


Result = tuple[int, Any]
GmailMethod = Callable[[GmailContext, Call], Result]


def _size(call: Call, default: int = 100) -> int:
    value = call.params.get("maxResults", default)
    return max(1, min(int(value), MAX_RESULTS))


def render(
    msg: StoredMessage, fmt: str = "full", headers: list[str] | None = None
) -> dict[str, Any]:
    """A Message resource in one of Gmail's formats."""
    out: dict[str, Any] = {
        "id": msg.id,
        "threadId": msg.thread_id,
        "labelIds": list(msg.label_ids),
        "snippet": mime.snippet(msg.parsed),
        "sizeEstimate": len(msg.raw),
        "historyId": str(msg.history_id),
        "internalDate": str(msg.internal_date),
    }
    if fmt == "raw":
        out["raw"] = mime.b64url(msg.raw)
    elif fmt == "metadata":
        wanted = {h.lower() for h in headers or []}
        listed = mime.header_list(msg.parsed)
        out["payload"] = {
            "partId": "",
            "mimeType": msg.parsed.get_content_type(),
            "filename": "",
            "headers": [h for h in listed if not wanted or h["name"].lower() in wanted],
        }
    elif fmt == "full":
        out["payload"] = mime.payload(msg.parsed)
    return out


def get_profile(ctx: GmailContext, call: Call) -> Result:
    box = ctx.mailbox
    return 200, {
        "emailAddress": box.email,
        "messagesTotal": len(box.messages),
        "threadsTotal": len({m.thread_id for m in box.messages.values()}),
        "historyId": str(box.history_id),
    }


def labels_list(ctx: GmailContext, call: Call) -> Result:
    labels = [
        {"id": name, "name": name, "type": "system"}
        | (
            {"messageListVisibility": "hide", "labelListVisibility": "labelHide"}
            if name.startswith("CATEGORY_")
            else {}
        )
        for name in SYSTEM_LABELS
    ]
    return 200, {"labels": labels}


def _listing(key: str, found: list[dict[str, Any]], call: Call) -> dict[str, Any]:
    """One page of a list answer; Gmail leaves out the empty list and the last token."""
    chunk, token = paging.page(found, call.params.get("pageToken"), _size(call))
    out: dict[str, Any] = {"resultSizeEstimate": len(found)}
    if chunk:
        out[key] = chunk
    if token:
        out["nextPageToken"] = token
    return out


def _visible(msg: StoredMessage, include_spam_trash: bool) -> bool:
    return include_spam_trash or not ({"SPAM", "TRASH"} & set(msg.label_ids))


def messages_list(ctx: GmailContext, call: Call) -> Result:
    box = ctx.mailbox
    wanted_labels = set(call.params.get("labelIds", []))
    query = gmail_query.compile_query(call.params.get("q", ""), ctx.now)
    spam_trash = bool(call.params.get("includeSpamTrash", False))
    with box.lock:
        found = [
            m.reference()
            for m in box.newest_first()
            if wanted_labels <= set(m.label_ids) and _visible(m, spam_trash) and query(m)
        ]
    return 200, _listing("messages", found, call)


def messages_get(ctx: GmailContext, call: Call) -> Result:
    with ctx.mailbox.lock:
        msg = ctx.mailbox.get(call.params["id"])
        return 200, render(
            msg, call.params.get("format", "full"), call.params.get("metadataHeaders")
        )


def _check_recipients(raw: bytes) -> None:
    if not mime.addresses(mime.parse(raw), "To", "Cc", "Bcc"):
        raise bad_request("Recipient address required", reason="invalidArgument")


def send_raw(box: Mailbox, raw: bytes, thread_id: str | None, now: datetime) -> StoredMessage:
    """Send as the account: Gmail keeps a client-set Message-ID and labels the copy SENT."""
    _check_recipients(raw)
    raw = mime.ensure_headers(raw, box.email, now)
    if box.rewrite_message_ids:
        raw = mime.new_message_id(raw)
    if thread_id is not None and thread_id not in {m.thread_id for m in box.messages.values()}:
        raise not_found()
    return box.add(raw, ["SENT"], now, thread_id)


def messages_send(ctx: GmailContext, call: Call) -> Result:
    body = call.body or {}
    raw = mime.decode_raw(body.get("raw"))
    with ctx.mailbox.lock:
        msg = send_raw(ctx.mailbox, raw, body.get("threadId"), ctx.now)
        return 200, {"id": msg.id, "threadId": msg.thread_id, "labelIds": msg.label_ids}


# drafts ---------------------------------------------------------------------------------
def _draft_message(box: Mailbox, body: Any, now: datetime) -> StoredMessage:
    message = (body or {}).get("message")
    if not isinstance(message, dict):
        raise bad_request("Missing draft message", reason="invalidArgument")
    raw = mime.ensure_headers(mime.decode_raw(message.get("raw")), box.email, now)
    return box.add(raw, ["DRAFT"], now, message.get("threadId"))


def _draft_json(draft_id: str, msg: StoredMessage, fmt: str | None = None) -> dict[str, Any]:
    if fmt is None:
        return {"id": draft_id, "message": {**msg.reference(), "labelIds": list(msg.label_ids)}}
    return {"id": draft_id, "message": render(msg, fmt)}


def _draft(box: Mailbox, draft_id: str) -> StoredMessage:
    message_id = box.drafts.get(draft_id)
    if message_id is None:
        raise not_found()
    return box.get(message_id)


def drafts_create(ctx: GmailContext, call: Call) -> Result:
    box = ctx.mailbox
    with box.lock:
        msg = _draft_message(box, call.body, ctx.now)
        draft_id = box.new_draft_id()
        box.drafts[draft_id] = msg.id
        return 200, _draft_json(draft_id, msg)


def drafts_update(ctx: GmailContext, call: Call) -> Result:
    """Gmail replaces the draft's message: a new message id, the old one deleted."""
    box = ctx.mailbox
    with box.lock:
        old = _draft(box, call.params["id"])
        msg = _draft_message(box, call.body, ctx.now)
        box.remove(old.id, ctx.now)
        box.drafts[call.params["id"]] = msg.id
        return 200, _draft_json(call.params["id"], msg)


def drafts_get(ctx: GmailContext, call: Call) -> Result:
    with ctx.mailbox.lock:
        msg = _draft(ctx.mailbox, call.params["id"])
        return 200, _draft_json(call.params["id"], msg, call.params.get("format", "full"))


def drafts_list(ctx: GmailContext, call: Call) -> Result:
    box = ctx.mailbox
    query = gmail_query.compile_query(call.params.get("q", ""), ctx.now)
    with box.lock:
        by_message = {message_id: draft_id for draft_id, message_id in box.drafts.items()}
        found = [
            {"id": by_message[m.id], "message": m.reference()}
            for m in box.newest_first()
            if m.id in by_message and query(m)
        ]
    return 200, _listing("drafts", found, call)


def delete_draft(box: Mailbox, draft_id: str, now: datetime) -> None:
    with box.lock:
        msg = _draft(box, draft_id)
        del box.drafts[draft_id]
        box.remove(msg.id, now)


def drafts_delete(ctx: GmailContext, call: Call) -> Result:
    delete_draft(ctx.mailbox, call.params["id"], ctx.now)
    return 204, None


def send_draft(box: Mailbox, draft_id: str, now: datetime) -> StoredMessage:
    """The draft's message leaves DRAFT and arrives as a new SENT message; the draft is gone."""
    with box.lock:
        draft = _draft(box, draft_id)
        _check_recipients(draft.raw)
        del box.drafts[draft_id]
        box.remove(draft.id, now)
        raw = mime.new_message_id(draft.raw) if box.rewrite_message_ids else draft.raw
        return box.add(raw, ["SENT"], now, draft.thread_id)


def edit_draft(
    box: Mailbox, draft_id: str, body: str, subject: str | None, now: datetime
) -> StoredMessage:
    """The user changes a draft in Gmail's compose window: the draft keeps its id and its
    message is replaced, as drafts.update does ("Replaces a draft's content"). Gmail's
    editor writes multipart/alternative, a text/plain part beside the HTML one."""
    with box.lock:
        old = _draft(box, draft_id)
        message = BytesParser(policy=email.policy.default).parsebytes(old.raw)
        if subject is not None:
            message.replace_header("Subject", subject)
        message.clear_content()
        message.set_content(body)
        paragraphs = "".join(f"<div>{html.escape(line)}</div>" for line in body.splitlines())
        message.add_alternative(f'<div dir="ltr">{paragraphs}</div>', subtype="html")
        msg = box.add(message.as_bytes(), ["DRAFT"], now, old.thread_id)
        box.remove(old.id, now)
        box.drafts[draft_id] = msg.id
        return msg


def drafts_send(ctx: GmailContext, call: Call) -> Result:
    body = call.body or {}
    draft_id = body.get("id")
    if not isinstance(draft_id, str) or not draft_id:
        raise bad_request("Invalid draft id", reason="invalidArgument")
    box = ctx.mailbox
    with box.lock:
        if body.get("message"):
            drafts_update(ctx, Call(call.method, {**call.params, "id": draft_id}, body))
        msg = send_draft(box, draft_id, ctx.now)
        return 200, {"id": msg.id, "threadId": msg.thread_id, "labelIds": msg.label_ids}


# threads and history --------------------------------------------------------------------
def threads_get(ctx: GmailContext, call: Call) -> Result:
    """Every message of the thread, drafts included: a draft is a message with the DRAFT
    label (https://developers.google.com/gmail/api/guides/drafts: "a draft is an unsent
    message with the DRAFT system label applied"), and users.threads.get returns "the list
    of messages in the thread" with no exception for drafts, as Gmail's own UI shows them
    in the conversation."""
    with ctx.mailbox.lock:
        members = ctx.mailbox.thread(call.params["id"])
        fmt = call.params.get("format", "full")
        headers = call.params.get("metadataHeaders")
        return 200, {
            "id": call.params["id"],
            "historyId": str(max(m.history_id for m in members)),
            "messages": [render(m, fmt, headers) for m in members],
        }


def history_list(ctx: GmailContext, call: Call) -> Result:
    box = ctx.mailbox
    raw_start = call.params.get("startHistoryId")
    if raw_start is None:
        raise bad_request("Missing startHistoryId", reason="invalidArgument")
    try:
        start = int(raw_start)
    except ValueError:
        raise bad_request("Invalid startHistoryId", reason="invalidArgument") from None
    types = set(call.params.get("historyTypes", [])) or None
    label = call.params.get("labelId")
    box.trim_history(ctx.now)
    with box.lock:
        if start < box.history_floor:
            raise not_found()
        after = paging.decode(call.params.get("pageToken")).get("after", start)
        records = [
            r
            for r in box.history
            if r.id > after
            and (types is None or r.kind in types)
            and (label is None or label in r.message.label_ids or label in r.labels)
        ]
        size = _size(call)
        chunk = records[:size]
        out: dict[str, Any] = {"historyId": str(box.history_id)}
        if chunk:
            out["history"] = [r.to_json() for r in chunk]
        if len(records) > size:
            out["nextPageToken"] = paging.encode({"after": chunk[-1].id})
        return 200, out


METHODS: dict[str, GmailMethod] = {
    "gmail.users.getProfile": get_profile,
    "gmail.users.labels.list": labels_list,
    "gmail.users.messages.list": messages_list,
    "gmail.users.messages.get": messages_get,
    "gmail.users.messages.send": messages_send,
    "gmail.users.drafts.create": drafts_create,
    "gmail.users.drafts.update": drafts_update,
    "gmail.users.drafts.get": drafts_get,
    "gmail.users.drafts.list": drafts_list,
    "gmail.users.drafts.delete": drafts_delete,
    "gmail.users.drafts.send": drafts_send,
    "gmail.users.threads.get": threads_get,
    "gmail.users.history.list": history_list,
}


def not_implemented(method_id: str) -> GoogleError:
    return GoogleError(501, "notImplemented", f"{method_id} is not emulated by the sandbox.")

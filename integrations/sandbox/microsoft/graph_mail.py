"""Graph mail resources: messages (drafts, replies, send, sendMail), folders, and listing
with $filter; the shapes follow Graph v1.0."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from typing import Any

from integrations.sandbox.http import Response, json_response

from . import extended
from .call import Call, graph_time
from .errors import GraphError, bad_request, not_found
from .odata import matches, parse_filter, select, top
from .state import Mailbox, Message, Person, SentRecord, new_internet_message_id

MESSAGE_PROPERTIES = frozenset(
    {
        "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories",
        "receivedDateTime", "sentDateTime", "hasAttachments", "internetMessageId", "subject",
        "bodyPreview", "importance", "parentFolderId", "conversationId", "conversationIndex",
        "isDeliveryReceiptRequested", "isReadReceiptRequested", "isRead", "isDraft", "webLink",
        "inferenceClassification", "body", "uniqueBody", "sender", "from", "toRecipients",
        "ccRecipients", "bccRecipients", "replyTo", "flag", "internetMessageHeaders",
    }
)  # fmt: skip
# Returned only when $select asks for them, as Graph does.
SELECT_ONLY = frozenset({"internetMessageHeaders", "uniqueBody"})
WRITABLE_ON_DRAFT = frozenset(
    {
        "subject", "body", "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "from",
        "sender", "internetMessageId", "internetMessageHeaders",
    }
)  # fmt: skip
WRITABLE_ALWAYS = frozenset(
    {"isRead", "categories", "importance", "flag", "inferenceClassification",
     "isDeliveryReceiptRequested", "isReadReceiptRequested"}
)  # fmt: skip
FILTERABLE = {
    "internetMessageId": "string",
    "conversationId": "string",
    "subject": "string",
    "isRead": "bool",
    "isDraft": "bool",
    "receivedDateTime": "datetime",
    "sentDateTime": "datetime",
    "from/emailAddress/address": "string",
}
_MESSAGE_ID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")
_TAGS = re.compile(r"<[^>]+>")


def _text(message: Message) -> str:
    if message.body_type == "html":
        return html.unescape(_TAGS.sub("", message.body))
    return message.body


def message_id_for(message: Message, call: Call) -> str:
    return message.immutable_id if call.prefs.immutable_ids else message.regular_id()


def render_message(
    message: Message, call: Call, fields: tuple[str, ...] | None, delta: bool = False
) -> dict[str, Any]:
    """A message as Graph writes it, trimmed to $select (id and etag always kept)."""
    mailbox = call.mailbox
    change_key = f"CQAAABYAAA{message.version:08d}"
    body_type = "text" if call.prefs.text_body else message.body_type
    content = (
        _text(message) if body_type == "text" and message.body_type == "html" else (message.body)
    )
    sender = message.sender.graph() if message.sender else None
    headers = [{"name": n, "value": v} for n, v in _headers(message, mailbox)]
    full: dict[str, Any] = {
        "id": message_id_for(message, call),
        "createdDateTime": graph_time(message.created),
        "lastModifiedDateTime": graph_time(message.last_modified),
        "changeKey": change_key,
        "categories": list(message.categories),
        "receivedDateTime": graph_time(message.received or message.created),
        "sentDateTime": graph_time(message.sent or message.created),
        "hasAttachments": False,
        "internetMessageId": message.internet_message_id,
        "subject": message.subject,
        "bodyPreview": _text(message)[:255],
        "importance": message.importance,
        "parentFolderId": message.folder_id,
        "conversationId": message.conversation_id,
        "conversationIndex": "AQHa" + message.conversation_id[-20:],
        "isDeliveryReceiptRequested": False,
        "isReadReceiptRequested": False,
        "isRead": message.is_read,
        "isDraft": message.is_draft,
        "webLink": f"https://outlook.office365.com/owa/?ItemID={message.immutable_id}",
        "inferenceClassification": "focused",
        "body": {"contentType": body_type, "content": content},
        "uniqueBody": {"contentType": body_type, "content": content},
        "sender": sender,
        "from": sender,
        "toRecipients": [p.graph() for p in message.to],
        "ccRecipients": [p.graph() for p in message.cc],
        "bccRecipients": [p.graph() for p in message.bcc],
        "replyTo": [p.graph() for p in message.reply_to],
        "flag": {"flagStatus": "notFlagged"},
        "internetMessageHeaders": headers,
    }
    if message.meeting_message_type:
        full["meetingMessageType"] = message.meeting_message_type
    out: dict[str, Any] = {"@odata.etag": f'W/"{change_key}"'}
    if delta or message.odata_type != "#microsoft.graph.message":
        out["@odata.type"] = message.odata_type
    if fields is None:
        out.update({k: v for k, v in full.items() if k not in SELECT_ONLY})
    else:
        out["id"] = full["id"]
        out.update({k: full[k] for k in fields})
    return out


def _headers(message: Message, mailbox: Mailbox) -> list[tuple[str, str]]:
    """Internet headers: only received mail has them; drafts carry only X- ones, and a
    message this mailbox sent has none. The message resource documents
    internetMessageHeaders as "the collection of message headers ... provided by RFC5322"
    (https://learn.microsoft.com/graph/api/resources/message), and Microsoft answered in
    the microsoft-graph-docs repository's issues that items in Sent Items do not carry
    them: the headers are stamped in transport, after the copy was saved."""
    if message.is_draft:
        return list(message.extra_headers)
    if message.sender is not None and message.sender.address.lower() == mailbox.email.lower():
        return []
    sender = message.sender.address if message.sender else mailbox.email
    out = [
        ("Message-ID", message.internet_message_id),
        ("From", sender),
        ("To", ", ".join(p.address for p in message.to)),
        ("Subject", message.subject),
        (
            "Date",
            (message.sent or message.created or mailbox.created).strftime(
                "%a, %d %b %Y %H:%M:%S +0000"
            ),
        ),
    ]
    if message.in_reply_to:
        out.append(("In-Reply-To", message.in_reply_to))
    if message.references:
        out.append(("References", " ".join(message.references)))
    return out + list(message.extra_headers)


# request bodies -------------------------------------------------------------------
def _people(value: Any, field: str) -> list[Person]:
    if not isinstance(value, list):
        raise GraphError(400, "RequestBodyRead", f"Property '{field}' must be a collection.")
    people = []
    for item in value:
        address = item.get("emailAddress") if isinstance(item, dict) else None
        if not isinstance(address, dict) or not isinstance(address.get("address", ""), str):
            raise GraphError(
                400,
                "RequestBodyRead",
                f"Invalid recipient in '{field}': expected "
                '{"emailAddress": {"address": ...}}.',
            )
        name = address.get("name") or ""
        people.append(Person(str(address.get("address", "")), str(name)))
    return people


def _person(value: Any, field: str) -> Person | None:
    if value is None:
        return None
    people = _people([value], field)
    return people[0]


def apply_message_fields(message: Message, body: dict[str, Any], creating: bool) -> None:
    """Copy writable properties from a request body, with Graph's 400s for the rest."""
    for key, value in body.items():
        if key.startswith("@odata."):
            continue
        if key == extended.FIELD:
            # Documented for new and existing messages alike (PATCH /me/messages/{id}).
            extended.apply(message, value)
            continue
        if key not in MESSAGE_PROPERTIES:
            raise GraphError(
                400,
                "RequestBodyRead",
                f"The property '{key}' does not exist on type 'Microsoft.OutlookServices."
                "Message'. Make sure to only use property names that are defined by the type.",
            )
        if key in WRITABLE_ON_DRAFT and not message.is_draft and not creating:
            raise GraphError(
                400,
                "ErrorInvalidPropertyUpdateSentMessage",
                "Update operation on sent message property is not allowed.",
            )
        if key not in WRITABLE_ON_DRAFT | WRITABLE_ALWAYS:
            raise GraphError(400, "ErrorInvalidPropertySet", f"The property '{key}' is read-only.")
        _apply(message, key, value)


def _apply(message: Message, key: str, value: Any) -> None:
    if key == "subject":
        message.subject = _string(value, key)
    elif key == "body":
        if not isinstance(value, dict):
            raise GraphError(400, "RequestBodyRead", "Property 'body' must be an itemBody.")
        kind = str(value.get("contentType", "text")).lower()
        if kind not in ("text", "html"):
            raise bad_request(f"Invalid contentType '{kind}'.", "RequestBodyRead")
        message.body_type = kind
        message.body = _string(value.get("content", ""), "body.content")
    elif key in ("toRecipients", "ccRecipients", "bccRecipients", "replyTo"):
        people = _people(value, key)
        attr = {
            "toRecipients": "to",
            "ccRecipients": "cc",
            "bccRecipients": "bcc",
            "replyTo": "reply_to",
        }[key]
        setattr(message, attr, people)
    elif key in ("from", "sender"):
        message.sender = _person(value, key)
    elif key == "internetMessageId":
        text = _string(value, key)
        if not _MESSAGE_ID.match(text):
            raise GraphError(
                400,
                "InvalidInternetMessageId",
                "The internet message id must be in the format <local@domain>.",
            )
        message.internet_message_id = text
    elif key == "internetMessageHeaders":
        message.extra_headers = _custom_headers(value)
    elif key == "isRead":
        if not isinstance(value, bool):
            raise GraphError(400, "RequestBodyRead", "Property 'isRead' must be a boolean.")
        message.is_read = value
    elif key == "categories":
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            raise GraphError(400, "RequestBodyRead", "Property 'categories' must be strings.")
        message.categories = list(value)
    elif key == "importance":
        if value not in ("low", "normal", "high"):
            raise GraphError(400, "RequestBodyRead", f"Invalid importance '{value}'.")
        message.importance = value


def _string(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise GraphError(400, "RequestBodyRead", f"Property '{field}' must be a string.")
    return value


def _custom_headers(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        raise GraphError(400, "RequestBodyRead", "internetMessageHeaders must be a collection.")
    headers = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise GraphError(400, "RequestBodyRead", "Each header needs a name and a value.")
        name, val = item["name"], str(item.get("value", ""))
        # Graph only lets clients set custom X- headers (not In-Reply-To, References...).
        if not name.lower().startswith("x-"):
            raise GraphError(
                400,
                "InvalidInternetMessageHeader",
                f"The internet message header name '{name}' should start with 'x-' or 'X-'.",
            )
        headers.append((name, val))
    return headers


# routes ------------------------------------------------------------------------------
def created(call: Call, message: Message) -> Response:
    return json_response(
        201,
        {
            "@odata.context": call.link("/$metadata#users('me')/messages/$entity"),
            **render_message(message, call, None),
        },
    )


def create_draft(call: Call) -> Response:
    mailbox = call.mailbox
    message = Message(
        immutable_id=mailbox.new_id("message"),
        folder_id=mailbox.aliases["drafts"],
        is_draft=True,
        is_read=True,
    )
    apply_message_fields(message, call.json_object(), creating=True)
    _stamp_new(mailbox, message, call)
    mailbox.add_message(message, call.now)
    return created(call, message)


def _stamp_new(mailbox: Mailbox, message: Message, call: Call) -> None:
    message.internet_message_id = message.internet_message_id or new_internet_message_id(
        "sandbox.prod.outlook.com"
    )
    message.conversation_id = message.conversation_id or mailbox.conversation_for(
        message.in_reply_to, message.references
    )
    message.created = call.now


def find(call: Call, message_id: str) -> Message:
    message = call.mailbox.find_message(message_id)
    if message is None:
        raise not_found()
    return message


def get_message(call: Call, message_id: str) -> Response:
    message = find(call, message_id)
    fields = select(call.request, MESSAGE_PROPERTIES, "message")
    wanted = extended.expanded(call.request.param("$expand"))
    shown = render_message(message, call, fields)
    properties = extended.shown(message, wanted) if wanted is not None else None
    if properties is not None:
        shown[extended.FIELD] = properties
    return json_response(200, shown)


def get_mime(call: Call, message_id: str) -> Response:
    """GET /me/messages/{id}/$value: "Get MIME content of a message" (Graph v1.0 docs,
    "Get MIME content of a message using the Outlook mail API": the body is the message's
    MIME content, not JSON). Mail delivered as MIME is answered byte for byte."""
    message = find(call, message_id)
    if message.mime is not None:
        content = message.mime
    else:
        head = "".join(f"{n}: {v}\r\n" for n, v in _headers(message, call.mailbox))
        body = message.body.replace("\r\n", "\n").replace("\n", "\r\n")
        kind = "text/html" if message.body_type == "html" else "text/plain"
        head += f"MIME-Version: 1.0\r\nContent-Type: {kind}; charset=utf-8\r\n"
        content = (head + "\r\n" + body).encode("utf-8")
    return Response(200, {"Content-Type": "text/plain"}, content)


def update_message(call: Call, message_id: str) -> Response:
    message = find(call, message_id)
    apply_message_fields(message, call.json_object(), creating=False)
    call.mailbox.touch_message(message, call.now)
    return json_response(200, render_message(message, call, None))


def delete_message(call: Call, message_id: str) -> Response:
    message = find(call, message_id)
    mailbox = call.mailbox
    if message.folder_id == mailbox.aliases["deleteditems"]:
        mailbox.remove_message(message)
    else:
        mailbox.move_message(message, mailbox.aliases["deleteditems"], call.now)
    return Response(204)


def move_message(call: Call, message_id: str) -> Response:
    message = find(call, message_id)
    body = call.json_object()
    target = call.mailbox.folder_id(str(body.get("destinationId", "")))
    if target is None:
        raise GraphError(400, "ErrorInvalidIdMalformed", "Id is malformed.")
    call.mailbox.move_message(message, target, call.now)
    return json_response(201, render_message(message, call, None))


def create_reply(call: Call, message_id: str, reply_all: bool = False) -> Response:
    original = find(call, message_id)
    mailbox = call.mailbox
    body = call.json_object(required=False)
    if "comment" in body and "message" in body:
        raise GraphError(
            400,
            "ErrorInvalidRequest",
            "Both 'comment' and 'message' were specified; only one is allowed.",
        )
    unknown = set(body) - {"comment", "message"}
    if unknown:
        raise GraphError(
            400,
            "RequestBodyRead",
            f"The parameter '{sorted(unknown)[0]}' in the request "
            "payload is not a valid parameter for the operation 'createReply'.",
        )
    prefix = "RE: "
    subject = original.subject
    if not subject.lower().startswith(("re:", "aw:")):
        subject = prefix + subject
    recipients = original.reply_to or ([original.sender] if original.sender else [])
    if original.sender and original.sender.address.lower() == mailbox.email.lower():
        recipients = list(original.to)
    draft = Message(
        immutable_id=mailbox.new_id("message"),
        folder_id=mailbox.aliases["drafts"],
        subject=subject,
        body_type="html",
        to=list(recipients),
        cc=[p for p in original.to + original.cc if p.address.lower() != mailbox.email.lower()]
        if reply_all
        else [],
        is_draft=True,
        is_read=True,
        in_reply_to=original.internet_message_id or None,
        references=[*original.references, original.internet_message_id],
        conversation_id=original.conversation_id,
    )
    comment = body.get("comment", "")
    quoted = html.escape(_text(original))
    draft.body = (
        f"<html><body><div>{html.escape(str(comment))}</div><hr>"
        f"<div><b>From:</b> {html.escape(original.sender.address if original.sender else '')}"
        f"<br><b>Subject:</b> {html.escape(original.subject)}</div>"
        f"<div>{quoted}</div></body></html>"
    )
    if isinstance(body.get("message"), dict):
        apply_message_fields(draft, body["message"], creating=True)
    _stamp_new(mailbox, draft, call)
    mailbox.add_message(draft, call.now)
    return created(call, draft)


def _require_recipients(message: Message) -> None:
    everyone = message.to + message.cc + message.bcc
    if not everyone:
        raise GraphError(
            400,
            "ErrorInvalidRecipients",
            "At least one recipient is not valid., A message "
            "can't be sent because it contains no recipients.",
        )
    for person in everyone:
        if "@" not in person.address:
            raise GraphError(
                400,
                "ErrorInvalidRecipients",
                f"At least one recipient is not valid., "
                f"Recipient '{person.address}' is not resolved. All recipients must be "
                "resolved before a message can be submitted.",
            )


def submit_at(mailbox: Mailbox, message: Message, now: datetime, via: str) -> None:
    """Send a draft already in the mailbox: it leaves Drafts now and reaches Sent Items
    after the mailbox's copy delay (simulated time)."""
    _sent_state(mailbox, message, now)
    mailbox.move_message(message, mailbox.aliases["outbox"], now)
    mailbox.pending_sent.append((now + mailbox.sent_copy_delay, message))
    _record(mailbox, message, via)


def _sent_state(mailbox: Mailbox, message: Message, now: datetime) -> None:
    if mailbox.rewrite_message_ids:
        _new_message_id(mailbox, message)
    message.is_draft = False
    message.is_read = True
    message.sender = Person(mailbox.email, mailbox.display_name)
    message.sent = now
    message.received = now
    mailbox.conversations.setdefault(message.internet_message_id, message.conversation_id)


def _new_message_id(mailbox: Mailbox, message: Message) -> None:
    """Give a message being sent an internetMessageId of Exchange's making. Whether
    Exchange keeps the one a client set on a draft is not documented (the message resource
    says only that internetMessageId is "the message ID in the format specified by RFC
    2822", writable on drafts), so the sandbox can play the other answer: a client must
    not depend on it. Its extended properties go along unchanged."""
    if mailbox.by_internet_id.get(message.internet_message_id) == message.immutable_id:
        del mailbox.by_internet_id[message.internet_message_id]
    message.internet_message_id = new_internet_message_id("sandbox.prod.outlook.com")
    mailbox.by_internet_id[message.internet_message_id] = message.immutable_id


def _record(mailbox: Mailbox, message: Message, via: str) -> None:
    mailbox.sent.append(
        SentRecord(
            immutable_id=message.immutable_id,
            internet_message_id=message.internet_message_id,
            conversation_id=message.conversation_id,
            subject=message.subject,
            to=[p.address for p in message.to],
            cc=[p.address for p in message.cc],
            sent=message.sent or mailbox.created,
            via=via,
            in_reply_to=message.in_reply_to,
        )
    )


def send_draft(call: Call, message_id: str) -> Response:
    message = find(call, message_id)
    if call.request.body.strip():
        raise GraphError(400, "ErrorInvalidRequest", "The send action takes no request body.")
    if not message.is_draft:
        raise GraphError(
            400, "ErrorInvalidOperation", "Only draft messages can be sent with this action."
        )
    _require_recipients(message)
    submit_at(call.mailbox, message, call.now, via="send")
    return Response(202)


def send_mail(call: Call) -> Response:
    body = call.json_object()
    unknown = set(body) - {"message", "saveToSentItems"}
    if unknown or not isinstance(body.get("message"), dict):
        raise GraphError(
            400,
            "ErrorInvalidRequest",
            "The request must contain a 'message' object and, optionally, 'saveToSentItems'.",
        )
    save = body.get("saveToSentItems", True)
    if not isinstance(save, bool):
        raise GraphError(400, "RequestBodyRead", "'saveToSentItems' must be a boolean.")
    mailbox = call.mailbox
    message = Message(
        immutable_id=mailbox.new_id("message"),
        folder_id=mailbox.aliases["sentitems"],
        is_draft=True,
    )
    apply_message_fields(message, body["message"], creating=True)
    _require_recipients(message)
    _stamp_new(mailbox, message, call)
    _sent_state(mailbox, message, call.now)
    if save:
        mailbox.pending_sent.append((call.now + mailbox.sent_copy_delay, message))
    _record(mailbox, message, via="sendMail")
    return Response(202)


def list_messages(call: Call, folder: str | None) -> Response:
    mailbox = call.mailbox
    request = call.request
    known = {"$select", "$filter", "$top", "$skip", "$orderby", "$count"}
    extra = set(request.query) - known
    if extra:
        raise GraphError(
            400,
            "BadRequest",
            f"Query option '{sorted(extra)[0]}' is not supported for this request.",
        )
    fields = select(request, MESSAGE_PROPERTIES, "message")
    if folder is None:
        candidates = list(mailbox.messages.values())
    else:
        folder_id = mailbox.folder_id(folder)
        if folder_id is None:
            raise not_found("The specified folder could not be found in the store.")
        candidates = mailbox.in_folder(folder_id)
    raw_filter, by_property = extended.split_filter(request.param("$filter") or "")
    clauses = parse_filter(raw_filter, FILTERABLE) if raw_filter else []
    if by_property is not None:
        candidates = [m for m in candidates if by_property(m)]
    order = (request.param("$orderby") or "receivedDateTime desc").strip()
    order_prop, _, direction = order.partition(" ")
    if order_prop not in ("receivedDateTime", "sentDateTime", "createdDateTime", "subject"):
        raise bad_request(f"Ordering by '{order_prop}' is not supported.")
    if clauses and request.param("$orderby") and clauses[0].prop != order_prop:
        # Exchange needs $orderby properties to lead the $filter.
        raise GraphError(
            400,
            "InefficientFilter",
            "The restriction or sort order is too complex for this operation.",
        )
    chosen = [m for m in candidates if all(matches(c, _field(m, c.prop)) for c in clauses)]
    chosen.sort(
        key=lambda m: (_field(m, order_prop) or m.created, m.immutable_id),
        reverse=direction.strip().lower() != "asc",
    )
    page = top(request) or 10
    skip_raw = request.param("$skip") or "0"
    if not skip_raw.isdigit():
        raise bad_request(f"Invalid value '{skip_raw}' for $skip query option.")
    skip = int(skip_raw)
    window = chosen[skip : skip + page]
    payload: dict[str, Any] = {
        "@odata.context": call.link("/$metadata#users('me')/messages"),
        "value": [render_message(m, call, fields) for m in window],
    }
    if request.param("$count") == "true":
        payload["@odata.count"] = len(chosen)
    if skip + page < len(chosen):
        query = "&".join(
            f"{k}={v[-1]}" for k, v in request.query.items() if k not in ("$skip", "$top")
        )
        sep = "&" if query else ""
        payload["@odata.nextLink"] = (
            f"{call.base}{request.path.split('/v1.0', 1)[-1]}?{query}{sep}$top={page}"
            f"&$skip={skip + page}"
        )
    return json_response(200, payload)


def _field(message: Message, prop: str) -> Any:
    return {
        "internetMessageId": message.internet_message_id,
        "conversationId": message.conversation_id,
        "subject": message.subject,
        "isRead": message.is_read,
        "isDraft": message.is_draft,
        "receivedDateTime": message.received or message.created,
        "sentDateTime": message.sent or message.created,
        "createdDateTime": message.created,
        "from/emailAddress/address": message.sender.address if message.sender else None,
    }[prop]


def render_folder(mailbox: Mailbox, folder_id: str) -> dict[str, Any]:
    folder = mailbox.folders[folder_id]
    messages = mailbox.in_folder(folder_id)
    return {
        "id": folder.id,
        "displayName": folder.display_name,
        "parentFolderId": "AAMkAGroot",
        "childFolderCount": 0,
        "unreadItemCount": sum(1 for m in messages if not m.is_read),
        "totalItemCount": len(messages),
        "isHidden": False,
    }


def list_folders(call: Call) -> Response:
    mailbox = call.mailbox
    shown = [fid for fid, f in mailbox.folders.items() if f.well_known != "outbox"]
    return json_response(
        200,
        {
            "@odata.context": call.link("/$metadata#users('me')/mailFolders"),
            "value": [render_folder(mailbox, fid) for fid in shown],
        },
    )


def get_folder(call: Call, folder: str) -> Response:
    folder_id = call.mailbox.folder_id(folder)
    if folder_id is None:
        raise not_found("The specified folder could not be found in the store.")
    return json_response(200, render_folder(call.mailbox, folder_id))


SENT_COPY_DEFAULT = timedelta(seconds=30)

"""Google's batch endpoint: a multipart/mixed body of HTTP requests, answered in kind."""

from __future__ import annotations

import email
import email.policy
import uuid
from collections.abc import Callable
from email.message import Message
from http import HTTPStatus

from integrations.sandbox.google.errors import GoogleError, bad_request
from integrations.sandbox.http import Request, Response, parse_target

MAX_PARTS = 100

# Runs one part: (sub-request) -> Response. The emulator passes its own pipeline so parts
# get auth, validation, faults and accounting exactly like standalone calls.
PartRunner = Callable[[Request], Response]


def parse_parts(request: Request) -> list[tuple[str, Request]]:
    """(Content-ID, sub-request) for each part; outer headers apply unless a part overrides."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/mixed"):
        raise bad_request("Batch requests must be multipart/mixed.", reason="badContent")
    envelope = f"Content-Type: {content_type}\r\n\r\n".encode() + request.body
    message = email.message_from_bytes(envelope, policy=email.policy.compat32)
    parts = message.get_payload()
    if not message.is_multipart() or not isinstance(parts, list) or not parts:
        raise bad_request("Batch request has no parts.", reason="badContent")
    if len(parts) > MAX_PARTS:
        raise bad_request(
            f"A batch request cannot contain more than {MAX_PARTS} requests.", reason="badRequest"
        )
    inherited = {
        k: v for k, v in request.headers.items() if k in ("authorization", "x-goog-user-project")
    }
    found = []
    for part in parts:
        if not isinstance(part, Message):
            raise bad_request("Malformed batch part.", reason="badContent")
        content_id = str(part.get("Content-ID", ""))
        found.append((content_id, _sub_request(part.get_payload(decode=False), inherited)))
    return found


def _sub_request(payload: object, inherited: dict[str, str]) -> Request:
    text = payload if isinstance(payload, str) else ""
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    words = lines[0].split(" ") if lines else []
    if len(words) < 2:
        return Request("INVALID", "/", {}, inherited)
    headers = dict(inherited)
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    path, raw_query, query = parse_target(words[1])
    return Request(words[0].upper(), path, query, headers, body.encode(), raw_query)


def answer(parts: list[tuple[str, Response]]) -> Response:
    """The multipart/mixed answer; each part echoes its request's Content-ID as Google does."""
    boundary = f"batch_{uuid.uuid4().hex}"
    chunks = []
    for content_id, response in parts:
        reply_id = f"<response-{content_id.strip('<>')}>" if content_id else ""
        phrase = _phrase(response.status)
        head = "".join(f"{k}: {v}\r\n" for k, v in response.headers.items())
        chunks.append(
            f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: {reply_id}\r\n\r\n"
            f"HTTP/1.1 {response.status} {phrase}\r\n{head}"
            f"Content-Length: {len(response.body)}\r\n\r\n"
            + response.body.decode("utf-8", errors="replace")
            + "\r\n"
        )
    body = "".join(chunks) + f"--{boundary}--\r\n"
    return Response(200, {"Content-Type": f"multipart/mixed; boundary={boundary}"}, body.encode())


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def run(request: Request, runner: PartRunner) -> Response:
    try:
        parts = parse_parts(request)
    except GoogleError as exc:
        return exc.response()
    return answer([(content_id, runner(sub)) for content_id, sub in parts])

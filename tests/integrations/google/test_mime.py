"""Building RFC 5322 messages: ids, threading headers, refusal of header injection."""

from __future__ import annotations

import base64
import email
import email.policy

import pytest

from integrations.google import mime
from tests.integrations.contract import outgoing


def parsed(raw: str) -> email.message.EmailMessage:
    data = base64.urlsafe_b64decode(raw)
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def test_headers_of_a_reply() -> None:
    message = outgoing(
        1,
        subject="Re: Coffee chat?",
        body="Grüße — see you Tuesday.",
        in_reply_to="<their-1@contact.example>",
        references=["<ours-0@outreach.example>"],
    )
    built = parsed(mime.raw(message, "me@example.com"))
    assert built["Message-ID"] == "<contract-1@outreach.example>"
    assert built["In-Reply-To"] == "<their-1@contact.example>"
    assert built["References"] == "<ours-0@outreach.example> <their-1@contact.example>"
    assert built["From"] == "me@example.com"
    assert built["To"] == "ada@contact.example"
    assert built.get_content().strip() == "Grüße — see you Tuesday."


def test_message_ids_get_their_angle_brackets() -> None:
    built = parsed(mime.raw(outgoing(2, message_id="bare-id@outreach.example"), "me@x.org"))
    assert built["Message-ID"] == "<bare-id@outreach.example>"


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "Hi\nBcc: victim@example.com"},
        {"subject": "Hi\rThere"},
        {"to": ["a@example.com\r\nBcc: b@example.com"]},
        {"message_id": "<a@b>\nX-Evil: 1"},
        {"in_reply_to": "<a@b>\r\nBcc: c@d"},
        {"references": ["<a@b>\nBcc: c@d"]},
    ],
)
def test_line_breaks_in_headers_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="line breaks"):
        mime.raw(outgoing(3, **changes), "me@example.com")


def test_a_message_needs_a_recipient() -> None:
    with pytest.raises(ValueError, match="recipient"):
        mime.raw(outgoing(4, to=[]), "me@example.com")


def test_subjects_thread_like_gmail() -> None:
    assert mime.same_subject("Re: RE: Coffee chat?", "coffee chat?")
    assert not mime.same_subject("Tuesday", "Coffee chat?")
    assert mime.reply_subject("Coffee chat?") == "Re: Coffee chat?"
    assert mime.reply_subject("Re: Coffee chat?") == "Re: Coffee chat?"


def test_reading_headers() -> None:
    resource = {
        "internalDate": "1772442000000",
        "payload": {
            "headers": [
                {"name": "From", "value": "Ada Lovelace <Ada@Contact.example>"},
                {"name": "To", "value": "me@x.org, Bob <bob@y.org>"},
                {"name": "References", "value": "<a@b>\r\n <c@d>"},
            ]
        },
    }
    headers = mime.headers_of(resource)
    assert mime.addresses(headers["from"]) == ["ada@contact.example"]
    assert mime.addresses(headers["to"]) == ["me@x.org", "bob@y.org"]
    assert mime.message_ids(headers["references"]) == ["<a@b>", "<c@d>"]
    assert mime.date_of(headers, resource).year == 2026  # no Date header: internalDate

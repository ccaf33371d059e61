"""The other side of a story: contacts who reply, auto-reply, bounce, invite, accept,
decline, reschedule and cancel; the user acting in Outlook; bulk seeding."""

from __future__ import annotations

import email
import html
import uuid
from datetime import datetime, timedelta
from email.header import decode_header, make_header
from email.utils import getaddresses
from typing import Any

from . import graph_mail
from .graph_calendar import ONLINE_MEETING_PROVIDERS
from .state import Attendee, Event, Mailbox, Message, Person, new_internet_message_id


class ScenarioError(Exception):
    """A scenario step that cannot happen (unknown message, event or draft)."""


def _subject(prefix: str, subject: str) -> str:
    return subject if subject.lower().startswith(prefix.lower()) else f"{prefix}{subject}"


def deliver(
    mailbox: Mailbox,
    now: datetime,
    sender: Person,
    subject: str,
    body: str,
    *,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: list[tuple[str, str]] | None = None,
    body_type: str = "text",
    odata_type: str = "#microsoft.graph.message",
    meeting_message_type: str | None = None,
    folder: str = "inbox",
    internet_message_id: str = "",
    mime: bytes | None = None,
) -> Message:
    """A message arrives in the user's mailbox, threaded by In-Reply-To/References."""
    refs = list(references or ([in_reply_to] if in_reply_to else []))
    message = Message(
        immutable_id=mailbox.new_id("message"),
        folder_id=mailbox.aliases[folder],
        subject=subject,
        body_type=body_type,
        body=body,
        sender=sender,
        to=[Person(mailbox.email, mailbox.display_name)],
        internet_message_id=internet_message_id
        or new_internet_message_id(sender.address.split("@")[-1] or "example.com"),
        in_reply_to=in_reply_to,
        references=refs,
        extra_headers=list(headers or []),
        received=now,
        sent=now,
        odata_type=odata_type,
        meeting_message_type=meeting_message_type,
        mime=mime,
    )
    message.conversation_id = mailbox.conversation_for(in_reply_to, refs)
    return mailbox.add_message(message, now)


def _sent(mailbox: Mailbox, internet_message_id: str) -> Any:
    for record in reversed(mailbox.sent):
        if record.internet_message_id == internet_message_id:
            return record
    known = mailbox.by_internet_id.get(internet_message_id)
    if known and known in mailbox.messages:
        return mailbox.messages[known]
    raise ScenarioError(f"no message with internetMessageId {internet_message_id!r}")


def _parts(original: Any) -> tuple[str, list[str], str]:
    """(subject, recipient addresses, references chain) of a sent record or message."""
    if isinstance(original, Message):
        return original.subject, [p.address for p in original.to], " ".join(original.references)
    return original.subject, list(original.to), original.in_reply_to or ""


def reply(
    mailbox: Mailbox,
    now: datetime,
    to_internet_message_id: str,
    body: str,
    sender: str | None = None,
    name: str = "",
) -> Message:
    """The contact answers a message in the same conversation."""
    original = _sent(mailbox, to_internet_message_id)
    subject, recipients, earlier = _parts(original)
    who = sender or (recipients[0] if recipients else "contact@example.com")
    references = [r for r in earlier.split() if r] + [to_internet_message_id]
    return deliver(
        mailbox,
        now,
        Person(who, name),
        _subject("RE: ", subject),
        body,
        in_reply_to=to_internet_message_id,
        references=references,
    )


def out_of_office(
    mailbox: Mailbox,
    now: datetime,
    to_internet_message_id: str,
    sender: str | None = None,
    until: str = "next week",
) -> Message:
    """An automatic reply: same thread, but not a real answer (Auto-Submitted header)."""
    original = _sent(mailbox, to_internet_message_id)
    subject, recipients, _ = _parts(original)
    who = sender or (recipients[0] if recipients else "contact@example.com")
    return deliver(
        mailbox,
        now,
        Person(who),
        _subject("Automatic reply: ", subject),
        f"I am out of the office until {until} with limited access to email.",
        in_reply_to=to_internet_message_id,
        headers=[
            ("Auto-Submitted", "auto-replied"),
            ("X-Auto-Response-Suppress", "All"),
            ("X-MS-Exchange-Inbox-Rules-Loop", who),
        ],
    )


def bounce(
    mailbox: Mailbox,
    now: datetime,
    to_internet_message_id: str,
    mailer_daemon: bool = False,
    reason: str = "550 5.1.1 RESOLVER.ADR.RecipientNotFound; Recipient not found",
) -> Message:
    """A non-delivery report from postmaster (Exchange) or MAILER-DAEMON (elsewhere)."""
    original = _sent(mailbox, to_internet_message_id)
    subject, recipients, _ = _parts(original)
    failed = recipients[0] if recipients else "unknown@example.com"
    domain = failed.split("@")[-1]
    sender = (
        Person(f"MAILER-DAEMON@{domain}", "Mail Delivery System")
        if mailer_daemon
        else Person(f"postmaster@{mailbox.domain}", "Microsoft Outlook")
    )
    body = (
        f"<html><body><p>Your message to {html.escape(failed)} couldn't be delivered.</p>"
        f"<p>{html.escape(reason)}</p></body></html>"
    )
    return deliver(
        mailbox,
        now,
        sender,
        _subject("Undeliverable: ", subject),
        body,
        body_type="html",
        in_reply_to=to_internet_message_id,
        headers=[
            ("Auto-Submitted", "auto-replied"),
            ("Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"'),
            ("X-MS-Exchange-Message-Is-Ndr", ""),
            ("X-Failed-Recipients", failed),
        ],
    )


# Headers Graph renders from a message's own fields (graph_mail._headers).
_FIELD_HEADERS = {"message-id", "from", "to", "subject", "date", "in-reply-to", "references"}


def deliver_mime(mailbox: Mailbox, now: datetime, raw: bytes) -> Message:
    """A message exactly as a mail server handed it over (a bounce, a delay notice, a
    complaint): its fields read from its headers, its MIME kept for $value."""
    parsed = email.message_from_bytes(raw)
    [(name, address)] = getaddresses([str(parsed.get("from", ""))])[:1] or [("", "")]
    ids = str(parsed.get("in-reply-to", "")).split()
    return deliver(
        mailbox,
        now,
        Person(address.lower(), name),
        _decoded(str(parsed.get("subject", ""))),
        _first_text(parsed),
        in_reply_to=ids[0] if ids else None,
        references=str(parsed.get("references", "")).split(),
        headers=[(k, str(v)) for k, v in parsed.items() if k.lower() not in _FIELD_HEADERS],
        internet_message_id=str(parsed.get("message-id", "")).strip(),
        mime=raw,
    )


def _decoded(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError):
        return value


def _first_text(parsed: email.message.Message) -> str:
    for part in parsed.walk():
        if part.get_content_type() == "text/plain":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                return data.decode(part.get_content_charset() or "utf-8", "replace")
    return ""


# calendar -----------------------------------------------------------------------
def set_online_meeting_providers(
    mailbox: Mailbox, allowed: list[str], default: str | None = None
) -> None:
    """How the calendar is set up for online meetings: the providers it allows and its
    default ("administrators can set up Outlook calendars to support meetings that use
    these providers, with one of these providers being the default provider",
    learn.microsoft.com/graph/outlook-calendar-online-meetings); ["unknown"] allows none."""
    unknown = [p for p in allowed if p not in ONLINE_MEETING_PROVIDERS]
    if not allowed or unknown:
        raise ScenarioError(f"allowed providers must be some of {sorted(ONLINE_MEETING_PROVIDERS)}")
    chosen = allowed[0] if default is None else default
    if chosen not in allowed:
        raise ScenarioError(f"default provider {chosen!r} is not among {allowed}")
    mailbox.online_meeting_providers = list(allowed)
    mailbox.default_online_meeting_provider = chosen


def user_adds_event(
    mailbox: Mailbox,
    now: datetime,
    subject: str,
    start: datetime,
    end: datetime,
    all_day: bool = False,
    free: bool = False,
) -> Event:
    """The user puts something in their own calendar: organizer, no attendees. showAs
    "free" when `free` (event resource: showAs free|tentative|busy|oof|workingElsewhere|
    unknown, learn.microsoft.com/graph/api/resources/event)."""
    event = Event(
        id=mailbox.new_id("event"),
        subject=subject,
        start=start,
        end=end,
        organizer=Person(mailbox.email, mailbox.display_name),
        is_organizer=True,
        original_time_zone=getattr(start.tzinfo, "key", "UTC"),
        is_all_day=all_day,
        show_as="free" if free else "busy",
        ical_uid="040000008200E00074C5B7101A82E008" + uuid.uuid4().hex.upper(),
    )
    return mailbox.add_event(event, now)


def invite(
    mailbox: Mailbox,
    now: datetime,
    organizer: str,
    subject: str,
    start: datetime,
    end: datetime,
    time_zone: str = "UTC",
    name: str = "",
    location: str = "",
    join_url: str = "",
) -> Event:
    """A contact invites the user: the event lands in the calendar plus a request mail;
    `join_url` makes it an online meeting (Teams) with that link."""
    event = Event(
        id=mailbox.new_id("event"),
        subject=subject,
        start=start,
        end=end,
        organizer=Person(organizer, name),
        is_organizer=False,
        original_time_zone=time_zone,
        location=location,
        join_url=join_url,
        online_meeting_provider="teamsForBusiness" if join_url else "unknown",
        attendees=[Attendee(Person(mailbox.email, mailbox.display_name))],
        response="notResponded",
        show_as="tentative",
        ical_uid="040000008200E00074C5B7101A82E008" + uuid.uuid4().hex.upper(),
    )
    mailbox.add_event(event, now)
    message = deliver(
        mailbox,
        now,
        Person(organizer, name),
        subject,
        f"Invitation: {subject}",
        odata_type="#microsoft.graph.eventMessageRequest",
        meeting_message_type="meetingRequest",
    )
    message.event_id = event.id
    return event


def _event(mailbox: Mailbox, event_id: str) -> Event:
    event = mailbox.live_event(event_id)
    if event is None:
        raise ScenarioError(f"no event {event_id!r}")
    return event


def user_accepts(mailbox: Mailbox, now: datetime, event_id: str) -> Event:
    """The user accepts an invitation in Outlook: the event's own responseStatus becomes
    accepted ("responseStatus: Indicates the type of response sent in response to an event
    message", event resource, learn.microsoft.com/graph/api/resources/event)."""
    event = _event(mailbox, event_id)
    event.response = "accepted"
    event.response_time = now
    event.show_as = "busy"
    mailbox.touch_event(event, now)
    return event


def respond(mailbox: Mailbox, now: datetime, event_id: str, attendee: str, response: str) -> Event:
    """An attendee answers the user's invitation (accepted, tentativelyAccepted, declined)."""
    if response not in ("accepted", "tentativelyAccepted", "declined"):
        raise ScenarioError(f"unknown response {response!r}")
    event = _event(mailbox, event_id)
    match = [a for a in event.attendees if a.person.address.lower() == attendee.lower()]
    if not match:
        raise ScenarioError(f"{attendee!r} is not invited to {event_id!r}")
    match[0].response = response
    match[0].response_time = now
    mailbox.touch_event(event, now)
    prefix = {
        "accepted": "Accepted: ",
        "tentativelyAccepted": "Tentative: ",
        "declined": "Declined: ",
    }[response]
    deliver(
        mailbox,
        now,
        match[0].person,
        prefix + event.subject,
        "",
        odata_type="#microsoft.graph.eventMessageResponse",
        meeting_message_type="meetingAccepted"
        if response == "accepted"
        else (
            "meetingTenativelyAccepted" if response == "tentativelyAccepted" else "meetingDeclined"
        ),
    )
    return event


def reschedule(
    mailbox: Mailbox, now: datetime, event_id: str, start: datetime, end: datetime
) -> Event:
    """The organizer moves the meeting; the update mail follows."""
    event = _event(mailbox, event_id)
    event.start, event.end = start, end
    if not event.is_organizer:
        event.response = "notResponded"
    mailbox.touch_event(event, now)
    deliver(
        mailbox,
        now,
        event.organizer,
        f"Updated: {event.subject}",
        "The meeting was moved.",
        odata_type="#microsoft.graph.eventMessageRequest",
        meeting_message_type="meetingRequest",
    )
    return event


def cancel(mailbox: Mailbox, now: datetime, event_id: str) -> Event:
    """The organizer cancels: the event stays, marked isCancelled, until the user removes it."""
    event = _event(mailbox, event_id)
    event.is_cancelled = True
    mailbox.touch_event(event, now)
    deliver(
        mailbox,
        now,
        event.organizer,
        f"Canceled: {event.subject}",
        "The meeting was canceled.",
        odata_type="#microsoft.graph.eventMessageRequest",
        meeting_message_type="meetingCancelled",
    )
    return event


# the user in Outlook --------------------------------------------------------------
def _draft(mailbox: Mailbox, message_id: str) -> Message:
    message = mailbox.find_message(message_id)
    if message is None or not message.is_draft:
        raise ScenarioError(f"no draft {message_id!r}")
    return message


def send_draft_in_outlook(mailbox: Mailbox, now: datetime, message_id: str) -> Message:
    message = _draft(mailbox, message_id)
    graph_mail.submit_at(mailbox, message, now, via="outlook")
    return message


def edit_draft_in_outlook(
    mailbox: Mailbox, now: datetime, message_id: str, body: str, subject: str | None = None
) -> Message:
    """The user rewrites a draft in Outlook: same item and id, a new change key, and an
    HTML body, which is what Outlook's editor writes (Graph then answers it as text only
    when asked with Prefer: outlook.body-content-type="text")."""
    message = _draft(mailbox, message_id)
    if subject is not None:
        message.subject = subject
    paragraphs = "".join(f"<p>{html.escape(line)}</p>\r\n" for line in body.splitlines())
    message.body_type = "html"
    message.body = f"<html><body>\r\n{paragraphs}</body></html>"
    mailbox.touch_message(message, now)
    return message


def delete_draft_in_outlook(mailbox: Mailbox, now: datetime, message_id: str) -> None:
    message = _draft(mailbox, message_id)
    mailbox.move_message(message, mailbox.aliases["deleteditems"], now)


def seed(
    mailbox: Mailbox, now: datetime, count: int, folder: str = "inbox", domain: str = "example.org"
) -> list[str]:
    """Fill a folder with `count` received messages, oldest first, one minute apart."""
    ids = []
    first = now - timedelta(minutes=count)
    for index in range(count):
        at = first + timedelta(minutes=index)
        message = deliver(
            mailbox,
            at,
            Person(f"contact{index % 500}@{domain}", f"Contact {index % 500}"),
            f"Seeded message {index}",
            f"Body of seeded message {index}.",
            folder=folder,
        )
        ids.append(message.immutable_id)
    return ids

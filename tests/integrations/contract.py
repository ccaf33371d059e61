"""The provider contract: behaviour every mailbox-and-calendar adapter must show.

Subclass `ProviderContract` in an adapter's tests and give it a `provider_env` fixture
returning a `ProviderEnv`: the provider under test and a `ContactSide` that plays the
contact (and the user in their own mail client) on the emulated service.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pytest

from integrations.protocol import (
    EventRequest,
    OutgoingMessage,
    Provider,
    SentRef,
    SyncBatch,
)

CONTACT = "ada@contact.example"
OTHER = "zed@elsewhere.example"
BERLIN = ZoneInfo("Europe/Berlin")


class ContactSide(Protocol):
    """The other end of the mailbox: contacts writing, and the user's own mail client."""

    def write(self, from_address: str, subject: str, body: str) -> str:
        """A new message from a contact; returns its RFC Message-ID."""
        ...

    def reply(self, thread_id: str, from_address: str, body: str, auto: bool = False) -> str:
        """The contact answers the latest message of a thread (an out-of-office answer
        when `auto`); returns the reply's RFC Message-ID."""
        ...

    def invite(
        self, organizer: str, summary: str, start: datetime, end: datetime, time_zone: str
    ) -> str:
        """The contact invites the user; returns the provider's event id."""
        ...

    def respond(self, event_id: str, attendee: str, response: str) -> None:
        """An attendee accepts, declines or tentatively accepts."""
        ...

    def user_adds_event(
        self,
        summary: str,
        start: datetime,
        end: datetime,
        all_day: bool = False,
        free: bool = False,
    ) -> str:
        """The user puts something in their own calendar (an all-day event spans the dates
        of `start` to `end`, end excluded; `free` marks it as not taking their time)."""
        ...

    def user_sends_draft(self, draft_id: str) -> None:
        """The user presses Send on a draft in their mail client."""
        ...

    def user_deletes_draft(self, draft_id: str) -> None: ...

    def user_edits_draft(self, draft_id: str, body: str) -> None:
        """The user rewrites a draft's text in their mail client."""
        ...

    def mailbox_sent(self) -> list[dict[str, Any]]:
        """Sent messages: {"message_id", "thread_id", "to": [..], "subject", "headers": {name:
        value} (names as sent)}."""
        ...

    def mailbox_drafts(self) -> list[dict[str, Any]]:
        """Drafts, shaped like mailbox_sent plus "text"."""
        ...

    def events(self) -> list[dict[str, Any]]:
        """Calendar events: {"id", "summary", "attendees": [addresses]}."""
        ...

    def invitations(self) -> list[dict[str, Any]]:
        """Invitation mails the provider sent: {"to", "event_id"}."""
        ...


class ProviderEnv(Protocol):
    provider: Provider
    contact: ContactSide
    now: datetime


def sync_all(provider: Provider, cursors: dict[str, str], addresses: set[str]) -> SyncBatch:
    """Sync until the provider says it is complete, merging what every pass saw."""
    merged = SyncBatch(cursors=dict(cursors))
    for _ in range(100):
        batch = provider.sync(merged.cursors, addresses)
        merged.messages += batch.messages
        merged.drafts_gone += batch.drafts_gone
        merged.events += batch.events
        merged.cursors = batch.cursors
        if not batch.incomplete:
            return merged
    raise AssertionError("sync never completed")


def send_once(provider: Provider, message: OutgoingMessage) -> SentRef:
    """What the worker does: look for an earlier attempt before sending."""
    return provider.find_sent(message.message_id) or provider.send_message(message)


def outgoing(n: int = 1, **changes: Any) -> OutgoingMessage:
    fields: dict[str, Any] = {
        "to": [CONTACT],
        "subject": "Coffee chat?",
        "body": "Would you have 20 minutes next week?",
        "message_id": f"<contract-{n}@outreach.example>",
        **changes,
    }
    return OutgoingMessage(**fields)


def _sent_with(env: ProviderEnv, message_id: str) -> list[dict[str, Any]]:
    """Sent copies of the message we gave this Message-ID (also when the provider replaced
    it: the copy then names ours in "sent_as")."""
    return [
        m for m in env.contact.mailbox_sent() if message_id in (m["message_id"], m.get("sent_as"))
    ]


class ProviderContract:
    """The behaviour every Provider must show. Subclasses supply `provider_env`."""

    # sending ---------------------------------------------------------------------------
    def test_send_keeps_message_id_and_find_sent_finds_it(self, provider_env: ProviderEnv) -> None:
        provider = provider_env.provider
        assert provider.find_sent("<never-sent@outreach.example>") is None
        sent = provider.send_message(outgoing(1))
        assert sent.message_id == "<contract-1@outreach.example>"
        found = provider.find_sent(sent.message_id)
        assert found is not None
        assert found.provider_message_id == sent.provider_message_id
        [copy] = _sent_with(provider_env, sent.message_id)
        assert copy["to"] == [CONTACT]
        assert copy["subject"] == "Coffee chat?"

    def test_send_once_after_a_crash_sends_one_message(self, provider_env: ProviderEnv) -> None:
        provider = provider_env.provider
        message = outgoing(2)
        first = provider.send_message(message)
        # The worker crashed before recording the send; on restart it runs the action again.
        again = send_once(provider, message)
        assert again.provider_message_id == first.provider_message_id
        assert len(_sent_with(provider_env, message.message_id)) == 1

    def test_reply_in_thread_carries_threading_headers(self, provider_env: ProviderEnv) -> None:
        provider, contact = provider_env.provider, provider_env.contact
        first = provider.send_message(outgoing(3))
        assert first.thread_id
        reply_id = contact.reply(first.thread_id, CONTACT, "Sure, Tuesday works.")
        follow_up = outgoing(
            4,
            subject="Tuesday it is",  # a new subject must not break the thread
            thread_id=first.thread_id,
            in_reply_to=reply_id,
            references=[first.message_id, reply_id],
        )
        sent = provider.send_message(follow_up)
        assert sent.thread_id == first.thread_id
        [copy] = _sent_with(provider_env, follow_up.message_id)
        headers = {k.lower(): v for k, v in copy["headers"].items()}
        assert headers["in-reply-to"] == reply_id
        # The first message by our Message-ID or by the one the contact received (Graph's
        # createReply takes References from the conversation, which has the provider's).
        [first_copy] = _sent_with(provider_env, first.message_id)
        assert {first.message_id, first_copy["message_id"]} & set(headers["references"].split())
        assert reply_id in headers["references"]
        assert "coffee chat?" in copy["subject"].lower()

    def test_thread_only_fills_in_reply_headers(self, provider_env: ProviderEnv) -> None:
        provider, contact = provider_env.provider, provider_env.contact
        first = provider.send_message(outgoing(5))
        assert first.thread_id
        reply_id = contact.reply(first.thread_id, CONTACT, "Happy to.")
        sent = provider.send_message(
            outgoing(6, subject="Re: Coffee chat?", thread_id=first.thread_id)
        )
        assert sent.thread_id == first.thread_id
        [copy] = _sent_with(provider_env, "<contract-6@outreach.example>")
        assert {k.lower(): v for k, v in copy["headers"].items()}["in-reply-to"] == reply_id

    def test_reply_never_names_a_draft_waiting_in_the_thread(
        self, provider_env: ProviderEnv
    ) -> None:
        """The thread lists the user's drafts too: In-Reply-To and References name the last
        message that was sent or received, which the contact's mail client knows."""
        provider, contact = provider_env.provider, provider_env.contact
        first = provider.send_message(outgoing(30))
        assert first.thread_id
        reply_id = contact.reply(first.thread_id, CONTACT, "Sure, Tuesday works.")
        waiting = provider.create_draft(outgoing(31, thread_id=first.thread_id))
        sent = provider.send_message(outgoing(32, thread_id=first.thread_id))
        assert sent.thread_id == first.thread_id
        [copy] = _sent_with(provider_env, "<contract-32@outreach.example>")
        headers = {k.lower(): v for k, v in copy["headers"].items()}
        assert headers["in-reply-to"] == reply_id
        assert waiting.message_id not in headers.get("references", "")

    def test_header_injection_is_refused(self, provider_env: ProviderEnv) -> None:
        provider = provider_env.provider
        with pytest.raises(ValueError, match="line breaks"):
            provider.send_message(outgoing(7, subject="Hi\r\nBcc: victim@example.com"))
        with pytest.raises(ValueError, match="line breaks"):
            provider.create_draft(outgoing(8, to=["a@example.com\nBcc: b@example.com"]))
        assert provider_env.contact.mailbox_sent() == []

    # drafts ----------------------------------------------------------------------------
    def test_draft_create_update_send(self, provider_env: ProviderEnv) -> None:
        provider, contact = provider_env.provider, provider_env.contact
        draft = provider.create_draft(outgoing(10))
        assert draft.message_id == "<contract-10@outreach.example>"
        updated = provider.update_draft(draft.provider_draft_id, outgoing(10, body="Version two"))
        assert updated.provider_draft_id == draft.provider_draft_id
        [shown] = contact.mailbox_drafts()
        assert "Version two" in shown["text"]
        assert shown["message_id"] == draft.message_id
        sent = provider.send_draft(draft.provider_draft_id)
        assert sent.message_id == draft.message_id
        assert contact.mailbox_drafts() == []
        found = provider.find_sent(draft.message_id)
        assert found is not None
        assert found.provider_message_id == sent.provider_message_id

    def test_read_draft_gives_the_text_in_the_mailbox(self, provider_env: ProviderEnv) -> None:
        """What `drafts show` prints and `drafts edit` opens: the mailbox's copy, with the
        user's own changes made in their mail client, never the text we first wrote."""
        provider, contact = provider_env.provider, provider_env.contact
        draft = provider.create_draft(outgoing(15, body="Would you have 20 minutes?\n"))
        read = provider.read_draft(draft.provider_draft_id)
        assert read is not None
        assert (read.message_id, read.subject, read.to) == (
            draft.message_id,
            "Coffee chat?",
            [CONTACT],
        )
        assert read.body.strip() == "Would you have 20 minutes?"
        provider.update_draft(draft.provider_draft_id, outgoing(15, body="Version two\n"))
        again = provider.read_draft(draft.provider_draft_id)
        assert again is not None
        assert again.body.strip() == "Version two"
        contact.user_edits_draft(draft.provider_draft_id, "Dear Ada,\nMy own words & more.")
        edited = provider.read_draft(draft.provider_draft_id)
        assert edited is not None
        assert [line.strip() for line in edited.body.strip().splitlines() if line.strip()] == [
            "Dear Ada,",
            "My own words & more.",
        ]
        assert edited.message_id == draft.message_id
        contact.user_sends_draft(draft.provider_draft_id)
        assert provider.read_draft(draft.provider_draft_id) is None
        gone = provider.create_draft(outgoing(16))
        contact.user_deletes_draft(gone.provider_draft_id)
        assert provider.read_draft(gone.provider_draft_id) is None

    def test_draft_made_again_after_a_crash_is_the_same_draft(
        self, provider_env: ProviderEnv
    ) -> None:
        provider = provider_env.provider
        first = provider.create_draft(outgoing(12))
        # The worker was killed before recording the draft; on restart it makes it again.
        again = provider.create_draft(outgoing(12))
        assert again.provider_draft_id == first.provider_draft_id
        assert len(provider_env.contact.mailbox_drafts()) == 1

    def test_delete_draft_is_idempotent(self, provider_env: ProviderEnv) -> None:
        provider = provider_env.provider
        draft = provider.create_draft(outgoing(11))
        provider.delete_draft(draft.provider_draft_id)
        provider.delete_draft(draft.provider_draft_id)
        assert provider_env.contact.mailbox_drafts() == []

    def test_drafts_leaving_the_drafts_folder_are_reported(self, provider_env: ProviderEnv) -> None:
        provider, contact = provider_env.provider, provider_env.contact
        kept = provider.create_draft(outgoing(12))
        sent = provider.create_draft(outgoing(13))
        deleted = provider.create_draft(outgoing(14))
        batch = sync_all(provider, {}, {CONTACT})
        assert batch.drafts_gone == []
        contact.user_sends_draft(sent.provider_draft_id)
        contact.user_deletes_draft(deleted.provider_draft_id)
        later = sync_all(provider, batch.cursors, {CONTACT})
        gone = {d.provider_draft_id for d in later.drafts_gone}
        assert deleted.provider_draft_id in gone
        assert kept.provider_draft_id not in gone
        # The user's send shows up as a sent message carrying our Message-ID; its draft
        # may be reported gone too, but only beside it (the worker then knows it was sent).
        mine = [m.our_message_id or m.message_id for m in later.messages if m.sent_by_user]
        assert mine == [sent.message_id]
        assert gone <= {sent.provider_draft_id, deleted.provider_draft_id}

    # sync ------------------------------------------------------------------------------
    def test_first_sync_sees_only_tracked_contacts(self, provider_env: ProviderEnv) -> None:
        provider, contact = provider_env.provider, provider_env.contact
        ours = provider.send_message(outgoing(20))
        contact.write(OTHER, "Unrelated", "Not a tracked contact.")
        contact.write(CONTACT, "Hello", "From a tracked contact.")
        batch = sync_all(provider, {}, {CONTACT})
        assert {m.from_address for m in batch.messages} == {CONTACT, provider.email.lower()}
        mine = [m for m in batch.messages if m.sent_by_user]
        assert [m.our_message_id or m.message_id for m in mine] == [ours.message_id]
        theirs = [m for m in batch.messages if not m.sent_by_user]
        assert theirs[0].subject == "Hello"
        assert theirs[0].to == [provider.email.lower()]

    def test_incremental_sync_sees_replies_once(self, provider_env: ProviderEnv) -> None:
        provider, contact = provider_env.provider, provider_env.contact
        first = provider.send_message(outgoing(21))
        assert first.thread_id
        batch = sync_all(provider, {}, {CONTACT})
        reply_id = contact.reply(first.thread_id, CONTACT, "Yes, let's talk.")
        contact.write(OTHER, "Spam", "Untracked.")
        later = sync_all(provider, batch.cursors, {CONTACT})
        [reply] = later.messages
        assert reply.message_id == reply_id
        # It answers the Message-ID the contact received (the provider's, if it made one).
        [copy] = _sent_with(provider_env, first.message_id)
        assert reply.in_reply_to == copy["message_id"]
        assert reply.thread_id == first.thread_id
        assert not reply.sent_by_user
        again = sync_all(provider, later.cursors, {CONTACT})
        assert again.messages == []

    def test_auto_reply_keeps_its_automation_headers(self, provider_env: ProviderEnv) -> None:
        provider, contact = provider_env.provider, provider_env.contact
        first = provider.send_message(outgoing(22))
        assert first.thread_id
        batch = sync_all(provider, {}, {CONTACT})
        contact.reply(first.thread_id, CONTACT, "Out of office until Monday.", auto=True)
        [auto] = sync_all(provider, batch.cursors, {CONTACT}).messages
        assert auto.headers.get("auto-submitted", "").startswith("auto-")

    def test_meeting_mail_is_told_apart_from_conversation(self, provider_env: ProviderEnv) -> None:
        """Invitations and answers to them are meeting mail (the worker leaves them to the
        calendar); a message in a thread is not."""
        provider, contact = provider_env.provider, provider_env.contact
        first = provider.send_message(outgoing(23))
        assert first.thread_id
        event_id = provider.create_event(self._request(provider_env)).provider_event_id
        batch = sync_all(provider, {}, {CONTACT})
        contact.respond(event_id, CONTACT, "accepted")
        start = provider_env.now + timedelta(days=5)
        contact.invite(CONTACT, "Coffee chat", start, start + timedelta(minutes=30), "UTC")
        reply_id = contact.reply(first.thread_id, CONTACT, "Yes, let's talk.")
        later = sync_all(provider, batch.cursors, {CONTACT})
        methods = {m.message_id: m.calendar_method for m in later.messages}
        assert methods.pop(reply_id) is None
        assert sorted(m or "" for m in methods.values()) == ["REPLY", "REQUEST"]

    # calendar --------------------------------------------------------------------------
    def _request(self, env: ProviderEnv, request_id: str = "meeting-1") -> EventRequest:
        start = (
            (env.now + timedelta(days=3))
            .astimezone(BERLIN)
            .replace(hour=10, minute=0, second=0, microsecond=0)
        )
        return EventRequest(
            summary="Informational interview",
            start=start,
            end=start + timedelta(minutes=30),
            time_zone="Europe/Berlin",
            attendees=[CONTACT],
            location="Video call",
            request_id=request_id,
        )

    def test_create_event_invites_and_never_duplicates(self, provider_env: ProviderEnv) -> None:
        provider, contact = provider_env.provider, provider_env.contact
        request = self._request(provider_env)
        created = provider.create_event(request)
        event_id = created.provider_event_id
        assert provider.create_event(request) == created
        assert [e["id"] for e in contact.events()] == [event_id]
        assert [(i["to"], i["event_id"]) for i in contact.invitations()] == [(CONTACT, event_id)]

    def test_create_event_answers_its_links_at_once(self, provider_env: ProviderEnv) -> None:
        """What the meeting records right after the invitation, before any sync: where
        the event is in the user's calendar and, for a video call, the join link; a
        retry answers the same, and the sync later sees the same link."""
        provider = provider_env.provider
        plain = provider.create_event(self._request(provider_env))
        assert plain.calendar_link.startswith("https://")
        assert plain.link == ""  # a place in words, no call made
        request = replace(
            self._request(provider_env, "meeting-video"), location="", video_call=True
        )
        call = provider.create_event(request)
        assert call.calendar_link.startswith("https://")
        assert call.calendar_link != plain.calendar_link
        assert call.link.startswith("https://")
        assert provider.create_event(request) == call
        batch = sync_all(provider, {}, {CONTACT})
        [seen] = [e for e in batch.events if e.provider_event_id == call.provider_event_id]
        assert seen.link == call.link

    def test_calendar_sync_sees_events_and_answers(self, provider_env: ProviderEnv) -> None:
        provider, contact = provider_env.provider, provider_env.contact
        request = self._request(provider_env)
        event_id = provider.create_event(request).provider_event_id
        batch = sync_all(provider, {}, {CONTACT})
        [seen] = [e for e in batch.events if e.provider_event_id == event_id]
        assert seen.start == request.start
        assert seen.time_zone == "Europe/Berlin"
        assert seen.attendees[CONTACT] == "needsAction"
        assert not seen.all_day
        contact.respond(event_id, CONTACT, "accepted")
        start = request.start + timedelta(days=1)
        invite_id = contact.invite(
            CONTACT, "Lunch", start, start + timedelta(hours=1), "Europe/Berlin"
        )
        later = sync_all(provider, batch.cursors, {CONTACT})
        by_id = {e.provider_event_id: e for e in later.events}
        assert by_id[event_id].attendees[CONTACT] == "accepted"
        assert by_id[invite_id].attendees[provider.email.lower()] == "needsAction"
        assert sync_all(provider, later.cursors, {CONTACT}).events == []

    def test_busy_lists_what_takes_the_users_time(self, provider_env: ProviderEnv) -> None:
        provider, contact = provider_env.provider, provider_env.contact
        request = self._request(provider_env)
        provider.create_event(request)
        day = request.start
        dentist = (day + timedelta(days=1)).replace(hour=14)
        contact.user_adds_event("Dentist", dentist, dentist + timedelta(hours=1))
        focus = (day + timedelta(days=1)).replace(hour=16)
        contact.user_adds_event("Focus", focus, focus + timedelta(hours=1), free=True)
        first = (day + timedelta(days=2)).replace(hour=0, minute=0)
        contact.user_adds_event("Conference", first, first + timedelta(days=1), all_day=True)
        lunch = (day + timedelta(days=4)).replace(hour=12)
        contact.invite(CONTACT, "Lunch", lunch, lunch + timedelta(hours=1), "Europe/Berlin")
        later = day + timedelta(days=30)
        contact.user_adds_event("Far away", later, later + timedelta(hours=1))

        busy = provider.busy(provider_env.now, provider_env.now + timedelta(days=14))
        timed = sorted((b.start, b.end) for b in busy if not b.all_day)
        assert timed == [
            (request.start, request.end),
            (dentist, dentist + timedelta(hours=1)),
            (lunch, lunch + timedelta(hours=1)),
        ]
        [whole] = [b for b in busy if b.all_day]
        assert whole.start.date() == first.date()
        assert whole.end.date() == first.date() + timedelta(days=1)

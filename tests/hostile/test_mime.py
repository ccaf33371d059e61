"""Hostile mail: raw RFC 5322 bytes of any shape go through the path the worker reads mail by.

That path: Gmail (here its emulator) parses the message and answers the metadata format
as JSON; `MailboxSync.seen` reads it; `sync_records.interpret` turns it into events; the
journal seals and stores them. None of it may raise: a message from the tracked contact
is recorded as exactly one `reply.received`, any other message is skipped, and every
event in the log still decodes afterwards.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given

from events.ids import derive_id
from events.projections.accounts import AccountRow
from integrations.google.sync import MailboxSync
from integrations.protocol import MessageSeen, SyncBatch
from integrations.sandbox.google.gmail import render
from integrations.sandbox.google.mail_story import INCOMING_LABELS
from integrations.sandbox.google.mailbox import Mailbox
from tests.hostile.cases import fuzz, tried
from tests.hostile.strategies import CONTACT, CONTACT_NAME, ME, mime_messages
from tests.worker.world import ACCOUNT, World
from worker.domain.sync_records import interpret
from worker.services.app import App
from worker.services.contacts import ContactBook, NewContact
from worker.services.tick import load_snapshot

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACCOUNT_ROW = AccountRow(account_id="acc-hostile", provider="google", email=ME)


class GmailPath:
    """The emulator's mailbox and the adapter's reader, as one function from bytes."""

    def __init__(self, me: str = ME) -> None:
        self.box = Mailbox(me, random.Random(7))
        # Only `seen` is used: no HTTP, so no service and no call budget.
        self.reader = MailboxSync(cast(Any, None), cast(Any, None), me, "")

    def seen(self, raw: bytes) -> tuple[str, MessageSeen]:
        stored = self.box.add(raw, INCOMING_LABELS, NOW)
        # Through JSON as the HTTP answer carries it (lone surrogates come back escaped).
        # The "full" format, as the sync asks for it (its parts tell meeting mail apart).
        resource = json.loads(json.dumps(render(stored, "full")))
        return stored.id, self.reader.seen(resource)


def _expect_recorded_or_skipped(seen: MessageSeen, entries: list[Any]) -> None:
    kinds = [type(e.event).__name__ for e in entries]
    if seen.sent_by_user:
        # Written by the user from their mail client: the contact was written to.
        wrote_to_ada = CONTACT in {*seen.to, *seen.cc}
        assert kinds == (["OutreachSent"] if wrote_to_ada else []), seen
    elif seen.from_address == CONTACT and getattr(seen, "calendar_method", None):
        # An invitation by mail: the calendar sync records the meeting, not a reply.
        assert kinds in ([], ["ReplyReceived"]), seen
    elif seen.from_address == CONTACT:
        assert kinds == ["ReplyReceived"], seen
    else:
        assert entries == [], seen


@pytest.fixture
def app_with_ada(app: App) -> App:
    ContactBook(app).add(NewContact(name=CONTACT_NAME, emails=[CONTACT]))
    return app


@pytest.fixture(scope="module")
def gmail_path() -> GmailPath:
    return GmailPath()


@pytest.fixture(scope="module")
def snapshot_with_ada(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A snapshot with Ada tracked, on SQLite, for the volume test that stores nothing."""
    from events.clock import ManualClock
    from tests.worker.conftest import open_test_app

    tmp = tmp_path_factory.mktemp("mime")
    opened = open_test_app(f"sqlite:///{tmp / 'm.db'}", tmp, ManualClock(NOW))
    try:
        ContactBook(opened).add(NewContact(name=CONTACT_NAME, emails=[CONTACT]))
        yield load_snapshot(opened)
    finally:
        opened.close()


@fuzz(max_examples=300)
@given(raw=mime_messages(huge=False))
def test_any_message_is_read_then_recorded_or_skipped(
    raw: bytes, gmail_path: GmailPath, snapshot_with_ada: object
) -> None:
    tried("mime")
    _, seen = gmail_path.seen(raw)
    entries = interpret(SyncBatch(messages=[seen]), snapshot_with_ada, ACCOUNT_ROW)  # type: ignore[arg-type]
    _expect_recorded_or_skipped(seen, entries)


@fuzz(max_examples=40)
@given(raw=mime_messages())
def test_recorded_mail_keeps_the_log_readable_on_each_backend(
    raw: bytes, app_with_ada: App, gmail_path: GmailPath
) -> None:
    tried("mime.journaled")
    app = app_with_ada
    _, seen = gmail_path.seen(raw)
    entries = interpret(SyncBatch(messages=[seen]), load_snapshot(app), ACCOUNT_ROW)
    _expect_recorded_or_skipped(seen, entries)
    app.journal.record_all(entries)
    for entry in entries:
        assert entry.event_id is not None
        [stored] = [
            e for e in app.store.read_all(types={"reply.received"}) if e.event_id == entry.event_id
        ]
        back = app.codec.decode(stored).event
        # What was stored is what was seen (in the form the log keeps: bounded, UTC).
        assert back.subject == seen.subject  # type: ignore[attr-defined]
        assert back.received_at == seen.date.astimezone(UTC)  # type: ignore[attr-defined]
    app.projector.catch_up()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    try:
        w.add(CONTACT_NAME, CONTACT)
        w.sync()
        yield w
    finally:
        w.close()


@fuzz(max_examples=20)
@given(raw=mime_messages())
def test_hostile_mail_in_the_emulated_mailbox_survives_the_real_sync(
    raw: bytes, world: World
) -> None:
    """A sample through the whole thing: delivered into the emulator, read by the real
    sync over HTTP, recorded by the runtime; the sync never fails over a message."""
    tried("mime.sandbox_sync")
    box = world.sandbox.google.mailbox()
    stored = box.add(raw, INCOMING_LABELS, world.clock.now())
    world.sync()
    _, expected = GmailPath(box.email).seen(raw)
    event_id = derive_id("received", ACCOUNT, stored.id)
    # Meeting mail (a text/calendar part) is the calendar's business, not a reply.
    conversation = expected.from_address == CONTACT and not expected.calendar_method
    assert world.app.journal.has(event_id) == conversation
    assert not world.events("account.sync_failed")
    for stored_event in world.app.store.read_all():
        world.app.codec.decode(stored_event)


@pytest.mark.parametrize(
    "message_id", [b"<a\x00b@x>", b"<a\xed\xa0\x80b@x>", b"<\xff\xfe@x>"], ids=repr
)
def test_nul_or_broken_bytes_in_headers_do_not_stop_the_views(
    app_with_ada: App, message_id: bytes
) -> None:
    """Found by the fuzz above: on PostgreSQL a NUL in a Message-ID reached the pipeline
    view, whose text column refused it, and every later catch-up failed on that event."""
    tried("mime.journaled")
    raw = b"From: %s\r\nMessage-ID: %s\r\nSubject: \xff\x00hi\r\n\r\nbody" % (
        CONTACT.encode(),
        message_id,
    )
    _, seen = GmailPath().seen(raw)
    entries = interpret(SyncBatch(messages=[seen]), load_snapshot(app_with_ada), ACCOUNT_ROW)
    app_with_ada.journal.record_all(entries)
    [row] = ContactBook(app_with_ada).all()
    assert row.stage == "replied"
    assert "\x00" not in (row.last_message_id or "")

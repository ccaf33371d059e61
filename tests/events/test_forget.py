"""Forgetting a contact: gone from every view and unreadable in the log, which stays append-only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from events.clock import ManualClock
from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.projections.referrals import ReferralRow
from events.types import MeetingScheduled, OutreachDrafted, ReplyReceived
from tests.worker.conftest import open_test_app
from worker.services.app import App
from worker.services.contacts import ContactBook, NewContact, UnknownContact

NAME = "Ada Lovelace"
EMAIL = "ada.lovelace@analytical.example"
PLACE = "Ada's study, 12 St James's Square"
SUBJECT = "A short conversation about engines, Ada?"
SECRETS = (NAME, EMAIL, PLACE, SUBJECT, "Analytical Engines Ltd")


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: ManualClock) -> Iterator[App]:
    opened = open_test_app(db_url, tmp_path, clock)
    try:
        yield opened
    finally:
        opened.close()


def _ada_with_a_history(app: App) -> tuple[str, str]:
    """Ada (referring Grace), asked to reach out, an outreach draft and a meeting."""
    book = ContactBook(app)
    ada = book.add(
        NewContact(name=NAME, emails=[EMAIL], company="Analytical Engines Ltd"), reach_out=True
    ).contact_id
    grace = book.add(
        NewContact(name="Grace Hopper", emails=["grace@navy.example"], referred_by=EMAIL)
    ).contact_id
    app.journal.record(
        OutreachDrafted(
            contact_id=ada,
            draft_id="d1",
            account_id="acc",
            provider_draft_id="p1",
            message_id="<d1@outreach>",
            subject=SUBJECT,
            to=EMAIL,
        )
    )
    start = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    app.journal.record(
        MeetingScheduled(
            contact_id=ada,
            meeting_id="m1",
            account_id="acc",
            provider_event_id="ev1",
            start=start,
            end=start + timedelta(minutes=30),
            time_zone="Europe/London",
            place=PLACE,
        )
    )
    app.projector.catch_up()
    return ada, grace


def _event_ids(app: App) -> list[str]:
    return [e.event_id for e in app.store.read_all()]


def test_forgotten_contact_is_gone_from_every_view(app: App) -> None:
    ada, grace = _ada_with_a_history(app)
    book = ContactBook(app)
    before = _event_ids(app)

    book.forget(EMAIL)

    # The log is append-only: every earlier event is still there, forgetting only added.
    after = _event_ids(app)
    assert after[: len(before)] == before
    assert len(after) == len(before) + 2  # the pending draft discarded, the contact forgotten
    assert [c.contact_id for c in book.all()] == [grace]
    with pytest.raises(UnknownContact):
        book.resolve(EMAIL)
    with pytest.raises(UnknownContact):
        book.resolve(NAME)

    row = next(r for r in book.all(include_forgotten=True) if r.contact_id == ada)
    assert (row.name, row.emails, row.company, row.stage) == (None, [], None, "forgotten")
    (draft,) = app.projector.rows(DraftRow)
    assert (draft.subject, draft.to, draft.status) == (None, None, "discarded")
    (meeting,) = app.projector.rows(MeetingRow)
    assert meeting.place is None
    # Grace still knows she was referred; by whom is now only an id.
    (referral,) = app.projector.rows(ReferralRow)
    assert (referral.contact_id, referral.referrer_id) == (grace, ada)

    history = app.journal.contact_history(ada)
    assert all(d.forgotten for d in history if d.event.PERSONAL)
    for d in history:
        text = repr(d.event.fields())
        assert not any(secret in text for secret in SECRETS), d.stored.type


def test_a_later_event_does_not_make_a_forgotten_contact_readable_again(app: App) -> None:
    ada, _ = _ada_with_a_history(app)
    ContactBook(app).forget(ada)

    # A reply synced after forgetting still carries their address: it must not be kept.
    app.journal.record(
        ReplyReceived(
            contact_id=ada,
            message_id="<late@them>",
            account_id="acc",
            received_at=datetime(2026, 3, 4, tzinfo=UTC),
            from_address=EMAIL,
            subject="Re: " + SUBJECT,
            excerpt=f"Best, {NAME}",
        )
    )
    app.keyring.forget_cache()  # as another process would read it

    (late,) = [d for d in app.journal.contact_history(ada) if d.stored.type == "reply.received"]
    assert isinstance(late.event, ReplyReceived)
    assert late.event.from_address is None
    assert late.event.excerpt is None


def test_the_database_holds_no_trace_in_clear(app: App, db_url: str) -> None:
    ada, _ = _ada_with_a_history(app)
    ContactBook(app).all()  # the views hold Ada in clear before forgetting

    ContactBook(app).forget(ada)

    if db_url.startswith("sqlite"):
        path = Path(sa.make_url(db_url).database or "")
        files = [f for f in (path, Path(f"{path}-wal")) if f.exists()]
        assert path in files
        for file in files:
            data = file.read_bytes()
            for secret in SECRETS:
                assert secret.encode() not in data, f"{secret!r} in {file.name}"
        return
    with app.engine.connect() as conn:
        for table in ("events", "pipeline", "drafts", "meetings", "referrals", "contact_keys"):
            rows = conn.exec_driver_sql(f"SELECT t::text FROM {table} t").scalars().all()
            for secret in SECRETS:
                assert not any(secret in r for r in rows), f"{secret!r} in {table}"
    # The live views no longer carry her either.
    assert all(r.name != NAME for r in app.projector.rows(ContactRow))


def _crash(*_args: object, **_kwargs: object) -> None:
    raise OSError("disk full")


def test_an_interrupted_forget_can_be_run_again(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    ada, _ = _ada_with_a_history(app)
    book = ContactBook(app)

    with monkeypatch.context() as patched:
        patched.setattr(app.journal, "record_all", _crash)
        with pytest.raises(OSError, match="disk full"):
            book.forget(EMAIL)

    # Whatever was done is on the side of forgetting, and the command can be repeated.
    assert all(d.forgotten for d in app.journal.contact_history(ada) if d.event.PERSONAL)
    book.forget(ada)
    assert ada not in {c.contact_id for c in book.all()}
    row = next(r for r in book.all(include_forgotten=True) if r.contact_id == ada)
    assert (row.name, row.emails, row.stage) == (None, [], "forgotten")


def test_forget_interrupted_before_the_rebuild_finishes_by_id(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada, _ = _ada_with_a_history(app)
    book = ContactBook(app)
    with monkeypatch.context() as patched:
        patched.setattr(app.projector, "rebuild", _crash)
        with pytest.raises(OSError, match="disk full"):
            book.forget(EMAIL)
    count = len(_event_ids(app))

    with pytest.raises(UnknownContact):
        book.forget(EMAIL)  # by address she is gone already
    book.forget(ada)

    assert len(_event_ids(app)) == count  # nothing recorded twice
    (draft,) = app.projector.rows(DraftRow)
    assert (draft.subject, draft.to) == (None, None)

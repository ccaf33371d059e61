"""Projections: catching up bit by bit gives exactly what a rebuild gives, applied once each."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from events.clock import ManualClock
from events.codec import Codec
from events.ids import new_id
from events.journal import Journal
from events.keyring import Keyring
from events.keyring import metadata as keys_metadata
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow, next_step
from events.projections.projector import Projector, default_projections
from events.projections.tables import metadata as views_metadata
from events.store import EventStore
from events.store import metadata as log_metadata
from events.types import (
    DRAFT_KINDS,
    SENT_FOR_KIND,
    AccountConnected,
    AccountNeedsReconnect,
    AccountRemoved,
    AccountSyncFailed,
    ConfirmationAskDrafted,
    ContactAdded,
    ContactForgotten,
    ContactUpdated,
    DeclineThanksDrafted,
    DraftDiscarded,
    DraftUpdated,
    Event,
    KeepInTouchDrafted,
    MeetingCancelled,
    MeetingConfirmed,
    MeetingDeclined,
    MeetingMet,
    MeetingNoShow,
    MeetingRescheduled,
    MeetingScheduled,
    NoResponse,
    NotesRecorded,
    NudgeDrafted,
    OutreachDrafted,
    ReachOutRequested,
    ReferrerThanksDrafted,
    ReplyKind,
    ReplyReceived,
    SyncCursorAdvanced,
    ThankYouDrafted,
    TimesOffered,
)
from worker.domain.settings import Policy
from worker.services.dating import dater_for

MASTER = bytes(range(32))
#: The worker's dater: catch-up and rebuild must agree on the due moments too.
DATER = dater_for(Policy())
DRAFT_CLASSES = {
    "outreach": OutreachDrafted,
    "nudge": NudgeDrafted,
    "thank_you": ThankYouDrafted,
    "referrer_thanks": ReferrerThanksDrafted,
    "keep_in_touch": KeepInTouchDrafted,
    "propose_times": TimesOffered,
    "confirmation_ask": ConfirmationAskDrafted,
    "decline_thanks": DeclineThanksDrafted,
}
assert set(DRAFT_CLASSES) == set(DRAFT_KINDS.values())


@dataclass
class Views:
    """Everything opened on one database: the log, keys, codec, journal, projector."""

    engine: Engine
    store: EventStore
    clock: ManualClock
    keyring: Keyring
    journal: Journal
    projector: Projector

    def fresh_projector(self, *, open_everything: bool = False) -> Projector:
        """A second projector with its own (cold) keyring, as another process would have.

        With `open_everything`, its projections get every personal field opened, not
        only those of the types they declare in `personal`.
        """
        codec = Codec(Keyring(self.engine, MASTER))
        projections = default_projections()
        if open_everything:
            for projection in projections:
                projection.personal = None
        return Projector(self.engine, self.store, codec, projections, dater=DATER)

    def snapshot(self, projector: Projector | None = None) -> dict[str, list[Any]]:
        p = projector or self.projector
        out: dict[str, list[Any]] = {}
        for projection in p.projections:
            rows = p.rows(projection.row_type)
            out[projection.name] = sorted(rows, key=lambda r: getattr(r, r.KEY))
        return out


def open_views(engine: Engine, store: EventStore, clock: ManualClock) -> Views:
    keyring = Keyring(engine, MASTER)
    keyring.create_schema()
    codec = Codec(keyring)
    projector = Projector(engine, store, codec, dater=DATER)
    projector.create_schema()
    return Views(engine, store, clock, keyring, Journal(store, codec, clock), projector)


def reset_database(engine: Engine, store: EventStore) -> None:
    """Drop and recreate every table, so each hypothesis example starts from an empty log."""
    for metadata in (views_metadata, keys_metadata, log_metadata):
        metadata.drop_all(engine)
    store.create_schema()


@pytest.fixture
def views(engine: Engine, store: EventStore, clock: ManualClock) -> Views:
    return open_views(engine, store, clock)


# --- random valid histories ---------------------------------------------------------

OPS = (
    "add",
    "add",
    "update",
    "reach_out",
    "draft",
    "draft",
    "draft_update",
    "draft_discard",
    "send",
    "send",
    "reply",
    "reply",
    "no_response",
    "schedule",
    "reschedule",
    "confirm",
    "cancel",
    "decline",
    "met",
    "no_show",
    "notes",
    "referrer_thanks",
    "forget",
    "account",
)
REPLY_KINDS: tuple[ReplyKind, ...] = ("reply", "out_of_office", "auto_reply", "bounce")

Op = tuple[str, int, int]
ops_strategy = st.lists(
    # Few contacts, many steps each: long lifecycles rather than many one-event contacts.
    st.tuples(st.sampled_from(OPS), st.integers(0, 4), st.integers(0, 40)),
    min_size=20,  # hypothesis keeps lists short otherwise; lifecycles need length
    max_size=60,
)


@dataclass
class History:
    """Turns drawn operations into a plausible log: events only about contacts that exist,
    drafts and meetings that exist, and nothing about a contact after it was forgotten."""

    clock: ManualClock
    contacts: list[str] = field(default_factory=list)
    forgotten: set[str] = field(default_factory=set)
    referrals: list[tuple[str, str]] = field(default_factory=list)  # (referred, referrer)
    drafts: list[tuple[str, str, str]] = field(default_factory=list)  # (draft, contact, kind)
    meetings: list[tuple[str, str]] = field(default_factory=list)  # (meeting, contact)
    nudges: dict[str, int] = field(default_factory=dict)
    genuine_replies: set[str] = field(default_factory=set)
    settled: set[str] = field(default_factory=set)  # drafts sent or discarded
    counter: int = 0

    def _next(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _live(self, i: int) -> str | None:
        live = [c for c in self.contacts if c not in self.forgotten]
        return live[i % len(live)] if live else None

    def _now(self) -> datetime:
        return self.clock.now()

    def events(self, op: Op) -> list[Event]:
        kind, i, j = op
        if kind == "account":
            return [self._account(i, j)]
        if kind == "add" or not self.contacts:
            return [self._add(i, j)]
        cid = self._live(i)
        if cid is None:
            return []
        handler = getattr(self, f"_{kind}")
        result: list[Event] = handler(cid, j)
        return result

    def _account(self, i: int, j: int) -> Event:
        aid = f"acc{i % 2}"
        step = j % 5
        if step == 0:
            return AccountConnected(
                account_id=aid, provider="sandbox", email=f"me{i}@example.org", time_zone="UTC"
            )
        if step == 1:
            return SyncCursorAdvanced(account_id=aid, resource="mail", cursor=str(j))
        if step == 2:
            return AccountNeedsReconnect(account_id=aid, reason="token revoked", command="c")
        if step == 3:
            return AccountSyncFailed(account_id=aid, resource="calendar", error="HTTP 500")
        return AccountRemoved(account_id=aid)

    def _add(self, i: int, j: int) -> Event:
        cid = self._next("c")
        referrer = self._live(j) if self.contacts and i % 3 == 0 else None
        if referrer is not None:
            self.referrals.append((cid, referrer))
        self.contacts.append(cid)
        return ContactAdded(
            contact_id=cid,
            name=f"Person {cid}",
            emails=[f"{cid}@example.org"] if i % 4 else [],
            company="Analytical Engines" if j % 2 else None,
            referred_by=referrer,
            source="referral" if referrer else "manual",
        )

    def _update(self, cid: str, j: int) -> list[Event]:
        return [ContactUpdated(contact_id=cid, role=f"role {j}", emails=[f"{cid}.{j}@example.org"])]

    def _reach_out(self, cid: str, j: int) -> list[Event]:
        return [ReachOutRequested(contact_id=cid)]

    def _draft(self, cid: str, j: int) -> list[Event]:
        kind = list(DRAFT_CLASSES)[j % len(DRAFT_CLASSES)]
        did = self._next("d")
        extra: dict[str, Any] = {}
        if kind == "nudge":
            extra["nudge_number"] = min(self.nudges.get(cid, 0) + 1, 2)
        if kind == "referrer_thanks":
            return self._referrer_thanks(cid, j)
        if kind == "propose_times":
            extra["expires_at"] = datetime(2026, 3, 20, tzinfo=UTC)
            extra["starts"] = ["2026-03-10T14:00:00+00:00"]
        self.drafts.append((did, cid, kind))
        return [
            DRAFT_CLASSES[kind](
                contact_id=cid,
                draft_id=did,
                account_id="acc",
                provider_draft_id=f"p-{did}",
                message_id=f"<{did}@outreach>",
                thread_id=f"t-{cid}",
                subject=f"{kind} for {cid}",
                to=f"{cid}@example.org",
                **extra,
            )
        ]

    def _referrer_thanks(self, cid: str, j: int) -> list[Event]:
        pairs = [
            (a, b) for a, b in self.referrals if a not in self.forgotten and b not in self.forgotten
        ]
        if not pairs:
            return []
        referred, referrer = pairs[j % len(pairs)]
        did = self._next("d")
        if j % 2:
            sent = SENT_FOR_KIND["referrer_thanks"](
                contact_id=referrer,
                message_id=f"<{did}@outreach>",
                account_id="acc",
                sent_at=self._now(),
                about_contact_id=referred,  # type: ignore[call-arg]
            )
            return [sent]
        self.drafts.append((did, referrer, "referrer_thanks"))
        return [
            ReferrerThanksDrafted(
                contact_id=referrer,
                draft_id=did,
                account_id="acc",
                provider_draft_id=f"p-{did}",
                message_id=f"<{did}@outreach>",
                subject=f"thanks for introducing {referred}",
                to=f"{referrer}@example.org",
                about_contact_id=referred,
            )
        ]

    def _own_drafts(self, cid: str) -> list[tuple[str, str, str]]:
        return [d for d in self.drafts if d[1] == cid]

    def _draft_update(self, cid: str, j: int) -> list[Event]:
        own = self._own_drafts(cid)
        if not own:
            return []
        did = own[j % len(own)][0]
        return [
            DraftUpdated(
                contact_id=cid, draft_id=did, provider_draft_id=f"p2-{did}", subject=f"edit {j}"
            )
        ]

    def _draft_discard(self, cid: str, j: int) -> list[Event]:
        own = self._own_drafts(cid)
        if not own:
            return []
        did = own[j % len(own)][0]
        self.settled.add(did)
        return [DraftDiscarded(contact_id=cid, draft_id=did, reason="user")]

    def _send(self, cid: str, j: int) -> list[Event]:
        own = self._own_drafts(cid)
        if own and j % 3:
            did: str | None
            did, _, kind = own[j % len(own)]
            self.settled.add(did)
        else:  # sent from the mail client, without a draft of ours
            did, kind = None, ("outreach", "nudge", "thank_you", "keep_in_touch")[j % 4]
        extra: dict[str, Any] = {}
        if kind == "nudge":
            self.nudges[cid] = min(self.nudges.get(cid, 0) + 1, 2)
            extra["nudge_number"] = self.nudges[cid]
        if kind == "referrer_thanks":
            extra["about_contact_id"] = next((a for a, b in self.referrals if b == cid), "")
        return [
            SENT_FOR_KIND[kind](  # type: ignore[index]
                contact_id=cid,
                message_id=f"<sent{self._next('s')}@outreach>",
                account_id="acc",
                thread_id=f"t-{cid}",
                draft_id=did,
                sent_at=self._now() - timedelta(minutes=j),
                subject="Re: a short conversation",
                **extra,
            )
        ]

    def _reply(self, cid: str, j: int) -> list[Event]:
        kind = REPLY_KINDS[j % len(REPLY_KINDS)]
        if kind == "reply":
            self.genuine_replies.add(cid)
        return [
            ReplyReceived(
                contact_id=cid,
                message_id=f"<r{self._next('r')}@them>",
                account_id="acc",
                thread_id=f"t-{cid}",
                received_at=self._now(),
                kind=kind,
                auto_reply=kind != "reply",
                return_date=date(2026, 4, 1 + j % 28) if kind == "out_of_office" else None,
                from_address=f"{cid}@example.org",
                subject="Re: a short conversation",
                excerpt="Happy to talk" if kind == "reply" else "I am away",
            )
        ]

    def _no_response(self, cid: str, j: int) -> list[Event]:
        return [NoResponse(contact_id=cid)]

    def _schedule(self, cid: str, j: int) -> list[Event]:
        mid = self._next("m")
        self.meetings.append((mid, cid))
        start = self._now() + timedelta(days=2, hours=j)
        return [
            MeetingScheduled(
                contact_id=cid,
                meeting_id=mid,
                account_id="acc",
                provider_event_id=f"ev-{mid}",
                start=start,
                end=start + timedelta(minutes=30),
                time_zone="Europe/Berlin",
                place="Café Einstein" if j % 2 else "",
                # A video call whose link the calendar is still making.
                link_pending=j % 4 == 2,
            )
        ]

    def _meeting(self, cid: str, j: int) -> str | None:
        own = [m for m, c in self.meetings if c == cid]
        return own[j % len(own)] if own else None

    def _reschedule(self, cid: str, j: int) -> list[Event]:
        mid = self._meeting(cid, j)
        if mid is None:
            return []
        start = self._now() + timedelta(days=3, hours=j)
        return [
            MeetingRescheduled(
                contact_id=cid,
                meeting_id=mid,
                start=start,
                end=start + timedelta(minutes=45),
                time_zone="America/New_York",
                place=f"Room {j}",
            )
        ]

    def _confirm(self, cid: str, j: int) -> list[Event]:
        mid = self._meeting(cid, j)
        if mid is None:
            return []
        return [
            MeetingConfirmed(
                contact_id=cid,
                meeting_id=mid,
                message_id=f"<conf-{mid}-{j}@outreach>",
                for_start=self._now() + timedelta(days=1),
                sent_at=self._now(),
            )
        ]

    def _status(self, cls: type[Any], cid: str, j: int) -> list[Event]:
        mid = self._meeting(cid, j)
        return [] if mid is None else [cls(contact_id=cid, meeting_id=mid)]

    def _cancel(self, cid: str, j: int) -> list[Event]:
        mid = self._meeting(cid, j)
        if mid is None:
            return []
        return [MeetingCancelled(contact_id=cid, meeting_id=mid, by="contact" if j % 2 else "user")]

    def _decline(self, cid: str, j: int) -> list[Event]:
        return self._status(MeetingDeclined, cid, j)

    def _met(self, cid: str, j: int) -> list[Event]:
        return self._status(MeetingMet, cid, j)

    def _no_show(self, cid: str, j: int) -> list[Event]:
        return self._status(MeetingNoShow, cid, j)

    def _notes(self, cid: str, j: int) -> list[Event]:
        return [
            NotesRecorded(
                contact_id=cid,
                meeting_id=self._meeting(cid, j),
                text="Talk to Joan in logistics",
                referrals=[{"name": "Joan Clarke", "email": None}],
            )
        ]

    def _forget(self, cid: str, j: int) -> list[Event]:
        self.forgotten.add(cid)
        # As ContactBook.forget does: only drafts still pending are discarded.
        discards: list[Event] = [
            DraftDiscarded(contact_id=cid, draft_id=d, reason="contact_forgotten")
            for d, _, _ in self._own_drafts(cid)
            if d not in self.settled
        ]
        return [*discards, ContactForgotten(contact_id=cid)]


def replay(views: Views, ops: list[Op], chunks: list[int]) -> History:
    """Record the history in chunks, catching up after each; destroy keys as forget does."""
    history = History(views.clock)
    pending = list(ops)
    sizes = iter(chunks)
    while pending:
        size = next(sizes, len(pending))
        batch, pending = pending[:size], pending[size:]
        shredded: list[str] = []
        for op in batch:
            views.clock.advance(timedelta(hours=7))
            for event in history.events(op):
                views.journal.record(event)
                if isinstance(event, ContactForgotten):
                    shredded.append(event.contact_id)
        for cid in shredded:
            views.keyring.forget(cid)
        views.projector.catch_up()
    return history


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=ops_strategy, chunks=st.lists(st.integers(1, 8), max_size=30))
# A sent draft, then forgetting in a later chunk: the draft row must lose its subject too.
@example(ops=[("add", 1, 1), ("draft", 0, 0), ("send", 0, 1), ("forget", 0, 0)], chunks=[3, 1])
def test_catching_up_in_chunks_equals_a_rebuild(
    engine: Engine, store: EventStore, clock: ManualClock, ops: list[Op], chunks: list[int]
) -> None:
    reset_database(engine, store)
    views = open_views(engine, store, clock)

    history = replay(views, ops, chunks)

    head = store.head()
    incremental = views.snapshot()
    for p in views.projector.projections:
        assert views.projector.checkpoint(p.name) == head
    # Nothing new: catching up again changes nothing.
    assert views.projector.catch_up() == 0
    assert views.snapshot() == incremental

    views.projector.rebuild()
    assert views.snapshot() == incremental
    other = views.fresh_projector()
    other.rebuild()
    assert views.snapshot(other) == incremental
    # Projections leave personal fields sealed on the types they do not declare as
    # reading them: opening everything must not change a single row.
    everything = views.fresh_projector(open_everything=True)
    everything.rebuild()
    assert views.snapshot(everything) == incremental

    # Stage rules that hold on any history.
    contacts = {r.contact_id: r for r in incremental["pipeline"]}
    assert set(contacts) == set(history.contacts)
    for cid, row in contacts.items():
        if cid not in history.genuine_replies:
            assert row.replied_at is None, f"{cid} counted an auto-reply as a reply"
            assert row.stage != "replied"
        if cid in history.forgotten:
            assert row.forgotten
            assert row.stage == "forgotten"
            assert row.name is None
            assert row.emails == []
            assert row.company is None
    assert {"pipeline", "meetings", "drafts", "referrals"} <= incremental.keys()
    for d in incremental["drafts"]:
        if d.contact_id in history.forgotten:
            assert d.subject is None
            assert d.to is None
            assert d.status != "pending"
    for m in incremental["meetings"]:
        if m.contact_id in history.forgotten:
            assert m.place is None


# --- applied exactly once under concurrency -----------------------------------------


def _busy_history(views: Views, contacts: int) -> None:
    """Per contact: added, outreach sent, two nudges drafted and one sent, a meeting moved twice."""
    history = History(views.clock)
    steps = (
        "add",
        "draft",
        "send",
        "draft",
        "send",
        "draft",
        "schedule",
        "reschedule",
        "reschedule",
    )
    picks = (1, 0, 1, 1, 1, 1, 0, 0, 0)  # which draft kind / which draft (see History)
    for n in range(contacts):
        for kind, j in zip(steps, picks, strict=True):
            for event in history.events((kind, 1 if kind == "add" else n, j)):
                views.journal.record(event)


def test_two_projectors_catching_up_at_once_apply_each_event_once(views: Views) -> None:
    writer_done = threading.Event()
    errors: list[BaseException] = []
    projectors = [views.fresh_projector() for _ in range(2)]

    def follow(p: Projector) -> None:
        try:
            while not writer_done.is_set():
                p.catch_up(retries=20)
            p.catch_up(retries=20)
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)

    threads = [threading.Thread(target=follow, args=(p,)) for p in projectors]
    for t in threads:
        t.start()
    try:
        _busy_history(views, contacts=12)
    finally:
        writer_done.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors
    head = views.store.head()
    for p in views.projector.projections:
        assert views.projector.checkpoint(p.name) == head

    incremental = views.snapshot()
    for row in incremental["pipeline"]:
        assert row.nudges_drafted == 2, row.contact_id
        assert row.nudges_sent == 1, row.contact_id
    for m in incremental["meetings"]:
        assert m.reschedules == 2, m.meeting_id
    views.projector.rebuild()
    assert views.snapshot() == incremental


def test_a_catch_up_that_loses_every_race_to_another_process_still_ends(views: Views) -> None:
    # A command's catch-up during a first sync: while it applies, a worker (another
    # process) catches up the same events first and a new page arrives, every time. The
    # command must still finish, not fail with "checkpoint moved".
    for n in range(3):
        views.journal.record(ContactAdded(contact_id=f"c{n}", name="Ada", emails=[]))
    worker = views.fresh_projector()
    worker.catch_up()
    raced: list[threading.Thread] = []
    worker_won: list[bool] = []

    def page() -> None:
        views.journal.record(ContactAdded(contact_id=new_id(), name="Bo", emails=[]))
        worker.catch_up(retries=20)
        views.journal.record(ContactAdded(contact_id=new_id(), name="Di", emails=[]))

    def worker_goes_first(views: Any, changed: Any) -> None:  # named as `Dater`'s
        # The worker goes ahead, unless this catch-up holds the lock it needs: then it
        # waits for it, as another process would.
        racer = threading.Thread(target=page)
        racer.start()
        racer.join(timeout=1)
        raced.append(racer)
        worker_won.append(not racer.is_alive())
        DATER(views, changed)

    command = Projector(views.engine, views.store, views.projector.codec, dater=worker_goes_first)
    views.journal.record(ContactAdded(contact_id="late", name="Cy", emails=[]))
    head = views.store.head()
    command.catch_up()
    for racer in raced:
        racer.join(timeout=30)
    if views.engine.dialect.name == "sqlite":
        assert any(worker_won), "the worker never went first: the test proves nothing"
    else:
        # PostgreSQL applies under row locks on the checkpoints: the worker waits its turn.
        assert not any(worker_won)
    for p in command.projections:
        assert command.checkpoint(p.name) >= head
    assert any(r.contact_id == "late" for r in command.rows(ContactRow))


# --- stage rules ----------------------------------------------------------------------


def _record(views: Views, *events: Event) -> None:
    for event in events:
        views.clock.advance(timedelta(hours=1))
        views.journal.record(event)
    views.projector.catch_up()


def _contact(views: Views, cid: str = "c1") -> ContactRow:
    return next(r for r in views.projector.rows(ContactRow) if r.contact_id == cid)


def _sent_to(views: Views, cid: str = "c1") -> None:
    _record(
        views,
        ContactAdded(contact_id=cid, name="Ada Lovelace", emails=["ada@example.org"]),
        ReachOutRequested(contact_id=cid),
        SENT_FOR_KIND["outreach"](
            contact_id=cid,
            message_id="<o1@outreach>",
            account_id="acc",
            thread_id="t1",
            sent_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        ),
    )


def _reply(kind: ReplyKind, **kw: Any) -> ReplyReceived:
    return ReplyReceived(
        contact_id="c1",
        message_id=f"<{kind}@them>",
        account_id="acc",
        thread_id="t1",
        received_at=datetime(2026, 3, 3, 8, 0, tzinfo=UTC),
        kind=kind,
        auto_reply=kind != "reply",
        **kw,
    )


def test_auto_replies_and_bounces_never_count_as_a_reply(views: Views) -> None:
    _sent_to(views)
    _record(views, _reply("auto_reply"), _reply("bounce"))
    row = _contact(views)
    assert row.stage == "sent"
    assert row.replied_at is None
    assert row.bounced


def test_out_of_office_keeps_the_return_date_until_a_real_reply(views: Views) -> None:
    _sent_to(views)
    _record(views, _reply("out_of_office", return_date=date(2026, 3, 16)))
    row = _contact(views)
    assert row.stage == "sent"
    assert row.out_of_office_until == "2026-03-16"
    # What the pipeline tells the user: the day as people write it.
    assert next_step(row) == "away until Monday 16 March; nudge after"

    _record(views, _reply("reply"))
    row = _contact(views)
    assert row.stage == "replied"
    assert row.out_of_office_until is None


def test_cancelled_after_confirmation(views: Views) -> None:
    _sent_to(views)
    start = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    _record(
        views,
        _reply("reply"),
        MeetingScheduled(
            contact_id="c1",
            meeting_id="m1",
            account_id="acc",
            provider_event_id="ev1",
            start=start,
            end=start + timedelta(minutes=30),
            time_zone="Europe/Berlin",
        ),
        MeetingConfirmed(
            contact_id="c1",
            meeting_id="m1",
            message_id="<c@o>",
            for_start=start,
            sent_at=start - timedelta(days=1),
        ),
    )
    assert _contact(views).stage == "confirmed"
    _record(views, MeetingCancelled(contact_id="c1", meeting_id="m1", by="contact"))

    assert _contact(views).stage == "cancelled"
    (meeting,) = views.projector.rows(MeetingRow)
    assert meeting.status == "cancelled"
    assert meeting.confirmed_for_start == start.isoformat()


def test_forget_wipes_personal_fields_from_every_view(views: Views) -> None:
    _sent_to(views)
    start = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    _record(
        views,
        MeetingScheduled(
            contact_id="c1",
            meeting_id="m1",
            account_id="acc",
            provider_event_id="ev1",
            start=start,
            end=start + timedelta(minutes=30),
            time_zone="Europe/Berlin",
            place="Ada's office, 12 St James's Square",
        ),
        ThankYouDrafted(
            contact_id="c1",
            draft_id="d1",
            account_id="acc",
            provider_draft_id="p1",
            message_id="<d1@o>",
            subject="Thank you, Ada",
            to="ada@example.org",
        ),
    )
    # Forgotten in a later catch-up than the one that wrote the rows it must wipe.
    views.projector.catch_up()
    views.journal.record(ContactForgotten(contact_id="c1"))
    views.keyring.forget("c1")
    views.projector.catch_up()

    incremental = views.snapshot()
    row = _contact(views)
    assert (row.name, row.emails, row.stage, row.forgotten) == (None, [], "forgotten", True)
    (meeting,) = incremental["meetings"]
    assert meeting.place is None
    (draft,) = incremental["drafts"]
    assert (draft.subject, draft.to) == (None, None)
    views.projector.rebuild()
    assert views.snapshot() == incremental


# --- views whose table shape changed between releases -------------------------------


def test_a_view_table_of_an_older_shape_is_rebuilt_from_the_log(views: Views) -> None:
    # An older release's tables: the pipeline had a column since removed, the meetings
    # table lacked one added since. Opening the views again must not fail on either,
    # and must show exactly what the log says.
    _busy_history(views, 4)
    views.projector.catch_up()
    expected = views.snapshot()
    with views.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE pipeline ADD COLUMN retired_field TEXT")
        conn.exec_driver_sql("ALTER TABLE meetings DROP COLUMN place")
        conn.exec_driver_sql("DELETE FROM pipeline")  # stale rows must not survive either

    reopened = open_views(views.engine, views.store, views.clock)

    assert reopened.snapshot() == expected
    columns = {c["name"] for c in sa.inspect(views.engine).get_columns("pipeline")}
    assert "retired_field" not in columns
    assert "place" in {c["name"] for c in sa.inspect(views.engine).get_columns("meetings")}
    # Caught up to the head: nothing left to apply, so nothing applied twice.
    assert reopened.projector.catch_up() == 0

"""The page's lists as SQL reads them, on SQLite and PostgreSQL: the board's search finds
what the folded text holds ("jose" finds "José", an address, a company) and nothing else,
its columns count everyone and show the most recently moved first; Today's introductions
are counted and paged by name; Progress's weeks and median counted in SQL agree with
every person's row."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta, timezone

from events.clock import ManualClock
from events.projections.pipeline import ContactRow
from events.types import AccountConnected, MeetingMet, MeetingScheduled, NotesRecorded
from tests.harness.histories import generate, quiet_moment
from worker.services.app import App
from worker.services.board import board
from worker.services.contacts import ContactBook, ContactChanges, NewContact
from worker.services.progress import progress
from worker.services.today import coming_meetings, introductions, needing_notes


def _found(app: App, query: str) -> set[str]:
    return {c.name for col in board(app, query).columns for c in col.cards}


def test_search_folds_accents_and_case_and_reads_every_field(book: ContactBook) -> None:
    book.add(NewContact(name="José Álvarez", emails=["jose@alvarez.example"]))
    book.add(NewContact(name="Jose Smith", company="Acme"))
    book.add(NewContact(name="Zoë Brown", company="Müller & Söhne", role="Straße planner"))
    book.add(NewContact(name="Ann Lee", company="Bücher Café", emails=["ann@books.example"]))
    book.add(NewContact(name="Kim 100% Park", role="under_score"))
    app = book.app
    assert _found(app, "jose") == {"José Álvarez", "Jose Smith"}
    assert _found(app, "JOSÉ álvarez") == {"José Álvarez"}
    assert _found(app, "alvarez.example") == {"José Álvarez"}
    assert _found(app, "muller") == {"Zoë Brown"}
    assert _found(app, "strasse zoe") == {"Zoë Brown"}
    assert _found(app, "bucher cafe books") == {"Ann Lee"}
    assert _found(app, "acme smith") == {"Jose Smith"}
    assert _found(app, "100%") == {"Kim 100% Park"}
    assert _found(app, "r_s") == {"Kim 100% Park"}  # under_score, not any letter
    assert _found(app, "%") == {"Kim 100% Park"}
    assert _found(app, "nobody") == set()
    assert board(app, "jose").total == 2


def test_search_follows_edits_merges_and_forgetting(book: ContactBook) -> None:
    book.add(NewContact(name="Ada Lovelace", emails=["ada@analytical.example"]))
    book.add(NewContact(name="Ada King", emails=["ada.king@mail.example"]))
    app = book.app
    book.edit("Ada Lovelace", ContactChanges(company="Babbage & Co"))
    assert _found(app, "babbage") == {"Ada Lovelace"}
    book.merge("Ada Lovelace", "Ada King")
    # One person now, found by either address; the merged-away row is not a second card.
    assert _found(app, "mail.example") == {"Ada Lovelace"}
    assert _found(app, "ada") == {"Ada Lovelace"}
    book.forget("Ada Lovelace")
    assert _found(app, "babbage") == set()
    assert _found(app, "analytical") == set()


def test_columns_count_everyone_and_show_the_newest_first(
    book: ContactBook, clock: ManualClock
) -> None:
    for i in range(5):
        book.add(NewContact(name=f"Person {i}", emails=[f"p{i}@example.org"]))
        clock.advance(timedelta(minutes=1))
    closed = book.add(NewContact(name="Closed One"))
    book.close(closed.contact_id, "declined", "")
    shown = board(book.app, per_column=3)
    columns = {c.key: c for c in shown.columns}
    assert columns["to_write"].total == 5
    assert [c.name for c in columns["to_write"].cards] == ["Person 4", "Person 3", "Person 2"]
    assert [c.name for c in columns["closed"].cards] == ["Closed One"]
    assert shown.total == 6
    searched = {c.key: c for c in board(book.app, "person", per_column=2).columns}
    assert searched["to_write"].total == 5
    assert [c.name for c in searched["to_write"].cards] == ["Person 4", "Person 3"]


def test_introductions_are_counted_and_paged_by_name(book: ContactBook) -> None:
    grace = book.add(NewContact(name="Grace Hopper", emails=["grace@navy.example"]))
    names = ["bea Ortiz", "Álvaro Díaz", "Carl Weber", "Ada King", "Dan Lee"]
    for name in names:
        book.add(NewContact(name=name, referred_by=grace.contact_id))
    written = book.add(NewContact(name="Eve Stone", referred_by=grace.contact_id))
    book.close(written.contact_id, "not_now", "")  # closed: nothing to follow up
    first = introductions(book.app, 1, size=2)
    assert first.total == 5
    assert first.pages == 3
    assert [r.name for r in first.items] == ["Ada King", "bea Ortiz"]
    assert {r.referrer_name for r in first.items} == {"Grace Hopper"}
    assert [r.name for r in introductions(book.app, 2, size=2).items] == [
        "Carl Weber",
        "Dan Lee",
    ]
    last = introductions(book.app, 9, size=2)  # past the end: the last page
    assert last.number == 3
    assert [r.name for r in last.items] == ["Álvaro Díaz"]


def test_progress_counts_in_sql_what_the_rows_say(app: App, clock: ManualClock) -> None:
    app.journal.record(
        AccountConnected(
            account_id="bench", provider="sandbox", email="me@example.org", time_zone="UTC"
        )
    )
    day0 = clock.now()
    generate(app, clock, 120, account="bench")
    clock.set(quiet_moment(day0))
    shown = progress(app)
    # The same figures from every person's row, in Python.
    rows = [r for r in app.projector.rows(ContactRow) if not r.forgotten and not r.merged_into]
    first = datetime.fromisoformat(shown.weeks[0].starts).replace(tzinfo=UTC)
    weekly = [[0, 0, 0] for _ in shown.weeks]
    for r in rows:
        for i, at in enumerate((r.outreach_sent_at, r.replied_at, r.met_at)):
            index = (datetime.fromisoformat(at) - first).days // 7 if at else -1
            if 0 <= index < len(weekly):
                weekly[index][i] += 1
    assert [[w.written, w.replies, w.meetings] for w in shown.weeks] == weekly
    assert sum(sum(w) for w in weekly) > 0
    delays = [
        (datetime.fromisoformat(r.replied_at) - datetime.fromisoformat(r.outreach_sent_at))
        / timedelta(days=1)
        for r in rows
        if r.outreach_sent_at and r.replied_at
    ]
    assert delays
    assert shown.median_days_to_reply == round(statistics.median(delays), 1)
    assert shown.reply_rate == len(delays) / sum(1 for r in rows if r.outreach_sent_at)


def _meeting(app: App, contact_id: str, name: str, start: datetime) -> str:
    meeting_id = f"m-{name}"
    app.journal.record(
        MeetingScheduled(
            contact_id=contact_id,
            meeting_id=meeting_id,
            account_id="acct",
            provider_event_id=f"ev-{name}",
            start=start,
            end=start + timedelta(minutes=30),
            time_zone="America/New_York",
        )
    )
    return meeting_id


def test_todays_meetings_by_time_whatever_offset_they_were_written_in(
    book: ContactBook, clock: ManualClock
) -> None:
    app = book.app
    now = clock.now()
    new_york = timezone(timedelta(hours=-5))
    people = {n: book.add(NewContact(name=n, emails=[f"{n}@example.org"])) for n in "abcdef"}
    # Written in New York's offset: within the week ahead only by the instant they name.
    _meeting(app, people["a"].contact_id, "a", (now + timedelta(days=2)).astimezone(new_york))
    _meeting(
        app, people["b"].contact_id, "b", (now + timedelta(days=7, hours=1)).astimezone(new_york)
    )
    _meeting(app, people["c"].contact_id, "c", now + timedelta(hours=3))
    # Held in the last 30 days: notes wanted unless written since; older ones are not asked.
    for name, days_ago in (("d", 2), ("e", 1), ("f", 31)):
        mid = _meeting(
            app,
            people[name].contact_id,
            name,
            (now - timedelta(days=days_ago)).astimezone(new_york),
        )
        app.journal.record(MeetingMet(contact_id=people[name].contact_id, meeting_id=mid))
    app.journal.record(NotesRecorded(contact_id=people["e"].contact_id, text="Good talk"))
    app.projector.catch_up()
    assert [m.contact_name for m in coming_meetings(app)] == ["c", "a"]
    notes = needing_notes(app, 1, size=5)
    assert (notes.total, [m.contact_name for m in notes.items]) == (1, ["d"])

"""Realistic histories in bulk, for benchmarks: contacts written to over twelve weeks, of
whom some reply, meet, are thanked, write notes and introduce others. Deterministic."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

from events.clock import ManualClock
from events.entry import Entry
from events.ids import derive_id
from events.types import (
    ContactAdded,
    ContactThanked,
    Event,
    MeetingMet,
    MeetingScheduled,
    NotesRecorded,
    OutreachDrafted,
    OutreachSent,
    ReachOutRequested,
    ReplyReceived,
)
from worker.services.app import App

FIRST = ("Ada", "Grace", "Alan", "Katherine", "José", "Aiko", "Lena", "Raj", "Priya", "Daniel")
LAST = ("Lovelace", "Hopper", "Turing", "Johnson", "Álvarez", "Tanaka", "Fischer", "Patel")
COMPANIES = ("Fabrikam, Inc.", "Contoso", "Tailspin", "Northwind", "Litware", "Adatum")


def _story(i: int, rng: random.Random, day0: datetime, account: str) -> list[tuple[int, Event]]:
    """One contact's events, each with the day (from `day0`) it happens on."""
    cid = derive_id("history", str(i))
    start = rng.randrange(0, 80)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
    referred = derive_id("history", str(rng.randrange(i))) if i and rng.random() < 0.1 else None
    out: list[tuple[int, Event]] = [
        (
            start,
            ContactAdded(
                contact_id=cid,
                name=name,
                emails=[f"person{i}@example.org"],
                company=rng.choice(COMPANIES),
                role="Engineer",
                how_we_know="We studied at the same school",
                referred_by=referred,
                source="referral" if referred else "csv",
            ),
        )
    ]
    if rng.random() < 0.3:
        return out
    draft = derive_id("history-draft", str(i))
    message = f"<{draft}@example.org>"
    out += [
        (start, ReachOutRequested(contact_id=cid)),
        (
            start + 1,
            OutreachDrafted(
                contact_id=cid,
                account_id=account,
                draft_id=draft,
                provider_draft_id=f"r{i}",
                message_id=message,
                subject="A question about your path",
                to=f"person{i}@example.org",
            ),
        ),
        (
            start + 1,
            OutreachSent(
                contact_id=cid,
                account_id=account,
                message_id=message,
                draft_id=draft,
                sent_at=day0 + timedelta(days=start + 1),
                subject="A question about your path",
            ),
        ),
    ]
    if rng.random() < 0.45:
        return out
    replied = start + 1 + rng.randrange(1, 9)
    out.append(
        (
            replied,
            ReplyReceived(
                contact_id=cid,
                account_id=account,
                message_id=f"<reply{i}@example.org>",
                received_at=day0 + timedelta(days=replied),
                subject="Re: A question about your path",
                excerpt="Happy to talk, how about Thursday?",
            ),
        )
    )
    if rng.random() < 0.4:
        return out
    meeting = derive_id("history-meeting", str(i))
    met = replied + rng.randrange(2, 8)
    begins = day0 + timedelta(days=met, hours=15)
    out += [
        (
            replied + 1,
            MeetingScheduled(
                contact_id=cid,
                meeting_id=meeting,
                account_id=account,
                provider_event_id=f"e{i}",
                start=begins,
                end=begins + timedelta(minutes=30),
                time_zone="Europe/London",
            ),
        ),
        (met, MeetingMet(contact_id=cid, meeting_id=meeting)),
        (met, NotesRecorded(contact_id=cid, meeting_id=meeting, text="Ask about the team.")),
        (
            met + 1,
            ContactThanked(
                contact_id=cid,
                account_id=account,
                message_id=f"<thanks{i}@example.org>",
                sent_at=day0 + timedelta(days=met + 1),
                subject="Thank you",
            ),
        ),
    ]
    return out


def generate(app: App, clock: ManualClock, contacts: int, *, account: str, seed: int = 7) -> int:
    """Record `contacts` histories day by day on `clock`; returns how many events."""
    rng = random.Random(seed)
    day0 = clock.now()
    by_day: dict[int, list[Event]] = defaultdict(list)
    for i in range(contacts):
        for day, event in _story(i, rng, day0, account):
            by_day[day].append(event)
    count = 0
    for day in sorted(by_day):
        clock.set(day0 + timedelta(days=day, hours=9))
        events = by_day[day]
        for chunk in range(0, len(events), 2000):
            app.journal.record_all([Entry(e) for e in events[chunk : chunk + 2000]])
        count += len(events)
    return count

"""Realistic histories in bulk, for benchmarks: the people a user chose to write to over
sixteen weeks, at every stage (imported and never written to, written to and nudged, given
up on, replied, offered times, met, thanked, kept in touch, closed), and the people their
notes named (referrals on top, some without an address yet). Deterministic.

The histories are played as a diligent worker would have left them: whatever came due
before the last day was done on its day (nudges, no-answer, confirmations, thanks, the
thanks to referrers, keep-in-touch notes, the daily summary), so at `quiet_moment` nothing
is due and a tick measures the cost of finding nothing to do.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from events.clock import ManualClock
from events.entry import Entry
from events.ids import derive_id
from events.types import (
    ContactAdded,
    ContactClosed,
    ContactThanked,
    Event,
    KeepInTouchDrafted,
    KeptInTouch,
    MeetingConfirmed,
    MeetingMet,
    MeetingScheduled,
    NoResponse,
    NotesRecorded,
    NudgeDrafted,
    NudgeSent,
    OutreachDrafted,
    OutreachSent,
    ReachOutRequested,
    ReferrerThanked,
    ReferrerThanksDrafted,
    ReplyReceived,
    SummarySent,
    ThankYouDrafted,
    TimesOffered,
    TimesOfferSent,
)
from worker.services.app import App

FIRST = ("Ada", "Grace", "Alan", "Katherine", "José", "Aiko", "Lena", "Raj", "Priya", "Daniel")
LAST = ("Lovelace", "Hopper", "Turing", "Johnson", "Álvarez", "Tanaka", "Fischer", "Patel")
COMPANIES = ("Fabrikam, Inc.", "Contoso", "Tailspin", "Northwind", "Litware", "Adatum")
#: Sixteen weeks of history; the default policy's cadences (nudges after 7 and 14 days,
#: keep in touch every 8 weeks) are what the diligent worker follows.
DAYS = 16 * 7
NUDGE_DAYS = (7, 14)
GIVE_UP_DAYS = 21
KEEP_IN_TOUCH_DAYS = 8 * 7


@dataclass
class _Person:
    """One contact's events by day, and the days of their real exchanges."""

    cid: str
    email: str | None
    events: list[tuple[int, Event]] = field(default_factory=list)
    exchanges: list[int] = field(default_factory=list)
    #: The first day they were thanked (for meeting, or for an introduction).
    thanked: int | None = None
    closed: bool = False


class _Builder:
    def __init__(self, rng: random.Random, day0: datetime, account: str, days: int) -> None:
        self.rng = rng
        self.day0 = day0
        self.account = account
        self.days = days
        self.people: dict[str, _Person] = {}
        self.count = 0

    def at(self, day: int) -> datetime:
        return self.day0 + timedelta(days=day)

    def add(self, person: _Person, day: int, event: Event) -> bool:
        """Record `event` on `day` unless that day is still to come; whether it was."""
        if day > self.days:
            return False
        person.events.append((day, event))
        return True

    def draft_and_send(
        self,
        p: _Person,
        day: int,
        drafted: type[Event],
        sent: type[Event],
        tag: str,
        *,
        sent_day: int | None = None,
        **extra: object,
    ) -> bool:
        """A draft of ours on `day`, sent on `sent_day` (the same day by default); whether
        the draft was made before the history ends."""
        draft = derive_id("history-draft", p.cid, tag)
        message = f"<{draft}@example.org>"
        common = {"contact_id": p.cid, "account_id": self.account}
        made = drafted(  # type: ignore[call-arg]
            **common,
            draft_id=draft,
            provider_draft_id=f"r-{draft[:12]}",
            message_id=message,
            subject="A note",
            to=p.email or "",
            **extra,
        )
        if not self.add(p, day, made):
            return False
        on = day if sent_day is None else sent_day
        kept = {k: v for k, v in extra.items() if k in _SENT_FIELDS[sent]}
        gone = sent(  # type: ignore[call-arg]
            **common,
            message_id=message,
            draft_id=draft,
            sent_at=self.at(on),
            subject="A note",
            **kept,
        )
        if self.add(p, on, gone) and sent is not TimesOfferSent:
            p.exchanges.append(on)  # offering times is not an exchange the cadence counts
        return True

    def person(self, key: str, day: int, *, referred_by: str | None, email: bool) -> _Person:
        n = len(self.people)
        cid = derive_id("history", key)
        p = _Person(cid=cid, email=f"person{n}@example.org" if email else None)
        self.people[cid] = p
        self.add(
            p,
            day,
            ContactAdded(
                contact_id=cid,
                name=f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)} {n}",
                emails=[p.email] if p.email else [],
                company=self.rng.choice(COMPANIES),
                role="Engineer",
                how_we_know="We studied at the same school",
                referred_by=referred_by,
                source="referral" if referred_by else "csv",
            ),
        )
        return p

    def conversation(self, p: _Person, start: int, depth: int) -> None:
        """From the first message on, as far as the days allow."""
        rng = self.rng
        # Most first messages leave the day they are drafted; some wait for review a day
        # or two (the stage "drafted" while they wait).
        sent = start + rng.choice((0, 0, 0, 1, 2))
        if not self.draft_and_send(
            p, start, OutreachDrafted, OutreachSent, "outreach", sent_day=sent
        ):
            return
        start = sent
        if start > self.days:
            return
        replied = start + rng.randrange(1, 25) if rng.random() < 0.55 else None
        for number, after in enumerate(NUDGE_DAYS, start=1):
            day = start + after
            if replied is not None and replied <= day:
                break
            self.draft_and_send(
                p, day, NudgeDrafted, NudgeSent, f"nudge{number}", nudge_number=number
            )
        else:
            if replied is None or replied > start + GIVE_UP_DAYS:
                self.add(p, start + GIVE_UP_DAYS, NoResponse(contact_id=p.cid))
                return
        if replied is None or not self.add(
            p,
            replied,
            ReplyReceived(
                contact_id=p.cid,
                account_id=self.account,
                message_id=f"<reply-{p.cid[:12]}@example.org>",
                received_at=self.at(replied),
                subject="Re: A note",
                excerpt="Happy to talk, how about Thursday?",
            ),
        ):
            return
        p.exchanges.append(replied)
        starts = [self.at(replied + d).replace(hour=15, minute=0).isoformat() for d in (2, 3, 4)]
        self.draft_and_send(
            p,
            replied,
            TimesOffered,
            TimesOfferSent,
            "times",
            starts=starts,
            expires_at=self.at(replied + 5),
        )
        if rng.random() < 0.05:
            self.add(p, replied, ContactClosed(contact_id=p.cid, outcome="not_now"))
            p.closed = True
            return
        if rng.random() < 0.4:
            return  # waiting for their answer to the times offered
        self.meeting(p, replied, depth)

    def meeting(self, p: _Person, replied: int, depth: int) -> None:
        rng = self.rng
        meeting = derive_id("history-meeting", p.cid)
        on = replied + rng.randrange(2, 8)
        begins = self.at(on).replace(hour=15, minute=0)
        self.add(
            p,
            replied + 1,
            MeetingScheduled(
                contact_id=p.cid,
                meeting_id=meeting,
                account_id=self.account,
                provider_event_id=f"e-{meeting[:12]}",
                start=begins,
                end=begins + timedelta(minutes=30),
                time_zone="Europe/London",
                place="The café on the corner",
            ),
        )
        self.add(
            p,
            on - 1,
            MeetingConfirmed(
                contact_id=p.cid,
                meeting_id=meeting,
                message_id=f"<confirm-{meeting[:12]}@example.org>",
                for_start=begins,
                sent_at=self.at(on - 1),
            ),
        )
        met = on + 1
        if not self.add(p, met, MeetingMet(contact_id=p.cid, meeting_id=meeting)):
            return
        p.exchanges.append(met)
        named = (
            [self.rng.randrange(1_000_000) for _ in range(rng.choice((1, 1, 2)))]
            if depth < 2 and rng.random() < 0.3
            else []
        )
        self.add(
            p,
            met,
            NotesRecorded(
                contact_id=p.cid,
                meeting_id=meeting,
                text="Ask about the team.",
                takeaway="Talk to the platform team.",
                referrals=[{"name": f"Referral {n}", "email": None} for n in named],
            ),
        )
        # The thanks leave the next day: the draft waits for review overnight.
        self.draft_and_send(
            p, met, ThankYouDrafted, ContactThanked, "thanks", sent_day=met + 1, meeting_id=meeting
        )
        if met + 1 <= self.days and p.thanked is None:
            p.thanked = met + 1
        referrer = self._referrer_of(p)
        if referrer is not None and referrer.email:
            sent = self.draft_and_send(
                referrer,
                met,
                ReferrerThanksDrafted,
                ReferrerThanked,
                f"referrer-{p.cid[:12]}",
                about_contact_id=p.cid,
            )
            if sent:
                referrer.thanked = met if referrer.thanked is None else min(referrer.thanked, met)
        for n in named:
            with_address = rng.random() < 0.8
            other = self.person(f"{p.cid}-{n}", met, referred_by=p.cid, email=with_address)
            self.referred_by[other.cid] = p.cid
            if with_address:
                # A referral's first message waits for the thanks to whoever named them.
                self.conversation(other, met + 1, depth + 1)

    referred_by: dict[str, str]

    def _referrer_of(self, p: _Person) -> _Person | None:
        by = self.referred_by.get(p.cid)
        return self.people.get(by) if by else None

    def keep_in_touch(self, p: _Person) -> None:
        """Every eight weeks after the last real exchange, once thanked (or thanked for an
        introduction); never for a contact closed."""
        if p.thanked is None or p.closed or not p.email:
            return
        day = p.thanked
        n = 0
        while True:
            last = max(d for d in p.exchanges if d <= day) if p.exchanges else day
            due = max(day, last + KEEP_IN_TOUCH_DAYS)
            later = [d for d in p.exchanges if last < d <= due]
            if later:
                day = later[-1]
                continue
            if due > self.days:
                return
            self.draft_and_send(p, due, KeepInTouchDrafted, KeptInTouch, f"kit{n}")
            n += 1
            day = due


_SENT_FIELDS: dict[type[Event], frozenset[str]] = {
    OutreachSent: frozenset(),
    NudgeSent: frozenset({"nudge_number"}),
    ContactThanked: frozenset({"meeting_id"}),
    ReferrerThanked: frozenset({"about_contact_id"}),
    KeptInTouch: frozenset(),
    TimesOfferSent: frozenset(),
}


def generate(
    app: App,
    clock: ManualClock,
    contacts: int,
    *,
    account: str,
    seed: int = 7,
    days: int = DAYS,
) -> int:
    """Record `contacts` chosen people's histories (and whom their notes named) day by day
    on `clock`, from its reading on; returns how many events. Leaves the clock at the last
    day; `quiet_moment(clock)` is a moment at which nothing is due."""
    rng = random.Random(seed)
    day0 = clock.now()
    b = _Builder(rng, day0, account, days)
    b.referred_by = {}
    for i in range(contacts):
        start = rng.randrange(0, days)
        chosen = rng.random() >= 0.3  # the rest were imported and never written to
        p = b.person(str(i), start, referred_by=None, email=True)
        if chosen:
            b.add(p, start, ReachOutRequested(contact_id=p.cid))
            b.conversation(p, start, 0)
    for p in b.people.values():
        b.keep_in_touch(p)
    by_day: dict[int, list[Event]] = defaultdict(list)
    for p in b.people.values():
        for day, event in sorted(p.events, key=lambda de: de[0]):
            by_day[day].append(event)
    for day in range(days + 1):
        # The daily summary went out every morning (nothing said it was not due).
        by_day[day].append(
            SummarySent(
                account_id=account,
                day=(day0 + timedelta(days=day)).date(),
                message_id=f"<summary-{day}@example.org>",
                sent_at=day0 + timedelta(days=day),
            )
        )
    count = 0
    for day in sorted(by_day):
        clock.set(day0 + timedelta(days=day))
        events = by_day[day]
        for chunk in range(0, len(events), 2000):
            app.journal.record_all([Entry(e) for e in events[chunk : chunk + 2000]])
        count += len(events)
    return count


def quiet_moment(day0: datetime, days: int = DAYS) -> datetime:
    """A minute after the last day's events: everything due by then was done."""
    return day0 + timedelta(days=days, minutes=1)


def last_day(day0: datetime, days: int = DAYS) -> date:
    return (day0 + timedelta(days=days)).date()

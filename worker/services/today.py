"""What waits for the user today: drafts to review (as they stand in the mailbox), meetings
coming up, meetings that need notes, open referrals and accounts to reconnect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

import sqlalchemy as sa

from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.projections.referrals import ReferralRow
from integrations.protocol import ProviderError
from worker.domain.wording import draft_kind_words
from worker.services.app import App
from worker.services.drafts import DraftReview, Outcome, editor_text
from worker.services.timeline import local_time

AHEAD = timedelta(days=7)
#: A meeting older than this no longer asks for notes (the page would nag forever).
NOTES_WITHIN = timedelta(days=30)
#: Stored times may carry any offset: SQL selects with this margin, Python decides.
MARGIN = timedelta(days=1)
#: How many of each list Today shows (a normal day's drafts: the daily outreach cap is
#: 5); the rest are a link away, a page at a time.
SHOWN = 5
#: A page of drafts or meetings needing notes (each shown with its form; each draft is
#: read back from the mailbox), and a page of a list of names.
PAGE = 10
LIST_PAGE = 50

T = TypeVar("T")


@dataclass(frozen=True)
class DraftText:
    subject: str
    body: str
    #: "mailbox": read back now; "gone": it left the Drafts folder (sent or deleted
    #: there); "unreadable": the mailbox did not answer.
    source: str
    #: What the etiquette check finds in the text as it is now.
    findings: list[str]


@dataclass(frozen=True)
class WaitingDraft:
    draft: DraftRow
    kind_words: str
    contact_name: str
    created: str
    text: DraftText


@dataclass(frozen=True)
class MeetingItem:
    meeting: MeetingRow
    contact_id: str
    contact_name: str
    when: str
    confirmed: bool


@dataclass(frozen=True)
class OpenReferral:
    contact_id: str
    name: str
    referrer_id: str
    referrer_name: str


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, how many the whole list holds, which page this is."""

    items: list[T]
    total: int
    #: 1-based.
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def more(self) -> int:
        """How many are not on this page or the ones before it."""
        return max(0, self.total - (self.number - 1) * self.size - len(self.items))


@dataclass(frozen=True)
class Today:
    drafts: Page[WaitingDraft]
    meetings: list[MeetingItem]
    needs_notes: Page[MeetingItem]
    referrals: Page[OpenReferral]
    reconnect: list[AccountRow]


def draft_text(review: DraftReview, draft: DraftRow) -> DraftText:
    """The draft as the mailbox holds it now (the user may have changed it there)."""
    try:
        current = review.current(draft)
    except ProviderError:
        return DraftText(draft.subject or "", "", "unreadable", [])
    if current is None:
        return DraftText(draft.subject or "", "", "gone", [])
    findings = review.findings(draft, current)
    return DraftText(current.subject, current.body, "mailbox", findings)


def _changed(current: DraftText, subject: str, body: str) -> bool:
    # A form sends a textarea's line ends as CRLF, and mail may store them so too.
    def text(s: str, b: str) -> str:
        return editor_text(s, b).replace("\r\n", "\n").strip()

    return text(subject, body) != text(current.subject, current.body)


def send_as_shown(
    review: DraftReview, draft: DraftRow, subject: str, body: str, *, anyway: bool = False
) -> Outcome:
    """Send from the page: what the user saw, and maybe changed there, is what is sent.

    A text changed on the page is saved to the mailbox first, then the draft is sent
    (refused, as `drafts approve` refuses, while the etiquette check finds something and
    the user did not choose to send it anyway)."""
    if _changed(draft_text(review, draft), subject, body):
        review.edit(draft, editor_text(subject, body))
        draft = review.resolve(draft.draft_id)
    return review.approve(draft, anyway=anyway)


def save_as_shown(review: DraftReview, draft: DraftRow, subject: str, body: str) -> Outcome:
    """Save the page's text to the mailbox draft (nothing when it is unchanged)."""
    if not _changed(draft_text(review, draft), subject, body):
        return Outcome(draft, "unchanged")
    return review.edit(draft, editor_text(subject, body))


def today(review: DraftReview, *, shown: int = SHOWN) -> Today:
    """The first `shown` of each list (the rest a page at a time by `waiting`,
    `needing_notes` and `introductions`), each read by index, key or time, and the
    meetings of the coming week."""
    app = review.app
    app.projector.catch_up()
    return Today(
        drafts=waiting(review, size=shown),
        meetings=coming_meetings(app),
        needs_notes=needing_notes(app, size=shown),
        referrals=introductions(app, size=shown),
        reconnect=app.projector.find(AccountRow, status="needs_reconnect"),
    )


def _number(number: int, total: int, size: int) -> int:
    """The page asked for, within the pages there are."""
    return min(max(1, number), max(1, -(-total // size)))


def _names(app: App, ids: set[str]) -> dict[str, str]:
    """Names of the people listed, by key (one indexed read of two columns)."""
    c = app.projector.columns(ContactRow)
    found = app.projector.select(
        sa.select(c.contact_id, c.name).where(c.contact_id.in_(sorted(ids)))
    )
    return {cid: name or "(no name)" for cid, name in found}


def waiting(review: DraftReview, number: int = 1, *, size: int = PAGE) -> Page[WaitingDraft]:
    """The drafts waiting for review, oldest first, a page at a time: each shown is read
    back from the mailbox, so a page holds few."""
    app = review.app
    zone = app.settings.policy.time_zone
    d = app.projector.columns(DraftRow)
    pending = d.status == "pending"
    [(total,)] = app.projector.select(sa.select(sa.func.count()).where(pending))
    number = _number(number, total, size)
    rows = app.projector.query(
        DraftRow,
        pending,
        order_by=(d.created_at, d.draft_id),
        limit=size,
        offset=(number - 1) * size,
    )
    names = _names(app, {r.contact_id for r in rows})
    items = [
        WaitingDraft(
            draft=r,
            kind_words=draft_kind_words(r.kind).capitalize(),
            contact_name=names.get(r.contact_id, "(unknown)"),
            created=local_time(datetime.fromisoformat(r.created_at), zone),
            text=draft_text(review, r),
        )
        for r in rows
    ]
    return Page(items, total, number, size)


def _item(m: MeetingRow, names: dict[str, str], zone: str) -> MeetingItem:
    return MeetingItem(
        meeting=m,
        contact_id=m.contact_id,
        contact_name=names.get(m.contact_id, "(unknown)"),
        when=local_time(datetime.fromisoformat(m.start), zone),
        confirmed=m.confirmed_for_start == m.start,
    )


def coming_meetings(app: App) -> list[MeetingItem]:
    """The meetings planned in the coming week (bounded by the user's own week)."""
    now = app.clock.now()
    m = app.projector.columns(MeetingRow)
    # Stored starts may carry any offset: a day's margin, the times are compared exactly.
    rows = app.projector.query(
        MeetingRow,
        m.status == "scheduled",
        m.start >= (now - MARGIN).isoformat(),
        m.start <= (now + AHEAD + MARGIN).isoformat(),
    )
    coming = [r for r in rows if now <= datetime.fromisoformat(r.start) <= now + AHEAD]
    names = _names(app, {r.contact_id for r in coming})
    zone = app.settings.policy.time_zone
    return [_item(r, names, zone) for r in sorted(coming, key=lambda r: r.start)]


def needing_notes(app: App, number: int = 1, *, size: int = PAGE) -> Page[MeetingItem]:
    """Meetings of the last 30 days held with someone the user has written no notes on
    since, oldest first, a page at a time: SQL finds them by status, time and key (only
    their ids and starts), whole rows are read for the page shown."""
    now = app.clock.now()
    m, c = app.projector.columns(MeetingRow), app.projector.columns(ContactRow)
    candidates = (
        sa.select(m.meeting_id, m.start)
        .select_from(m.meeting_id.table.join(c.contact_id.table, c.contact_id == m.contact_id))
        .where(
            m.status == "met",
            m.start >= (now - NOTES_WITHIN - MARGIN).isoformat(),
            m.start <= (now + MARGIN).isoformat(),
            c.forgotten.is_(False),
            sa.or_(c.notes_at.is_(None), c.notes_at < m.start),
        )
    )
    held = sorted(
        (start, mid)
        for mid, start in app.projector.select(candidates)
        if now - NOTES_WITHIN <= datetime.fromisoformat(start) <= now
    )
    number = _number(number, len(held), size)
    wanted = [mid for _, mid in held[(number - 1) * size : number * size]]
    rows = {r.meeting_id: r for r in app.projector.find(MeetingRow, meeting_id=wanted)}
    shown = [rows[mid] for mid in wanted]
    names = _names(app, {r.contact_id for r in shown})
    zone = app.settings.policy.time_zone
    return Page([_item(r, names, zone) for r in shown], len(held), number, size)


def introductions(app: App, number: int = 1, *, size: int = LIST_PAGE) -> Page[OpenReferral]:
    """People someone introduced who are not written to yet (nor closed), by name, a
    page at a time: counted and paged in SQL (the stage index, the referrals' key)."""
    r = app.projector.columns(ReferralRow)
    c = app.projector.columns(ContactRow)
    referrer = c.contact_id.table.alias("referrer")
    joined = r.contact_id.table.join(c.contact_id.table, c.contact_id == r.contact_id).join(
        referrer, referrer.c.contact_id == r.referrer_id
    )
    open_ones = (
        c.stage == "identified",
        c.closed.is_(None),
        c.forgotten.is_(False),
        c.merged_into.is_(None),
    )
    [(total,)] = app.projector.select(
        sa.select(sa.func.count()).select_from(joined).where(*open_ones)
    )
    number = _number(number, total, size)
    found = app.projector.select(
        sa.select(c.contact_id, c.name, r.referrer_id, referrer.c.name)
        .select_from(joined)
        .where(*open_ones)
        .order_by(sa.func.lower(c.name), c.contact_id)
        .limit(size)
        .offset((number - 1) * size)
    )
    items = [
        OpenReferral(cid, name or "(no name)", rid, referrer_name or "(no name)")
        for cid, name, rid, referrer_name in found
    ]
    return Page(items, total, number, size)

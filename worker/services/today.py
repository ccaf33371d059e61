"""What waits for the user today: drafts to review (as they stand in the mailbox), meetings
coming up, meetings that need notes, open referrals and accounts to reconnect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.projections.referrals import ReferralRow
from integrations.protocol import ProviderError
from worker.services.app import App
from worker.services.drafts import DraftReview, Outcome, editor_text
from worker.services.timeline import local_time

AHEAD = timedelta(days=7)
#: A meeting older than this no longer asks for notes (the page would nag forever).
NOTES_WITHIN = timedelta(days=30)

KIND_WORDS = {
    "outreach": "First message",
    "nudge": "Reminder",
    "thank_you": "Thank-you",
    "referrer_thanks": "Thanks for an introduction",
    "keep_in_touch": "Keep in touch",
    "decline_thanks": "Thanks for their answer",
}


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
class Today:
    drafts: list[WaitingDraft]
    meetings: list[MeetingItem]
    needs_notes: list[MeetingItem]
    referrals: list[OpenReferral]
    reconnect: list[AccountRow]


def _account(app: App, account_id: str) -> AccountRow | None:
    return app.projector.get(AccountRow, account_id)


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


def today(review: DraftReview) -> Today:
    """Read by status, by time and by key: the drafts waiting, the meetings of the week
    around now, the open referrals, and only the people these name."""
    app = review.app
    app.projector.catch_up()
    now = app.clock.now()
    zone = app.settings.policy.time_zone
    p = app.projector
    pending = review.pending()
    meeting = p.columns(MeetingRow)
    # Stored starts may carry any offset: a day's margin, the times are compared exactly.
    margin = timedelta(days=1)
    meetings = p.query(
        MeetingRow,
        meeting.status.in_(["scheduled", "met"]),
        meeting.start >= (now - NOTES_WITHIN - margin).isoformat(),
        meeting.start <= (now + AHEAD + margin).isoformat(),
    )
    referral, contact = p.columns(ReferralRow), p.columns(ContactRow)
    fresh = sa.select(contact.contact_id).where(contact.stage == "identified")
    open_referrals = p.query(ReferralRow, referral.contact_id.in_(fresh))
    named = {d.contact_id for d in pending} | {m.contact_id for m in meetings}
    named |= {r.contact_id for r in open_referrals} | {r.referrer_id for r in open_referrals}
    contacts = {c.contact_id: c for c in p.find(ContactRow, contact_id=sorted(named))}
    names = {cid: c.name or "(no name)" for cid, c in contacts.items()}
    drafts = [
        WaitingDraft(
            draft=d,
            kind_words=KIND_WORDS.get(d.kind, d.kind),
            contact_name=names.get(d.contact_id, "(unknown)"),
            created=local_time(datetime.fromisoformat(d.created_at), zone),
            text=draft_text(review, d),
        )
        for d in pending
    ]

    def item(m: MeetingRow) -> MeetingItem:
        return MeetingItem(
            meeting=m,
            contact_id=m.contact_id,
            contact_name=names.get(m.contact_id, "(unknown)"),
            when=local_time(datetime.fromisoformat(m.start), zone),
            confirmed=m.confirmed_for_start == m.start,
        )

    coming = [
        item(m)
        for m in meetings
        if m.status == "scheduled" and now <= datetime.fromisoformat(m.start) <= now + AHEAD
    ]
    needs_notes = [
        item(m)
        for m in meetings
        if m.status == "met"
        and now - NOTES_WITHIN <= datetime.fromisoformat(m.start) <= now
        and (c := contacts.get(m.contact_id)) is not None
        and not c.forgotten
        and (not c.notes_at or c.notes_at < m.start)
    ]
    referrals = [
        OpenReferral(r.contact_id, names[r.contact_id], r.referrer_id, names[r.referrer_id])
        for r in open_referrals
        if (c := contacts.get(r.contact_id)) is not None
        and c.stage == "identified"
        and not c.closed
        and r.referrer_id in names
    ]
    return Today(
        drafts=drafts,
        meetings=sorted(coming, key=lambda i: i.meeting.start),
        needs_notes=sorted(needs_notes, key=lambda i: i.meeting.start),
        referrals=sorted(referrals, key=lambda r: r.name.lower()),
        reconnect=p.find(AccountRow, status="needs_reconnect"),
    )

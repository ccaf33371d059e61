"""What a draft's template is given, gathered for its kind: the contact, the referral it is
about, the meeting in the reader's zone, and the user's own words from their notes.

Every read is by key or by an indexed column (the contact, their meetings, whom they
referred): preparing one draft costs the same with 100 people as with 50,000.
"""

from __future__ import annotations

from typing import Any

from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.types import DraftKind
from worker.services import message_context
from worker.services.app import App
from worker.services.message_context import person
from worker.services.notes import and_join, notes_on, outcomes_since
from worker.services.offers import contact_zone


class DraftContext:
    """The facts a message template reads, for one application."""

    def __init__(self, app: App) -> None:
        self.app = app

    def contact(self, contact_id: str | None) -> ContactRow | None:
        return self.app.projector.get(ContactRow, contact_id) if contact_id else None

    def meeting(self, meeting_id: str | None) -> MeetingRow | None:
        return self.app.projector.get(MeetingRow, meeting_id) if meeting_id else None

    def base(self, c: ContactRow, account: AccountRow, **extra: Any) -> dict[str, Any]:
        """The keys every template may read, with `extra` over them."""
        context = message_context.base(
            self.app.settings.profile, account.email, c, self._thread_subject(c)
        )
        context.update(extra)
        return context

    def for_draft(
        self,
        kind: DraftKind,
        c: ContactRow,
        account: AccountRow,
        about_contact_id: str | None,
        meeting_id: str | None,
        nudge_number: int | None,
    ) -> dict[str, Any]:
        """What a draft of `kind` to `c` is written from (times offered have their own)."""
        extra: dict[str, Any] = {}
        if about_contact_id:
            about_row = self.contact(about_contact_id)
            extra["referrer" if kind == "outreach" else "about"] = person(about_row)
            if kind == "outreach":
                extra["outreach"] = message_context.outreach(c, about_row)
        m = self.meeting(meeting_id)
        if m is not None:
            extra["meeting"] = self.meeting_for(m, c)
        extra["nudge_number"] = nudge_number or 1
        extra.update(self._notes(kind, c, about_contact_id, meeting_id))
        if kind == "referrer_thanks" and m is None and about_contact_id:
            held = self._met_meeting(about_contact_id)
            if held is not None:
                extra["meeting"] = self.meeting_for(held, c)
        return self.base(c, account, **extra)

    def _met_meeting(self, contact_id: str) -> MeetingRow | None:
        met = self.app.projector.find(MeetingRow, contact_id=contact_id, status="met")
        return max(met, key=lambda m: m.start) if met else None

    def _referred(self, c: ContactRow) -> list[ContactRow]:
        """The people `c` introduced the user to (the referred_by index)."""
        found = self.app.projector.find(ContactRow, referred_by=c.contact_id)
        return [r for r in found if r.name and not r.forgotten]

    def _notes(
        self, kind: DraftKind, c: ContactRow, about_contact_id: str | None, meeting_id: str | None
    ) -> dict[str, Any]:
        """What the user wrote, for the messages that quote it: the takeaway and the
        people suggested (thank-you), how the referral's meeting went (the referrer's
        update), outcomes of their advice and referrals met since (keep in touch).
        Every key is always given (empty when unknown): templates test them."""
        extra: dict[str, Any] = {
            "takeaway": "",
            "referrals": [],
            "how_it_went": "",
            "outcome": "",
            "met_through_them": [],
            "suggested": [],
        }
        if kind == "thank_you":
            notes = notes_on(self.app, c.contact_id, meeting_id)
            extra["takeaway"] = notes.takeaway
            extra["referrals"] = notes.referrals
        elif kind == "referrer_thanks" and about_contact_id:
            held = self.meeting(meeting_id) or self._met_meeting(about_contact_id)
            notes = notes_on(self.app, about_contact_id, held.meeting_id if held else None)
            extra["how_it_went"] = notes.went
        elif kind == "decline_thanks":
            # Whom they pointed the user to, though they could not talk themselves.
            extra["suggested"] = sorted(r.name or "" for r in self._referred(c))
        elif kind == "keep_in_touch":
            since = c.kept_in_touch_at
            outcomes = [o.rstrip(".!") for o in outcomes_since(self.app, c.contact_id, since)]
            met = [
                r.name or ""
                for r in self._referred(c)
                if r.met_at and (since is None or r.met_at > since)
            ]
            extra["outcome"] = and_join(outcomes)
            extra["met_through_them"] = sorted(met)
        return extra

    def _thread_subject(self, c: ContactRow) -> str:
        drafts = self.app.projector.columns(DraftRow)
        ours = self.app.projector.query(
            DraftRow,
            drafts.contact_id == c.contact_id,
            drafts.kind == "outreach",
            drafts.subject.is_not(None),
            order_by=[drafts.created_at],
            limit=1,
        )
        subject = (ours[0].subject if ours else None) or "Our conversation"
        while subject and subject.lower().startswith("re:"):
            subject = subject[3:].strip()
        return subject or "Our conversation"

    def meeting_for(self, m: MeetingRow, reader: ContactRow) -> dict[str, Any]:
        """The meeting in the reader's zone when known (a referrer reads about someone
        else's meeting: the zone is theirs, not the meeting's contact's)."""
        about = m if m.contact_id == reader.contact_id else None
        zone = contact_zone(self.app, reader.contact_id, about=about)
        return message_context.meeting(m, self.app.settings.policy, zone)

"""The worker's dater: keeps each contact's and meeting's next due moment (`due_at`) in the
views, by the policies' own next-due functions, as the projector applies events.

Injected into the projector (events/ may not import the policies). A change to one row
re-dates the rows whose due moment reads it: a contact's meetings (their thanks), the
contacts they introduced (whose outreach waits for the thanks to them) and those
contacts' meetings (the thanks to them as referrer); a draft re-dates its contact, the
contact's meetings and the meetings of the contact it is about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from events.projections.base import Rows
from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.projections.projector import Dater
from worker.domain.policies.next_due import contact_due_at, meeting_due_at
from worker.domain.policies.snapshot import Snapshot
from worker.domain.settings import Policy


def iso(moment: datetime | None) -> str | None:
    """Due moments as stored: UTC ISO text, which sorts as time does."""
    return None if moment is None else moment.astimezone(UTC).isoformat()


def dater_for(policy: Callable[[], Policy] | Policy) -> Dater:
    """A dater reading `policy` (or the policy a callable returns, for settings that change)."""

    def date(views: Mapping[str, Rows[Any]], changed: Mapping[str, set[str]] | None) -> None:
        current = policy() if callable(policy) else policy
        pipeline: Rows[ContactRow] = views["pipeline"]
        meetings: Rows[MeetingRow] = views["meetings"]
        drafts: Rows[DraftRow] = views["drafts"]
        if changed is None:
            pipeline.values()
            meetings.values()
            drafts.values()
            who: set[str] = set(pipeline.rows)
            which: set[str] = set(meetings.rows)
        else:
            who, which = _affected(pipeline, meetings, drafts, changed)
            _load_read_rows(pipeline, meetings, drafts, who, which)
        contacts = pipeline.rows
        snapshot = Snapshot(
            contacts=contacts,
            meetings=meetings.rows,
            drafts=drafts.rows,
            skipped=frozenset(k for c in contacts.values() for k in c.skipped),
        )
        for cid in who:
            c = contacts.get(cid)
            if c is not None:
                due = iso(contact_due_at(c, snapshot, current))
                if due != c.due_at:
                    c.due_at = due
                    pipeline.touch(cid)
        for mid in which:
            m = meetings.rows.get(mid)
            if m is not None:
                due = iso(meeting_due_at(m, snapshot, current))
                if due != m.due_at:
                    m.due_at = due
                    meetings.touch(mid)

    return date


def _affected(
    pipeline: Rows[ContactRow],
    meetings: Rows[MeetingRow],
    drafts: Rows[DraftRow],
    changed: Mapping[str, set[str]],
) -> tuple[set[str], set[str]]:
    """The contacts and meetings whose due moment may read a changed row."""
    who = set(changed.get("pipeline", ()))
    which = set(changed.get("meetings", ()))
    about: set[str] = set()
    for did in changed.get("drafts", ()):
        d = drafts.get(did)
        if d is not None:
            who.add(d.contact_id)
            if d.about_contact_id:
                about.add(d.about_contact_id)
    for mid in list(which):
        m = meetings.get(mid)
        if m is not None:
            who.add(m.contact_id)
    who |= {c.contact_id for c in pipeline.where("referred_by", who)}
    which.update(m.meeting_id for m in meetings.where("contact_id", who | about))
    return who, which


def _load_read_rows(
    pipeline: Rows[ContactRow],
    meetings: Rows[MeetingRow],
    drafts: Rows[DraftRow],
    who: set[str],
    which: set[str],
) -> None:
    """Bring into memory what the next-due functions read about `who` and `which`: their
    contacts, whoever introduced those, and all these people's meetings and drafts (the
    same rows the tick reads about what is due, tick.load_due_snapshot)."""
    people = set(who)
    for mid in which:
        m = meetings.get(mid)
        if m is not None:
            people.add(m.contact_id)
    rows = pipeline.where("contact_id", people)
    people |= {c.referred_by for c in rows if c.referred_by}
    pipeline.where("contact_id", people)
    meetings.where("contact_id", people)
    drafts.where("contact_id", people)

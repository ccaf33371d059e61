"""What the templates are given: the user, the contact, the referrer, the meeting, each as
ready sentences where wording is decided (worker.domain.wording and meeting_time decide
it; this module only gathers the facts from the views' rows).

Every key a packaged template reads is always present (empty when unknown), so a user's
template can test `{% if takeaway %}` under the renderer's strict undefined.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from worker.domain import meeting_time, wording
from worker.domain.settings import Policy, Profile
from worker.domain.wording import first_name


def person(row: ContactRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "name": row.name or "",
        "first_name": first_name(row.name),
        "company": " ".join((row.company or "").split()),
        "role": " ".join((row.role or "").split()),
        "how_we_know": row.how_we_know or "",
        "email": row.emails[0] if row.emails else "",
    }


def user(profile: Profile, email: str) -> dict[str, Any]:
    return {
        "name": profile.name,
        "headline": profile.headline.rstrip("."),
        "introduction": wording.introduction(profile.name, profile.headline),
        "signature": profile.signature,
        "signed": wording.signed(profile.name, profile.signature),
        "email": email,
    }


def known(contact: ContactRow, referrer: ContactRow | None) -> wording.Known:
    return wording.Known(
        how=contact.how_we_know or "",
        source=contact.source,
        referrer=(referrer.name or "") if referrer is not None else "",
    )


def outreach(contact: ContactRow, referrer: ContactRow | None) -> dict[str, str]:
    """The first contact's sentences: why (the subject), how we know, what we ask about."""
    k = known(contact, referrer)
    return {
        "subject": wording.subject(k, contact.company or ""),
        "reason": wording.reason(k),
        "how_we_know": wording.how_we_know(k),
        "about_their_path": wording.about_their_path(contact.role or "", contact.company or ""),
    }


def meeting(m: MeetingRow, policy: Policy, contact_zone: str | None = None) -> dict[str, Any]:
    """The meeting as the contact reads it: in their zone when known (`contact_zone`, set
    for them or learnt from an earlier meeting), else the meeting's, with the user's beside
    it when the two differ."""
    start = datetime.fromisoformat(m.start)
    minutes = int((datetime.fromisoformat(m.end) - start).total_seconds() // 60)
    reader_zone = contact_zone or m.time_zone or policy.time_zone
    link = m.link or ""
    return {
        "when": meeting_time.when(start, reader_zone, policy.time_zone),
        "day": meeting_time.day(
            start.astimezone(ZoneInfo(reader_zone)), meeting_time.locale_for(reader_zone)
        ),
        "length": meeting_time.length(minutes),
        "minutes": minutes,
        "place": m.place or "",
        "link": link,
        "where": meeting_time.where(m.place or "", link),
    }


def base(profile: Profile, email: str, contact: ContactRow, thread_subject: str) -> dict[str, Any]:
    """The keys every template may read, empty where a message kind has nothing to say."""
    return {
        "user": user(profile, email),
        "contact": person(contact),
        "referrer": None,
        "about": None,
        "meeting": None,
        "outreach": outreach(contact, None),
        "referrals": [],
        "takeaway": "",  # what stayed with the user, in their words (from their notes)
        "how_it_went": "",  # the user's words on a referral's meeting, for the referrer
        "outcome": "",  # something the user did thanks to this contact's advice
        "met_through_them": [],  # names of people the user met through this contact
        "thread_subject": thread_subject,
        "nudge_number": 1,
    }

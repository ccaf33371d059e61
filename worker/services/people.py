"""One contact as the user reads them (`contacts show`), and when a chosen contact's
outreach draft will come; times in the user's zone."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow, next_step, stage_words
from worker.domain.policies.outreach_queue import outreach_day
from worker.domain.wording import draft_kind_words
from worker.services.app import App
from worker.services.contacts import ContactBook
from worker.services.local_time import local_time as local_time  # its importers
from worker.services.tick import load_snapshot


def contact_details(book: ContactBook, ref: str) -> dict[str, Any]:
    row = book.resolve(ref)
    app = book.app
    zone = app.settings.policy.time_zone
    ids = set(book.merged_ids(row.contact_id))
    # By key and indexed column: one person's page costs the same among 50,000.
    views = app.projector
    referrer = views.get(ContactRow, row.referred_by) if row.referred_by else None
    meetings = sorted(views.find(MeetingRow, contact_id=sorted(ids)), key=lambda m: m.start)
    drafts = views.find(DraftRow, contact_id=sorted(ids), status="pending")
    referred = [
        r
        for r in views.find(ContactRow, referred_by=row.contact_id)
        if not r.forgotten and r.merged_into is None
    ]
    return {
        "contact_id": row.contact_id,
        "name": row.name,
        "role_line": ", ".join(x for x in (row.role, row.company) if x),
        "role": row.role,
        "company": row.company,
        "emails": row.emails,
        "url": row.url,
        "how_we_know": row.how_we_know,
        "time_zone": row.time_zone or None,
        "referred_by": referrer.name if referrer else None,
        "source": row.source,
        "stage": row.stage,
        "stage_words": stage_words(row),
        "closed": row.closed,
        "next_step": next_step(row),
        "added_at": row.added_at,
        "merged_from": sorted(ids - {row.contact_id}),
        "meetings": [
            {"meeting_id": m.meeting_id, "when": local_time(m.start, zone), "status": m.status}
            for m in meetings
        ],
        "drafts_waiting": [
            {
                "draft_id": d.draft_id,
                "kind": d.kind,
                "kind_words": draft_kind_words(d.kind),
                "since": local_time(d.created_at, zone),
                "subject": d.subject,
            }
            for d in drafts
        ],
        "referred": sorted(r.name or "" for r in referred),
    }


def outreach_eta(app: App, contact_id: str) -> dict[str, Any]:
    """When the outreach draft will be prepared, in a sentence that names the setting
    holding it back when the day's cap is reached."""
    policy = app.settings.policy
    now = app.clock.now()
    day = outreach_day(load_snapshot(app), contact_id, now, policy)
    today = now.astimezone(ZoneInfo(policy.time_zone)).date()
    setting = (
        f"daily_outreach_cap = {policy.daily_outreach_cap} under [policy] in "
        f"{app.settings.config_dir / 'config.toml'}"
    )
    if day is None:
        sentence = f"no outreach draft will be prepared while {setting}"
    elif day == today:
        sentence = "an outreach draft will be prepared for your review by the running worker"
    else:
        sentence = (
            f"today's {policy.daily_outreach_cap} outreach drafts are made: theirs will be "
            f"prepared on {day:%A} {day.day} {day:%B} ({policy.time_zone}); "
            f"{setting} sets how many a day"
        )
    return {"day": day.isoformat() if day else None, "today": day == today, "sentence": sentence}

"""One contact as the user reads them (`contacts show`), and when a chosen contact's
first message will come; times in the user's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow, next_step, stage_words
from worker.domain.policies.outreach_queue import outreach_day
from worker.domain.policies.snapshot import Snapshot
from worker.domain.wording import draft_kind_words
from worker.services import heartbeat
from worker.services.app import App
from worker.services.contacts import ContactBook
from worker.services.local_time import local_time as local_time  # its importers
from worker.services.tick import outreach_drafted_since


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
    """When a chosen contact's first message will be prepared, in a sentence that names
    what holds it back: no mailbox connected, no worker running, or the day's cap (and
    the setting holding it)."""
    policy = app.settings.policy
    now = app.clock.now()
    day = outreach_day(_outreach_queue(app, now), contact_id, now, policy)
    today = now.astimezone(ZoneInfo(policy.time_zone)).date()
    setting = (
        f"daily_outreach_cap = {policy.daily_outreach_cap} under [policy] in "
        f"{app.settings.config_dir / 'config.toml'}"
    )
    waits_for: Literal["mailbox", "worker"] | None = None
    if not app.projector.find(AccountRow, status="connected"):
        waits_for = "mailbox"
    elif not any(not h.stale(now) for h in heartbeat.read(app.engine)):
        waits_for = "worker"
    if day is None:
        sentence = f"no first message will be prepared while {setting}"
    elif waits_for == "mailbox":
        sentence = (
            "their first message will be prepared for your review once a mailbox is "
            "connected: `outreach connect google` or `outreach connect microsoft`"
        )
    elif day != today:
        cap = policy.daily_outreach_cap
        sentence = (
            f"today's cap of {cap} first message{'' if cap == 1 else 's'} is reached: "
            f"theirs will be prepared on {day:%A} {day.day} {day:%B} ({policy.time_zone}); "
            f"{setting} sets how many a day"
        )
        if waits_for == "worker":
            sentence += "; the worker must be running then: `outreach run`"
    elif waits_for == "worker":
        sentence = (
            "their first message will be prepared for your review once the worker runs: "
            "`outreach run`"
        )
    else:
        sentence = "their first message will be ready for your review in a minute or two"
    return {
        "day": day.isoformat() if day else None,
        "today": day == today,
        "waits_for": waits_for,
        "sentence": sentence,
    }


def _outreach_queue(app: App, now: datetime) -> Snapshot:
    """What the daily cap's queue reads: the contacts waiting for a first message and
    today's first-message drafts (indexed reads; not every contact)."""
    contact = app.projector.columns(ContactRow)
    waiting = sa.or_(
        contact.stage == "to_write",
        sa.and_(contact.stage == "identified", contact.source == "referral"),
    )
    with app.projector.reading() as conn:
        contacts = app.projector.query(ContactRow, waiting, conn=conn)
        drafts = outreach_drafted_since(conn, app, now)
    return Snapshot(
        contacts={c.contact_id: c for c in contacts}, drafts={d.draft_id: d for d in drafts}
    )

"""Small builders for policy tests: rows as the projections would hold them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.types import DraftKind
from worker.domain.policies.snapshot import Snapshot


def iso(moment: datetime) -> str:
    return moment.isoformat()


def contact(cid: str = "c1", **kw: Any) -> ContactRow:
    kw.setdefault("name", "Ada Lovelace")
    kw.setdefault("emails", [f"{cid}@example.org"])
    kw.setdefault("added_at", "2026-03-01T09:00:00+00:00")
    kw.setdefault("stage_at", kw["added_at"])
    return ContactRow(contact_id=cid, **kw)


def meeting(mid: str, start: datetime, end: datetime, booked: datetime, **kw: Any) -> MeetingRow:
    kw.setdefault("contact_id", "c1")
    kw.setdefault("time_zone", "Europe/Berlin")
    # A place to meet: without one (or a link) a draft asks where instead of confirming.
    kw.setdefault("place", "Café Einstein, Kurfürstenstraße 58")
    return MeetingRow(
        meeting_id=mid,
        start=iso(start),
        end=iso(end),
        scheduled_at=iso(booked),
        status_at=kw.pop("status_at", iso(booked)),
        **kw,
    )


def draft(did: str, cid: str, kind: DraftKind, created: datetime, **kw: Any) -> DraftRow:
    return DraftRow(
        draft_id=did,
        contact_id=cid,
        kind=kind,
        created_at=iso(created),
        updated_at=iso(created),
        **kw,
    )


def snapshot(
    contacts: list[ContactRow] = (),  # type: ignore[assignment]
    meetings: list[MeetingRow] = (),  # type: ignore[assignment]
    drafts: list[DraftRow] = (),  # type: ignore[assignment]
    skipped: frozenset[str] = frozenset(),
) -> Snapshot:
    return Snapshot(
        contacts={c.contact_id: c for c in contacts},
        meetings={m.meeting_id: m for m in meetings},
        drafts={d.draft_id: d for d in drafts},
        skipped=skipped,
    )

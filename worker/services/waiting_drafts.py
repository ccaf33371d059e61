"""The drafts waiting for review and the contacts they concern: what `drafts list` shows,
read by two indexed queries, without the mailbox (no provider is opened to list them)."""

from __future__ import annotations

from events.projections.drafts import DraftRow
from events.projections.pipeline import ContactRow
from worker.services.app import App


def pending(app: App) -> list[DraftRow]:
    """The drafts waiting for review, oldest first (one read by the status index)."""
    app.projector.catch_up()
    rows = app.projector.find(DraftRow, status="pending")
    return sorted(rows, key=lambda d: (d.created_at, d.draft_id))


def contacts_of(app: App, drafts: list[DraftRow]) -> dict[str, ContactRow]:
    """The contacts these drafts concern, by id (one read by key)."""
    ids = sorted({d.contact_id for d in drafts})
    return {c.contact_id: c for c in app.projector.find(ContactRow, contact_id=ids)}

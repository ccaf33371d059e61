"""Drafts: every message of ours prepared for review, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from events.projections.base import Fact, Projection, Rows
from events.projections.rows import Row
from events.types import DRAFT_KINDS, DraftKind

DraftStatus = Literal["pending", "sent", "discarded"]

SENT_TYPES = frozenset(
    {
        "outreach.sent",
        "nudge.sent",
        "contact.thanked",
        "referrer.thanked",
        "kept_in_touch",
        "times.sent",
        "confirmation_ask.sent",
        "decline_thanks.sent",
    }
)


@dataclass(slots=True, kw_only=True)
class DraftRow(Row):
    KEY = "draft_id"
    TABLE = "drafts"
    INDEXED = ("contact_id", "status", "created_at")
    draft_id: str
    contact_id: str
    kind: DraftKind
    account_id: str = ""
    provider_draft_id: str = ""
    message_id: str = ""
    thread_id: str | None = None
    subject: str | None = None
    to: str | None = None
    status: DraftStatus = "pending"
    created_at: str = ""
    updated_at: str = ""
    meeting_id: str | None = None
    nudge_number: int | None = None
    about_contact_id: str | None = None
    discard_reason: str | None = None
    #: What the etiquette check found when the text was last written (see drafts review).
    findings: list[str] | None = None
    #: Changed by the user (in `drafts edit` or their mail client): never re-rendered.
    edited: bool = False
    #: The fingerprint of the text last written to the mailbox (ours or the user's edit).
    body_digest: str | None = None
    #: When the worker last wrote the text (created or re-rendered).
    rendered_at: str = ""


class Drafts(Projection[DraftRow]):
    name = "drafts"
    row_type = DraftRow
    handles = frozenset(
        {
            *DRAFT_KINDS,
            "draft.updated",
            "draft.discarded",
            "contact.forgotten",
            "contact.merged",
            *SENT_TYPES,
        }
    )
    # Subject and recipient of the draft; a sent message's sealed subject is not shown.
    personal = frozenset({*DRAFT_KINDS, "draft.updated"})

    def apply(self, rows: Rows[DraftRow], fact: Fact) -> None:
        p = fact.payload
        t = fact.type
        at = fact.occurred_at
        if t in DRAFT_KINDS:
            did = p["draft_id"]
            rows.put(
                did,
                DraftRow(
                    draft_id=did,
                    contact_id=p["contact_id"],
                    kind=DRAFT_KINDS[t],
                    account_id=p.get("account_id", ""),
                    provider_draft_id=p.get("provider_draft_id", ""),
                    message_id=p.get("message_id", ""),
                    thread_id=p.get("thread_id"),
                    subject=p.get("subject"),
                    to=p.get("to"),
                    created_at=at,
                    updated_at=at,
                    meeting_id=p.get("meeting_id"),
                    nudge_number=p.get("nudge_number"),
                    about_contact_id=p.get("about_contact_id"),
                    findings=list(p.get("findings") or []),
                    body_digest=p.get("body_digest") or None,
                    rendered_at=at,
                ),
            )
        elif t == "contact.forgotten":
            for each in rows.values():
                if each.contact_id == p["contact_id"]:
                    each.subject = each.to = each.body_digest = None
                    rows.touch(each.draft_id)
        elif t == "contact.merged":
            # One person now: their drafts follow the contact they were merged into.
            for each in rows.values():
                if p["contact_id"] in (each.contact_id, each.about_contact_id):
                    if each.contact_id == p["contact_id"]:
                        each.contact_id = p["into"]
                    if each.about_contact_id == p["contact_id"]:
                        each.about_contact_id = p["into"]
                    rows.touch(each.draft_id)
        elif t in SENT_TYPES:
            did = p.get("draft_id")
            sent = rows.get(did) if did else None
            if sent is not None and sent.status == "pending":
                sent.status = "sent"
                sent.updated_at = at
                rows.touch(sent.draft_id)
        else:
            row = rows.get(p["draft_id"])
            if row is None:
                return
            rows.touch(row.draft_id)
            row.updated_at = at
            if t == "draft.updated":
                row.subject = p.get("subject", row.subject)
                row.provider_draft_id = p.get("provider_draft_id") or row.provider_draft_id
                if p.get("findings") is not None:
                    row.findings = list(p["findings"])
                row.body_digest = p.get("body_digest") or None
                if p.get("by", "user") == "worker":
                    row.rendered_at = at
                else:
                    row.edited = True
            elif row.status == "pending":
                row.status = "discarded"
                row.discard_reason = p.get("reason")

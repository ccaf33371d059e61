"""Drafts: every message of ours prepared for review, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from events.projections.base import Fact, Projection, Rows, on_row
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


def _drafted(rows: Rows[DraftRow], fact: Fact) -> None:
    p, at = fact.payload, fact.occurred_at
    did = p["draft_id"]
    rows.put(
        did,
        DraftRow(
            draft_id=did,
            contact_id=p["contact_id"],
            kind=DRAFT_KINDS[fact.type],
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


def _forgotten(rows: Rows[DraftRow], fact: Fact) -> None:
    # By the indexed column: a catch-up then loads this contact's drafts, not all of them.
    for each in rows.where("contact_id", [fact.payload["contact_id"]]):
        each.subject = each.to = each.body_digest = None
        rows.touch(each.draft_id)


def _merged(rows: Rows[DraftRow], fact: Fact) -> None:
    # One person now: their drafts follow the contact they were merged into.
    gone, into = fact.payload["contact_id"], fact.payload["into"]
    theirs = {d.draft_id: d for d in rows.where("contact_id", [gone])}
    theirs.update((d.draft_id, d) for d in rows.where("about_contact_id", [gone]))
    for each in theirs.values():
        if each.contact_id == gone:
            each.contact_id = into
        if each.about_contact_id == gone:
            each.about_contact_id = into
        rows.touch(each.draft_id)


def _sent(row: DraftRow, fact: Fact) -> None:
    if row.status == "pending":
        row.status = "sent"
        row.updated_at = fact.occurred_at


def _updated(row: DraftRow, fact: Fact) -> None:
    p, at = fact.payload, fact.occurred_at
    row.updated_at = at
    row.subject = p.get("subject", row.subject)
    row.provider_draft_id = p.get("provider_draft_id") or row.provider_draft_id
    if p.get("findings") is not None:
        row.findings = list(p["findings"])
    row.body_digest = p.get("body_digest") or None
    if p.get("by", "user") == "worker":
        row.rendered_at = at
    else:
        row.edited = True


def _discarded(row: DraftRow, fact: Fact) -> None:
    row.updated_at = fact.occurred_at
    if row.status == "pending":
        row.status = "discarded"
        row.discard_reason = fact.payload.get("reason")


_SENT = on_row("draft_id", _sent)


class Drafts(Projection[DraftRow]):
    name = "drafts"
    row_type = DraftRow
    # The drafted and sent types are those of DRAFT_KINDS and SENT_TYPES, written out so
    # the table reads whole; tests/events/test_dispatch.py checks they agree.
    handlers = MappingProxyType(
        {
            "outreach.drafted": _drafted,
            "nudge.drafted": _drafted,
            "thank_you.drafted": _drafted,
            "referrer_thanks.drafted": _drafted,
            "keep_in_touch.drafted": _drafted,
            "times.offered": _drafted,
            "confirmation_ask.drafted": _drafted,
            "decline_thanks.drafted": _drafted,
            "draft.updated": on_row("draft_id", _updated),
            "draft.discarded": on_row("draft_id", _discarded),
            "contact.forgotten": _forgotten,
            "contact.merged": _merged,
            "outreach.sent": _SENT,
            "nudge.sent": _SENT,
            "contact.thanked": _SENT,
            "referrer.thanked": _SENT,
            "kept_in_touch": _SENT,
            "times.sent": _SENT,
            "confirmation_ask.sent": _SENT,
            "decline_thanks.sent": _SENT,
        }
    )
    # Subject and recipient of the draft; a sent message's sealed subject is not shown.
    personal = frozenset({*DRAFT_KINDS, "draft.updated"})

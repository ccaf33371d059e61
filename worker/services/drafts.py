"""Reviewing drafts: list, show, edit, approve (send) and discard what the worker prepared.

Each change goes to the mailbox first and is recorded after, with an id derived from
the draft, so repeating a command (or running it after a crash between the two)
changes nothing more: approving looks for the draft's Message-ID in the sent mail
before sending, so a draft is never sent twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from events.errors import UserError
from events.ids import derive_id, new_id
from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.projections.pipeline import ContactRow
from events.types import SENT_FOR_KIND, DraftDiscarded, DraftKind, DraftUpdated
from integrations.protocol import Provider, SentRef
from worker.domain.addresses import InvalidInput, check_text
from worker.services.app import App
from worker.services.effects import Effects
from worker.services.rendering import Renderer

# The editor text: a Subject line, a blank line, the body (the template file format).
_EDITED = re.compile(r"\A\s*Subject:[ \t]*(?P<subject>[^\n]*)\n[ \t]*\n(?P<body>.*)\Z", re.S | re.I)
# Line breaks and tabs belong in a body; other control characters do not.
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_BODY = 100_000

BODY_NOTE = (
    "the body lives in your mailbox's Drafts folder: the log keeps no message bodies and "
    "the provider protocol has no way to read a draft back"
)


class UnknownDraft(UserError, LookupError):
    pass


@dataclass(frozen=True)
class Outcome:
    """What a review command did: "sent", "already sent", "discarded", "updated", "unchanged"."""

    draft: DraftRow
    what: str


def parse_edited(text: str) -> tuple[str, str]:
    """Subject and body from the editor's text; refuses anything that could inject headers."""
    text = text.replace("\r\n", "\n")
    match = _EDITED.match(text)
    if match is None:
        raise InvalidInput("edited draft: must start with a 'Subject:' line and a blank line")
    subject = check_text(match["subject"], "edited draft: subject", max_len=250, required=True)
    body = match["body"].strip()
    if not body:
        raise InvalidInput("edited draft: the body is empty")
    if "\r" in body or _BODY_CONTROL.search(body):
        raise InvalidInput("edited draft: the body contains a control character")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"edited draft: the body is longer than {MAX_BODY} characters")
    return subject, body + "\n"


def editor_text(subject: str, body: str) -> str:
    return f"Subject: {subject}\n\n{body.rstrip()}\n"


class DraftReview:
    """The user's side of the drafts the worker prepares.

    Parameters:
      app: the opened application.
      provider_for: gives the provider of an account (see worker.accounts.providers).
      renderer: message templates, to show the text a draft was prepared with.
    """

    def __init__(
        self, app: App, provider_for: Callable[[AccountRow], Provider], renderer: Renderer
    ) -> None:
        self.app = app
        self.provider_for = provider_for
        self.effects = Effects(app, provider_for, renderer)

    # --- queries --------------------------------------------------------------------

    def all(self) -> list[DraftRow]:
        self.app.projector.catch_up()
        rows = self.app.projector.rows(DraftRow)
        return sorted(rows, key=lambda d: (d.created_at, d.draft_id))

    def pending(self) -> list[DraftRow]:
        return [d for d in self.all() if d.status == "pending"]

    def resolve(self, ref: str) -> DraftRow:
        """A draft by id or a unique prefix of at least 4 characters."""
        ref = ref.strip().lower()
        rows = self.all()
        found = [d for d in rows if d.draft_id == ref]
        if not found and len(ref) >= 4:
            found = [d for d in rows if d.draft_id.startswith(ref)]
        if len(found) == 1:
            return found[0]
        if found:
            raise UnknownDraft(f"draft {ref!r} is ambiguous: give more of its id")
        raise UnknownDraft(f"no draft matches {ref!r} (try `outreach drafts list`)")

    def contact(self, draft: DraftRow) -> ContactRow | None:
        return next(
            (c for c in self.app.projector.rows(ContactRow) if c.contact_id == draft.contact_id),
            None,
        )

    def details(self, draft: DraftRow) -> dict[str, Any]:
        """What the log knows of a draft, and how it was prepared when that can be shown."""
        contact = self.contact(draft)
        edited = any(
            d.stored.type == "draft.updated" and d.event.fields().get("draft_id") == draft.draft_id
            for d in self.app.journal.contact_history(draft.contact_id)
        )
        prepared: str | None = None
        if draft.status == "pending" and not edited:
            try:
                rendered = self.effects.render_draft(draft)
                prepared = editor_text(rendered.subject, rendered.body)
            except (LookupError, ValueError):
                prepared = None  # the facts it was rendered from are gone
        return {
            "draft_id": draft.draft_id,
            "kind": draft.kind,
            "status": draft.status,
            "discard_reason": draft.discard_reason,
            "contact": contact.name if contact else None,
            "to": draft.to,
            "subject": draft.subject,
            "created_at": draft.created_at,
            "updated_at": draft.updated_at,
            "edited": edited,
            "message_id": draft.message_id,
            "provider_draft_id": draft.provider_draft_id,
            "account_id": draft.account_id,
            "prepared_text": prepared,
            "body": BODY_NOTE,
        }

    # --- commands -------------------------------------------------------------------

    def _account(self, draft: DraftRow) -> AccountRow:
        found = next(
            (a for a in self.app.projector.rows(AccountRow) if a.account_id == draft.account_id),
            None,
        )
        if found is None:
            raise UnknownDraft(f"draft {draft.draft_id[:8]}: its account is not connected")
        return found

    def _pending(self, draft: DraftRow) -> None:
        if draft.status == "discarded":
            why = (draft.discard_reason or "").replace("_", " ")
            raise InvalidInput(f"draft {draft.draft_id[:8]} was discarded ({why})")
        if draft.status != "pending":
            raise InvalidInput(f"draft {draft.draft_id[:8]} was already sent")

    def starting_text(self, draft: DraftRow) -> str:
        """What the editor opens with: the text as prepared (see `render_draft`)."""
        self._pending(draft)
        rendered = self.effects.render_draft(draft)
        return editor_text(draft.subject or rendered.subject, rendered.body)

    def edit(self, draft: DraftRow, text: str) -> Outcome:
        self._pending(draft)
        subject, body = parse_edited(text)
        message = self.effects.outgoing_for_draft(draft, subject, body)
        provider = self.provider_for(self._account(draft))
        ref = provider.update_draft(draft.provider_draft_id, message)
        self.app.journal.record(
            DraftUpdated(
                contact_id=draft.contact_id,
                draft_id=draft.draft_id,
                provider_draft_id=ref.provider_draft_id,
                subject=subject,
            ),
            event_id=new_id(),  # each edit is its own fact
        )
        return Outcome(self.resolve(draft.draft_id), "updated")

    def approve(self, draft: DraftRow) -> Outcome:
        if draft.status == "sent":
            return Outcome(draft, "already sent")
        self._pending(draft)
        provider = self.provider_for(self._account(draft))
        # Sent before (a crash after sending, or from the mail client): record, not resend.
        sent = provider.find_sent(draft.message_id) if draft.message_id else None
        what = "already sent" if sent is not None else "sent"
        if sent is None:
            sent = provider.send_draft(draft.provider_draft_id)
        self._record_sent(draft, sent)
        return Outcome(self.resolve(draft.draft_id), what)

    def discard(self, draft: DraftRow) -> Outcome:
        self._pending(draft)
        provider = self.provider_for(self._account(draft))
        sent = provider.find_sent(draft.message_id) if draft.message_id else None
        if sent is not None:
            # Sent from the mail client before the sync noticed: that is the fact to keep.
            self._record_sent(draft, sent)
            return Outcome(self.resolve(draft.draft_id), "already sent")
        provider.delete_draft(draft.provider_draft_id)
        self.app.journal.record(
            DraftDiscarded(contact_id=draft.contact_id, draft_id=draft.draft_id, reason="user"),
            event_id=derive_id("draft-discarded", draft.draft_id),
        )
        return Outcome(self.resolve(draft.draft_id), "discarded")

    def _record_sent(self, draft: DraftRow, sent: SentRef) -> None:
        kind: DraftKind = draft.kind
        fields: dict[str, Any] = {
            "contact_id": draft.contact_id,
            "message_id": sent.message_id or draft.message_id,
            "account_id": draft.account_id,
            "thread_id": sent.thread_id or draft.thread_id,
            "draft_id": draft.draft_id,
            "sent_at": self.app.clock.now(),
            "subject": draft.subject or "",
        }
        if kind == "nudge":
            fields["nudge_number"] = draft.nudge_number or 1
        if kind == "thank_you":
            fields["meeting_id"] = draft.meeting_id or ""
        if kind == "referrer_thanks":
            fields["about_contact_id"] = draft.about_contact_id or ""
        # Derived from the draft: approving twice records the sending once.
        self.app.journal.record(
            SENT_FOR_KIND[kind](**fields), event_id=derive_id("draft-sent", draft.draft_id)
        )

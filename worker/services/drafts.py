"""Reviewing drafts: list, show, edit, approve (send) and discard what the worker prepared.

The text shown and edited is the mailbox's own copy, read back through the provider: the
user may have changed it in their mail client, and that change is theirs to keep (it is
recorded, and no automatic re-render touches the draft afterwards).

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
from integrations.protocol import DraftText, Provider, SentRef
from worker.domain.addresses import InvalidInput, check_text
from worker.domain.draft_text import body_digest, changed_by_user
from worker.domain.etiquette import check
from worker.domain.markers import find_markers
from worker.services import waiting_drafts
from worker.services.app import App
from worker.services.effects import Effects
from worker.services.event_words import discard_words
from worker.services.rendering import Renderer

# The editor text: comment lines, a Subject line, a blank line, the body.
_HEADER_COMMENT = re.compile(r"\A(?:[ \t]*#[^\n]*\n)+")
_EDITED = re.compile(r"\A\s*Subject:[ \t]*(?P<subject>[^\n]*)\n[ \t]*\n(?P<body>.*)\Z", re.S | re.I)
# Line breaks and tabs belong in a body; other control characters do not.
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_BODY = 100_000

HEADER = (
    "# Edit this draft to {to}. The first line (Subject: ...) is the subject; the body\n"
    "# follows the blank line. Lines starting with # up here are left out.\n"
    "# Save and close to update the draft in your mailbox; close without saving to cancel.\n"
)
GONE_NOTE = "it is no longer in your Drafts folder (sent or deleted); the next sync records which"


class UnknownDraft(UserError, LookupError):
    pass


class NotSendable(UserError, ValueError):
    """A draft still holding a template marker, or with etiquette findings not waved
    through with --anyway: the message names the first and what to do."""


@dataclass(frozen=True)
class Outcome:
    """What a review command did: "sent", "already sent", "discarded", "updated", "unchanged"."""

    draft: DraftRow
    what: str


def parse_edited(text: str) -> tuple[str, str]:
    """Subject and body from the editor's text; refuses anything that could inject headers."""
    text = _HEADER_COMMENT.sub("", text.replace("\r\n", "\n"), count=1)
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


def editor_text(subject: str, body: str, to: str | None = None) -> str:
    """What the editor opens: the header comment (when `to` is given), the subject line,
    a blank line and the body."""
    header = HEADER.format(to=to) if to else ""
    return f"{header}Subject: {subject}\n\n{body.strip()}\n"


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
        return waiting_drafts.pending(self.app)

    def resolve(self, ref: str) -> DraftRow:
        """A draft by id or a unique prefix of at least 4 characters."""
        ref = ref.strip().lower()
        self.app.projector.catch_up()
        exact = self.app.projector.get(DraftRow, ref)
        found = [exact] if exact is not None else []
        if not found and len(ref) >= 4:
            draft_id = self.app.projector.columns(DraftRow).draft_id
            # LIKE narrows (its wildcards dropped); `startswith` decides.
            prefix = ref.replace("\\", "").replace("%", "").replace("_", "")
            found = [
                d
                for d in self.app.projector.query(DraftRow, draft_id.like(f"{prefix}%"), limit=50)
                if d.draft_id.startswith(ref)
            ]
        if len(found) == 1:
            return found[0]
        if found:
            raise UnknownDraft(f"draft {ref!r} is ambiguous: give more of its id")
        raise UnknownDraft(f"no draft matches {ref!r} (try `outreach drafts list`)")

    def contact(self, draft: DraftRow) -> ContactRow | None:
        return self.app.projector.get(ContactRow, draft.contact_id)

    def current(self, draft: DraftRow) -> DraftText | None:
        """The draft as it is in the mailbox now (None: it left Drafts). A text that is
        not what was last written is the user's edit in their mail client: recorded once,
        so the draft counts as edited from then on."""
        if draft.status != "pending":
            return None
        provider = self.provider_for(self._account(draft))
        found = provider.read_draft(draft.provider_draft_id)
        if (
            found is not None
            and not draft.edited
            and changed_by_user(draft.body_digest, found.body)
        ):
            digest = body_digest(found.body)
            self.app.journal.record(
                DraftUpdated(
                    contact_id=draft.contact_id,
                    draft_id=draft.draft_id,
                    provider_draft_id=draft.provider_draft_id,
                    subject=found.subject,
                    body_digest=digest,
                    by="mailbox",
                ),
                # Seen twice (two `show`s), recorded once.
                event_id=derive_id("draft-edited-in-mailbox", f"{draft.draft_id}:{digest}"),
            )
        return found

    def details(self, draft: DraftRow) -> dict[str, Any]:
        """What the log knows of a draft, and its text as it is in the mailbox now."""
        contact = self.contact(draft)
        current = self.current(draft)
        row = self.resolve(draft.draft_id) if current is not None else draft
        return {
            "draft_id": draft.draft_id,
            "kind": draft.kind,
            "status": draft.status,
            "discard_reason": draft.discard_reason,
            "discarded_because": discard_words(draft.discard_reason or "") or None,
            "contact": contact.name if contact else None,
            "to": draft.to,
            "subject": draft.subject,
            "created_at": draft.created_at,
            "updated_at": draft.updated_at,
            "edited": row.edited,
            "message_id": draft.message_id,
            "provider_draft_id": draft.provider_draft_id,
            "account_id": draft.account_id,
            "in_mailbox": current is not None,
            "findings": self.findings(draft, current) if draft.status == "pending" else [],
            "current_subject": current.subject if current else None,
            "body": current.body if current else None,
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
            why = discard_words(draft.discard_reason or "")
            raise InvalidInput(f"draft {draft.draft_id[:8]} was dropped: {why}")
        if draft.status != "pending":
            raise InvalidInput(f"draft {draft.draft_id[:8]} was already sent")

    def starting_text(self, draft: DraftRow) -> str:
        """What the editor opens with: the draft as it is in the mailbox now, with the
        user's earlier edits (made here or in their mail client)."""
        self._pending(draft)
        current = self.current(draft)
        if current is None:
            raise InvalidInput(f"draft {draft.draft_id[:8]}: {GONE_NOTE}")
        return editor_text(current.subject, current.body, to=draft.to or "the contact")

    def replace_body(self, draft: DraftRow, body: str) -> Outcome:
        """`drafts edit --text/--file`: a new body under the draft's current subject."""
        self._pending(draft)
        current = self.current(draft)
        if current is None:
            raise InvalidInput(f"draft {draft.draft_id[:8]}: {GONE_NOTE}")
        return self.edit(draft, editor_text(current.subject, body))

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
                body_digest=body_digest(body),
                by="user",
                findings=check(draft.kind, subject, body, user_name=self.app.settings.profile.name),
            ),
            event_id=new_id(),  # each edit is its own fact
        )
        return Outcome(self.resolve(draft.draft_id), "updated")

    def findings(self, draft: DraftRow, current: DraftText | None = None) -> list[str]:
        """The etiquette check on a waiting draft's text as it is now (the mailbox's copy;
        what was found when it was written if that cannot be read)."""
        current = current if current is not None else self.current(draft)
        if current is None:
            return list(draft.findings or [])
        name = self.app.settings.profile.name
        return check(draft.kind, current.subject, current.body, user_name=name)

    def _sendable(self, draft: DraftRow, anyway: bool) -> None:
        """Refuse a text holding a template marker (always) or findings (unless --anyway)."""
        current = self.current(draft)
        short = draft.draft_id[:8]
        if current is not None:
            markers = find_markers(f"{current.subject}\n{current.body}")
            if markers:
                raise NotSendable(
                    f"draft {short} still holds {markers[0]}: "
                    f"fill it in or take it out (`outreach drafts edit {short}`)"
                )
        findings = self.findings(draft, current)
        if findings and not anyway:
            more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
            raise NotSendable(
                f"draft {short} {findings[0]}{more}: edit it (`outreach drafts edit {short}`) "
                f"or send it as it is with `outreach drafts approve {short} --anyway`"
            )

    def approve(self, draft: DraftRow, *, anyway: bool = False) -> Outcome:
        if draft.status == "sent":
            return Outcome(draft, "already sent")
        self._pending(draft)
        provider = self.provider_for(self._account(draft))
        # Sent before (a crash after sending, or from the mail client): record, not resend.
        sent = provider.find_sent(draft.message_id) if draft.message_id else None
        what = "already sent" if sent is not None else "sent"
        if sent is None:
            self._sendable(draft, anyway)
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
        if kind in ("thank_you", "confirmation_ask"):
            fields["meeting_id"] = draft.meeting_id or ""
        if kind == "referrer_thanks":
            fields["about_contact_id"] = draft.about_contact_id or ""
        # Derived from the draft: approving twice records the sending once.
        self.app.journal.record(
            SENT_FOR_KIND[kind](**fields), event_id=derive_id("draft-sent", draft.draft_id)
        )

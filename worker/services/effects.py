"""Carrying out due actions: load, check the log for the key, call the provider, record.

Each effect is idempotent. The event it records has an id derived from the action's
key, so a second run (a redelivered message, a second worker, a restart) finds it
and stops. The one message sent without review, the confirmation, is looked up in
the sent mail by its Message-ID before any send, so a crash between sending and
recording never leads to a second copy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, assert_never

from events.ids import derive_id
from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.types import (
    ActionSkipped,
    ConfirmationAskDrafted,
    DeclineThanksDrafted,
    DiscardReason,
    DraftDiscarded,
    DraftKind,
    DraftUpdated,
    Event,
    KeepInTouchDrafted,
    MeetingConfirmed,
    MeetingMet,
    NoResponse,
    NudgeDrafted,
    OutreachDrafted,
    ReferrerThanksDrafted,
    ThankYouDrafted,
)
from integrations.protocol import DraftText, OutgoingMessage, Provider
from worker.domain.backoff import backing_off
from worker.domain.draft_text import body_digest, changed_by_user
from worker.domain.etiquette import check
from worker.domain.policies.actions import Action, ActionKind
from worker.domain.policies.confirmations import needs_acceptance, needs_place
from worker.services import times_effects
from worker.services.app import App
from worker.services.connected_accounts import NoAccount
from worker.services.draft_context import DraftContext
from worker.services.rendering import Rendered, Renderer

log = logging.getLogger(__name__)

ProviderFor = Callable[[AccountRow], Provider]
#: Performs one action given its event id; answers "done" or "skipped: <why>".
Handler = Callable[[Action, str], str]

_DRAFT_EVENTS: dict[ActionKind, tuple[DraftKind, type[Event]]] = {
    "draft_outreach": ("outreach", OutreachDrafted),
    "draft_nudge": ("nudge", NudgeDrafted),
    "draft_thank_you": ("thank_you", ThankYouDrafted),
    "draft_referrer_thanks": ("referrer_thanks", ReferrerThanksDrafted),
    "draft_keep_in_touch": ("keep_in_touch", KeepInTouchDrafted),
    "draft_confirmation_ask": ("confirmation_ask", ConfirmationAskDrafted),
    "draft_decline_thanks": ("decline_thanks", DeclineThanksDrafted),
}


#: Why the policies delete a waiting draft, as its discard records it.
_DELETED_BECAUSE: dict[str, DiscardReason] = {
    "superseded_by_reply": "superseded_by_reply",
    "meeting_settled": "meeting_settled",
}


def event_id_for(action: Action) -> str:
    return derive_id("action", action.key)


def message_id_for(action: Action, account_email: str) -> str:
    domain = account_email.rpartition("@")[2] or "outreach.invalid"
    return f"<{derive_id('message', action.key)}@{domain}>"


class Effects:
    """Performs actions for one application.

    Parameters:
      app: the opened application (log, views, clock, settings).
      provider_for: gives the provider of a connected account.
      renderer: renders message templates.
    """

    def __init__(self, app: App, provider_for: ProviderFor, renderer: Renderer) -> None:
        self.app = app
        self.provider_for = provider_for
        self.renderer = renderer
        self.context = DraftContext(app)
        #: The account the last action acted through: when its grant fails, that is the
        #: account to mark as needing reconnection.
        self.account: AccountRow | None = None

    def perform(self, action: Action) -> str:
        """Do the action once; return "done", "already done" or "skipped: <why>"."""
        eid = event_id_for(action)
        if self.app.journal.has(eid):
            return "already done"
        self.app.projector.catch_up()
        return self.handler_for(action.kind)(action, eid)

    def handler_for(self, kind: ActionKind) -> Handler:
        """The one handler of each action kind.

        An explicit table, never a method name built from the kind: a name lookup once
        found the `_skip` helper for "skip" and crashed on every late booking. mypy checks
        this match is exhaustive (`assert_never`), so a new kind without a handler fails
        type-checking, not a user's worker.
        """
        match kind:
            case "draft_outreach" | "draft_nudge" | "draft_thank_you":
                return self._draft
            case "draft_referrer_thanks" | "draft_keep_in_touch" | "draft_confirmation_ask":
                return self._draft
            case "draft_decline_thanks":
                return self._draft
            case "rerender_draft":
                return self._rerender_draft
            case "delete_draft":
                return self._delete_draft
            case "send_confirmation":
                return self._send_confirmation
            case "mark_met":
                return self._mark_met
            case "record_no_response":
                return self._record_no_response
            case "draft_times":
                return self._draft_times
            case "read_times_answer":
                return self._read_times_answer
            case "skip":
                return self._skip_action
            case "send_summary":
                return self._send_summary
            case _:
                assert_never(kind)

    # --- views ----------------------------------------------------------------------

    def _contact(self, contact_id: str) -> ContactRow | None:
        return self.context.contact(contact_id)

    def _meeting(self, meeting_id: str | None) -> MeetingRow | None:
        return self.context.meeting(meeting_id)

    def _account(self, account_id: str | None) -> AccountRow:
        accounts = [a for a in self.app.projector.rows(AccountRow) if a.status != "removed"]
        chosen = next((a for a in accounts if a.account_id == account_id), None)
        if chosen is None:
            chosen = next((a for a in accounts if a.status == "connected"), None)
        if chosen is None:
            raise NoAccount("no connected account: run `outreach connect google` or `microsoft`")
        if chosen.status != "connected":
            raise NoAccount(f"account {chosen.email} needs reconnecting: {chosen.command}")
        if backing_off(chosen, self.app.clock.now()):
            # The provider throttled or failed this account: calling it before the recorded
            # pause ends would only draw the same answer.
            raise NoAccount(f"account {chosen.email} is backing off until {chosen.retry_at}")
        self.account = chosen
        return chosen

    def _skip(
        self,
        action: Action,
        eid: str,
        reason: str,
        *,
        skipped: str | None = None,
        key: str | None = None,
    ) -> str:
        """Record why `action` (or, for a policy's "skip", the action it names) was not done."""
        self.app.journal.record(
            ActionSkipped(
                contact_id=action.contact_id,
                action=action.kind if skipped is None else skipped,
                key=action.key if key is None else key,
                reason=reason,
            ),
            event_id=eid,
        )
        return f"skipped: {reason}"

    # --- effects --------------------------------------------------------------------

    def _send_summary(self, action: Action, eid: str) -> str:
        from worker.services.summary import send_summary  # it reads the whole snapshot

        account = self._account(None)
        return send_summary(self.app, account, self.provider_for(account), action, eid)

    def _skip_action(self, action: Action, eid: str) -> str:
        return self._skip(
            action,
            eid,
            action.reason or "no reason given",
            skipped=action.skipped_action or "",
            key=action.key.removeprefix("skip:"),
        )

    def _mark_met(self, action: Action, eid: str) -> str:
        m = self._meeting(action.meeting_id)
        if m is None or m.status != "scheduled":
            return self._skip(action, eid, "the meeting is no longer scheduled")
        self.app.journal.record(
            MeetingMet(contact_id=m.contact_id, meeting_id=m.meeting_id), event_id=eid
        )
        return "done"

    def _record_no_response(self, action: Action, eid: str) -> str:
        c = self._contact(action.contact_id)
        if c is None or c.replied_at:
            return self._skip(action, eid, "they replied after all")
        self.app.journal.record(NoResponse(contact_id=action.contact_id), event_id=eid)
        return "done"

    def _draft_times(self, action: Action, eid: str) -> str:
        return times_effects.draft_times(self, action, eid)

    def _read_times_answer(self, action: Action, eid: str) -> str:
        return times_effects.read_times_answer(self, action, eid)

    def _delete_draft(self, action: Action, eid: str) -> str:
        draft = self.app.projector.get(DraftRow, action.draft_id or "")
        if draft is None or draft.status != "pending":
            return self._skip(action, eid, "the draft is no longer waiting")
        account = self._account(draft.account_id)
        self.provider_for(account).delete_draft(draft.provider_draft_id)
        self.app.journal.record(
            DraftDiscarded(
                contact_id=draft.contact_id,
                draft_id=draft.draft_id,
                reason=_DELETED_BECAUSE.get(action.reason or "", "superseded_by_reply"),
            ),
            event_id=eid,
        )
        return "done"

    def _send_confirmation(self, action: Action, eid: str) -> str:
        m = self._meeting(action.meeting_id)
        c = self._contact(action.contact_id)
        if m is None or c is None or m.status != "scheduled":
            return self._skip(action, eid, "the meeting is no longer scheduled")
        if action.for_start is None or datetime.fromisoformat(m.start) != action.for_start:
            return self._skip(action, eid, "the meeting moved; a new confirmation is due")
        if needs_acceptance(m) or needs_place(m):
            # Changed since the tick (an acceptance withdrawn, the place removed): never a
            # confirmation that cannot say where, or one for an invitation not accepted.
            return self._skip(action, eid, "the meeting is not accepted or has no place")
        if not c.emails:
            return self._skip(action, eid, "the contact has no e-mail address")
        account = self._account(m.account_id or c.account_id)
        provider = self.provider_for(account)
        message_id = message_id_for(action, account.email)
        rendered = self.renderer.render(
            "confirmation", self.context.base(c, account, meeting=self.context.meeting_for(m, c))
        )
        sent = provider.find_sent(message_id)
        if sent is None:
            sent = provider.send_message(
                self._outgoing(c, rendered.subject, rendered.body, message_id)
            )
        self.app.journal.record(
            MeetingConfirmed(
                contact_id=c.contact_id,
                meeting_id=m.meeting_id,
                message_id=sent.message_id,
                for_start=action.for_start,
                sent_at=self.app.clock.now(),
            ),
            event_id=eid,
        )
        return "done"

    def _draft(self, action: Action, eid: str) -> str:
        kind, event_type = _DRAFT_EVENTS[action.kind]
        c = self._contact(action.contact_id)
        if c is None or c.forgotten:
            return self._skip(action, eid, "the contact is gone")
        if not c.emails:
            return self._skip(action, eid, "the contact has no e-mail address")
        if kind == "nudge" and (c.replied_at or c.stage not in ("sent", "nudged")):
            # A reply arrived between the tick and now: a nudge would be rude.
            return self._skip(action, eid, "they replied")
        if kind == "decline_thanks" and c.closed != "declined":
            return self._skip(action, eid, "the contact was reopened")
        if kind == "confirmation_ask":
            asked = self._meeting(action.meeting_id)
            if asked is None or asked.status != "scheduled":
                return self._skip(action, eid, "the meeting is no longer scheduled")
        account = self._account(c.account_id)
        provider = self.provider_for(account)
        rendered = self._render_draft(
            kind, c, account, action.about_contact_id, action.meeting_id, action.nudge_number
        )
        in_thread = kind not in ("outreach", "referrer_thanks")
        message_id = message_id_for(action, account.email)
        ref = provider.create_draft(
            self._outgoing(c, rendered.subject, rendered.body, message_id, in_thread=in_thread)
        )
        fields: dict[str, Any] = {
            "contact_id": c.contact_id,
            "draft_id": eid,
            "account_id": account.account_id,
            "provider_draft_id": ref.provider_draft_id,
            "message_id": ref.message_id,
            "thread_id": ref.thread_id,
            "subject": rendered.subject,
            "to": c.emails[0],
            "body_digest": body_digest(rendered.body),
            # Shown at review; approving a draft with findings asks for --anyway.
            "findings": check(
                kind, rendered.subject, rendered.body, user_name=self.app.settings.profile.name
            ),
        }
        if kind == "nudge":
            fields["nudge_number"] = action.nudge_number or 1
        if kind in ("thank_you", "confirmation_ask"):
            fields["meeting_id"] = action.meeting_id or ""
        if kind == "referrer_thanks":
            fields["about_contact_id"] = action.about_contact_id or ""
        self.app.journal.record(event_type(**fields), event_id=eid)
        return "done"

    def _rerender_draft(self, action: Action, eid: str) -> str:
        """Write a waiting draft again from newer facts (notes written after it was
        prepared), unless the user changed it: the text in the mailbox is read back
        first, and one that is not what we wrote is recorded as edited and left alone.
        (An edit made between that read and our update would be lost: a window of one
        request, against a draft the user has not touched since it was prepared.)"""
        draft = self.app.projector.get(DraftRow, action.draft_id or "")
        if draft is None or draft.status != "pending":
            return self._skip(action, eid, "the draft is no longer waiting (sent or discarded)")
        if draft.edited:
            return self._skip(action, eid, "the draft was edited: the user's text stays")
        account = self._account(draft.account_id)
        provider = self.provider_for(account)
        current = provider.read_draft(draft.provider_draft_id)
        if current is None:
            return self._skip(action, eid, "the draft left the mailbox (sent or deleted)")
        if changed_by_user(draft.body_digest, current.body):
            # Recorded as the user's: never written over again.
            self._record_text(draft, draft.provider_draft_id, current, "mailbox", eid)
            return "skipped: edited in the mailbox; the user's text stays"
        rendered = self.render_draft(draft)
        ref = provider.update_draft(
            draft.provider_draft_id,
            self.outgoing_for_draft(draft, rendered.subject, rendered.body),
        )
        self._record_text(draft, ref.provider_draft_id, rendered, "worker", eid)
        return "done"

    def _record_text(
        self,
        draft: DraftRow,
        provider_draft_id: str,
        text: Rendered | DraftText,
        by: Literal["mailbox", "worker"],
        eid: str,
    ) -> None:
        """Record the text a waiting draft now holds, and who wrote it."""
        self.app.journal.record(
            DraftUpdated(
                contact_id=draft.contact_id,
                draft_id=draft.draft_id,
                provider_draft_id=provider_draft_id,
                subject=text.subject,
                body_digest=body_digest(text.body),
                by=by,
            ),
            event_id=eid,
        )

    # --- message building -----------------------------------------------------------

    def render_draft(self, draft: DraftRow) -> Rendered:
        """The text a draft was prepared with, rendered again from the same facts (the
        body itself lives only in the mailbox: the log keeps no message bodies)."""
        self.app.projector.catch_up()
        c = self._contact(draft.contact_id)
        if c is None or c.forgotten:
            raise NoAccount("the contact is gone")
        about = draft.about_contact_id or (c.referred_by if draft.kind == "outreach" else None)
        account = self._account(draft.account_id)
        return self._render_draft(
            draft.kind, c, account, about, draft.meeting_id, draft.nudge_number
        )

    def outgoing_for_draft(self, draft: DraftRow, subject: str, body: str) -> OutgoingMessage:
        """The message a draft carries, with new text but its own Message-ID and thread."""
        c = self._contact(draft.contact_id)
        if c is None or c.forgotten or not c.emails:
            raise NoAccount("the contact is gone")
        in_thread = draft.kind not in ("outreach", "referrer_thanks")
        return self._outgoing(c, subject, body, draft.message_id, in_thread=in_thread)

    def _render_draft(
        self,
        kind: DraftKind,
        c: ContactRow,
        account: AccountRow,
        about_contact_id: str | None,
        meeting_id: str | None,
        nudge_number: int | None,
    ) -> Rendered:
        if kind == "propose_times":
            return times_effects.render_offer(self, c, account)
        context = self.context.for_draft(
            kind, c, account, about_contact_id, meeting_id, nudge_number
        )
        return self.renderer.render(kind, context)

    @staticmethod
    def _outgoing(
        c: ContactRow, subject: str, body: str, message_id: str, *, in_thread: bool = True
    ) -> OutgoingMessage:
        reply_to = c.last_message_id if in_thread else None
        return OutgoingMessage(
            to=[c.emails[0]],
            subject=subject,
            body=body,
            message_id=message_id,
            thread_id=c.thread_id if in_thread else None,
            in_reply_to=reply_to,
            references=[reply_to] if reply_to else [],
        )

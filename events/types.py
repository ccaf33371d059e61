"""The typed events of an informational interview's life, from contact added to kept in touch.

Each class names its wire `TYPE`, its payload `VERSION`, and the fields that are
`PERSONAL` (encrypted with the contact's own key, so forgetting the contact
shreds them). Timestamps are aware UTC datetimes; dates are `datetime.date`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Literal

Source = Literal["manual", "csv", "linkedin", "google", "outlook", "vcard", "referral"]
ReplyKind = Literal["reply", "out_of_office", "auto_reply", "bounce"]
DraftKind = Literal[
    "outreach",
    "nudge",
    "thank_you",
    "referrer_thanks",
    "keep_in_touch",
    "propose_times",
    "confirmation_ask",
    "decline_thanks",
]
Provider = Literal["google", "microsoft", "sandbox"]

#: Why a draft left the mailbox unsent: the user, the mailbox, a reply that made it
#: wrong, a forgotten contact, or (a question about where to meet) the meeting settled.
DiscardReason = Literal[
    "user", "deleted_in_mailbox", "superseded_by_reply", "contact_forgotten", "meeting_settled"
]

#: Every event type of the log, as a literal: the projections' dispatch tables are keyed
#: by it, so mypy rejects a table entry naming no event (a test checks it matches
#: EVENT_TYPES).
EventType = Literal[
    "contact.added",
    "contact.updated",
    "contact.forgotten",
    "contact.merged",
    "contact.closed",
    "contact.reopened",
    "outreach.requested",
    "outreach.drafted",
    "nudge.drafted",
    "thank_you.drafted",
    "referrer_thanks.drafted",
    "keep_in_touch.drafted",
    "draft.updated",
    "draft.discarded",
    "outreach.sent",
    "nudge.sent",
    "contact.thanked",
    "referrer.thanked",
    "kept_in_touch",
    "reply.received",
    "times.offered",
    "times.sent",
    "confirmation_ask.drafted",
    "confirmation_ask.sent",
    "decline_thanks.drafted",
    "decline_thanks.sent",
    "times.answered",
    "outreach.no_response",
    "meeting.scheduled",
    "meeting.rescheduled",
    "meeting.details_changed",
    "meeting.confirmed",
    "meeting.cancelled",
    "meeting.declined",
    "meeting.met",
    "meeting.no_show",
    "notes.recorded",
    "outcome.recorded",
    "action.skipped",
    "action.failed",
    "account.connected",
    "account.removed",
    "sync.cursor_advanced",
    "account.needs_reconnect",
    "account.sync_failed",
    "account.sync_recovered",
    "summary.sent",
]


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every domain event."""

    TYPE: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1
    PERSONAL: ClassVar[frozenset[str]] = frozenset()
    #: Which stream family the event belongs to: a contact's or an account's.
    STREAM: ClassVar[Literal["contact", "account"]] = "contact"

    def stream_id(self) -> str:
        if self.STREAM == "account":
            return f"account-{getattr(self, 'account_id')}"  # noqa: B009
        return f"contact-{getattr(self, 'contact_id')}"  # noqa: B009

    def fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True, kw_only=True)
class ContactEvent(Event):
    contact_id: str


_CONTACT_PERSONAL = frozenset({"name", "emails", "company", "role", "how_we_know", "url"})


# --- contacts -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ContactAdded(ContactEvent):
    TYPE = "contact.added"
    VERSION = 2  # v1 had a single `email` string; see events.upcasting
    PERSONAL = _CONTACT_PERSONAL
    name: str | None
    emails: list[str] = field(default_factory=list)
    company: str | None = None
    role: str | None = None
    how_we_know: str | None = None
    url: str | None = None
    referred_by: str | None = None  # contact_id of whoever introduced us
    source: Source = "manual"


@dataclass(frozen=True, kw_only=True)
class ContactUpdated(ContactEvent):
    """Only the fields that are not None changed."""

    TYPE = "contact.updated"
    # Where someone lives is theirs too: forgetting them shreds it.
    PERSONAL = _CONTACT_PERSONAL | {"time_zone"}
    name: str | None = None
    emails: list[str] | None = None
    company: str | None = None
    role: str | None = None
    how_we_know: str | None = None
    url: str | None = None
    #: Their IANA zone, as the user set it ("" clears it): times offered to them and
    #: confirmations are written in it. Absent from older payloads, which read as None.
    time_zone: str | None = None


@dataclass(frozen=True, kw_only=True)
class ContactForgotten(ContactEvent):
    """The contact's key was destroyed; nothing personal about them is readable any more."""

    TYPE = "contact.forgotten"


@dataclass(frozen=True, kw_only=True)
class ContactMerged(ContactEvent):
    """`contact_id` and `into` are one person: `contact_id` disappears from the views and
    its meetings, drafts and referrals follow `into` (its own stream keeps its history)."""

    TYPE = "contact.merged"
    into: str


#: "complained": not the user's choice but the sync's, when the contact reported our
#: message as spam (an ARF feedback report).
CloseOutcome = Literal["declined", "not_now", "done", "complained"]


@dataclass(frozen=True, kw_only=True)
class ContactClosed(ContactEvent):
    """The user closed this path (or the contact's spam complaint did): no more nudges
    or keep-in-touch until reopened."""

    TYPE = "contact.closed"
    PERSONAL = frozenset({"note"})
    outcome: CloseOutcome
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class ContactReopened(ContactEvent):
    TYPE = "contact.reopened"


@dataclass(frozen=True, kw_only=True)
class ReachOutRequested(ContactEvent):
    """The user chose to write to this contact (never implied by an import)."""

    TYPE = "outreach.requested"


# --- messages -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DraftEvent(ContactEvent):
    """A draft of ours now sits in the user's mailbox awaiting review.

    `body_digest` fingerprints the text we wrote (worker.domain.draft_text): a draft
    read back from the mailbox with another fingerprint was changed by the user there."""

    PERSONAL = frozenset({"subject", "to", "body_digest", "findings"})
    draft_id: str  # ours, stable across edits
    account_id: str
    provider_draft_id: str
    message_id: str  # the RFC 5322 Message-ID it will carry when sent
    thread_id: str | None = None
    subject: str = ""
    to: str = ""
    body_digest: str = ""
    #: What the etiquette check found in the text as rendered (worker.domain.etiquette).
    findings: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class OutreachDrafted(DraftEvent):
    TYPE = "outreach.drafted"


@dataclass(frozen=True, kw_only=True)
class NudgeDrafted(DraftEvent):
    TYPE = "nudge.drafted"
    nudge_number: int = 1


@dataclass(frozen=True, kw_only=True)
class ThankYouDrafted(DraftEvent):
    TYPE = "thank_you.drafted"
    meeting_id: str = ""


@dataclass(frozen=True, kw_only=True)
class ReferrerThanksDrafted(DraftEvent):
    """Drafted to the referrer (`contact_id`) about the person they introduced."""

    TYPE = "referrer_thanks.drafted"
    about_contact_id: str = ""


@dataclass(frozen=True, kw_only=True)
class KeepInTouchDrafted(DraftEvent):
    TYPE = "keep_in_touch.drafted"


@dataclass(frozen=True, kw_only=True)
class DraftUpdated(ContactEvent):
    """The draft's text changed: `by` the user through `outreach drafts edit`, by the
    user in their mail client ("mailbox", noticed when the draft was read back), or by
    the worker re-rendering it from new facts ("worker", only ever an unedited draft).
    A draft the user changed is theirs: nothing automatic rewrites it afterwards."""

    TYPE = "draft.updated"
    PERSONAL = frozenset({"subject", "body_digest", "findings"})
    draft_id: str
    provider_draft_id: str
    subject: str = ""
    body_digest: str = ""
    #: The etiquette check on the new text, when it is known (None: not checked).
    findings: list[str] | None = None
    by: Literal["user", "mailbox", "worker"] = "user"


@dataclass(frozen=True, kw_only=True)
class DraftDiscarded(ContactEvent):
    TYPE = "draft.discarded"
    draft_id: str
    reason: DiscardReason


@dataclass(frozen=True, kw_only=True)
class SentEvent(ContactEvent):
    """A message of ours left the mailbox (approved here or sent from the mail client)."""

    PERSONAL = frozenset({"subject"})
    message_id: str
    account_id: str
    thread_id: str | None = None
    draft_id: str | None = None
    sent_at: datetime
    subject: str = ""


@dataclass(frozen=True, kw_only=True)
class OutreachSent(SentEvent):
    TYPE = "outreach.sent"


@dataclass(frozen=True, kw_only=True)
class NudgeSent(SentEvent):
    TYPE = "nudge.sent"
    nudge_number: int = 1


@dataclass(frozen=True, kw_only=True)
class ContactThanked(SentEvent):
    TYPE = "contact.thanked"
    meeting_id: str = ""


@dataclass(frozen=True, kw_only=True)
class ReferrerThanked(SentEvent):
    TYPE = "referrer.thanked"
    about_contact_id: str = ""


@dataclass(frozen=True, kw_only=True)
class KeptInTouch(SentEvent):
    TYPE = "kept_in_touch"


@dataclass(frozen=True, kw_only=True)
class ReplyReceived(ContactEvent):
    """A message from the contact in a tracked thread. Auto-replies and bounces are
    recorded with `auto_reply=True` and never count as a reply."""

    TYPE = "reply.received"
    PERSONAL = frozenset({"from_address", "subject", "excerpt"})
    message_id: str
    account_id: str
    thread_id: str | None = None
    received_at: datetime
    kind: ReplyKind = "reply"
    auto_reply: bool = False
    return_date: date | None = None  # from an out-of-office: a good time to nudge
    from_address: str = ""
    subject: str = ""
    excerpt: str = ""


# --- offering times (issue 18) -------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TimesOffered(DraftEvent):
    """A reply offering meeting times waits in the thread for review. The times are held
    for nobody else until `expires_at`; `starts` are ISO instants, in the order written."""

    TYPE = "times.offered"
    PERSONAL = frozenset({"subject", "to", "place"})
    starts: list[str] = field(default_factory=list)
    minutes: int = 30
    time_zone: str = "UTC"  # the user's, as the times were found in
    contact_time_zone: str = ""  # theirs when known: the times were written in it
    place: str = ""
    expires_at: datetime
    reply_message_id: str = ""  # the reply the offer answers
    note: str = ""  # why a time falls outside their daytime


@dataclass(frozen=True, kw_only=True)
class TimesOfferSent(SentEvent):
    TYPE = "times.sent"


@dataclass(frozen=True, kw_only=True)
class ConfirmationAskDrafted(DraftEvent):
    """A meeting with neither a place nor a call link is not confirmed blind: this draft,
    for review, confirms the time and asks where (or offers a call)."""

    TYPE = "confirmation_ask.drafted"
    meeting_id: str = ""


@dataclass(frozen=True, kw_only=True)
class ConfirmationAskSent(SentEvent):
    TYPE = "confirmation_ask.sent"
    meeting_id: str = ""


@dataclass(frozen=True, kw_only=True)
class DeclineThanksDrafted(DraftEvent):
    """The contact said no and the user closed them as declined: a short reply in the
    thread thanks them anyway and asks for nothing; it is the last thing ever prepared."""

    TYPE = "decline_thanks.drafted"


@dataclass(frozen=True, kw_only=True)
class DeclineThanksSent(SentEvent):
    TYPE = "decline_thanks.sent"


@dataclass(frozen=True, kw_only=True)
class TimesAnswered(ContactEvent):
    """What the contact's answer to offered times was read as: `chosen` (the `choice`-th
    time, 1-based), `taken` (one the user has booked since), `unclear`, or `declined`."""

    TYPE = "times.answered"
    PERSONAL = frozenset({"excerpt"})
    offer_id: str
    message_id: str
    outcome: Literal["chosen", "taken", "unclear", "declined"]
    choice: int | None = None
    excerpt: str = ""


@dataclass(frozen=True, kw_only=True)
class NoResponse(ContactEvent):
    """No answer after the last nudge: the policy stops writing to this contact."""

    TYPE = "outreach.no_response"


# --- meetings -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MeetingEvent(ContactEvent):
    meeting_id: str


@dataclass(frozen=True, kw_only=True)
class MeetingScheduled(MeetingEvent):
    TYPE = "meeting.scheduled"
    PERSONAL = frozenset({"place", "link"})
    account_id: str
    provider_event_id: str
    start: datetime
    end: datetime
    time_zone: str  # IANA zone the event was written in
    place: str = ""
    link: str = ""  # the video call's join link, when the event has one
    # The user's own answer to the invitation: a contact's invitation not yet accepted
    # ("needsAction", "tentative") is not confirmed in the user's name.
    user_response: str = "accepted"
    # The calendar is still making the video call: no link yet, but one is coming (a
    # later meeting.details_changed brings it, or says there is none).
    link_pending: bool = False


@dataclass(frozen=True, kw_only=True)
class MeetingRescheduled(MeetingEvent):
    TYPE = "meeting.rescheduled"
    PERSONAL = frozenset({"place", "link"})
    start: datetime
    end: datetime
    time_zone: str
    place: str = ""
    link: str = ""
    user_response: str = "accepted"
    link_pending: bool = False


@dataclass(frozen=True, kw_only=True)
class MeetingDetailsChanged(MeetingEvent):
    """The same meeting at the same time, with a new place, link, or answer of the user's
    (an invitation accepted in the calendar), or the call's link no longer to come (made,
    or failed): what a confirmation says, or whether one goes."""

    TYPE = "meeting.details_changed"
    PERSONAL = frozenset({"place", "link"})
    place: str = ""
    link: str = ""
    user_response: str = "accepted"
    link_pending: bool = False


@dataclass(frozen=True, kw_only=True)
class MeetingConfirmed(MeetingEvent):
    """The confirmation for the meeting at `for_start` was sent (automatically)."""

    TYPE = "meeting.confirmed"
    message_id: str
    for_start: datetime
    sent_at: datetime


@dataclass(frozen=True, kw_only=True)
class MeetingCancelled(MeetingEvent):
    TYPE = "meeting.cancelled"
    by: Literal["user", "contact"] = "user"


@dataclass(frozen=True, kw_only=True)
class MeetingDeclined(MeetingEvent):
    TYPE = "meeting.declined"


@dataclass(frozen=True, kw_only=True)
class MeetingMet(MeetingEvent):
    TYPE = "meeting.met"


@dataclass(frozen=True, kw_only=True)
class MeetingNoShow(MeetingEvent):
    TYPE = "meeting.no_show"


@dataclass(frozen=True, kw_only=True)
class Referral:
    name: str
    email: str | None = None


@dataclass(frozen=True, kw_only=True)
class NotesRecorded(ContactEvent):
    """Notes after a meeting; each referral named becomes a new contact referred by this one.

    `takeaway` is what stayed with the user, in their words (the thank-you quotes it);
    `went` how it went, in a sentence for whoever introduced them (their update quotes
    it); `keep_in_touch` whether the contact welcomes news (None: not said), `how` the
    way they asked for, `every_weeks` a cadence of the user's own for this contact."""

    TYPE = "notes.recorded"
    PERSONAL = frozenset({"text", "referrals", "takeaway", "went", "how"})
    meeting_id: str | None = None
    text: str = ""
    referrals: list[dict[str, str | None]] = field(default_factory=list)
    takeaway: str = ""
    went: str = ""
    keep_in_touch: bool | None = None
    how: str = ""
    every_weeks: int | None = None


@dataclass(frozen=True, kw_only=True)
class OutcomeRecorded(ContactEvent):
    """Something the user did thanks to this contact's advice ("read Inspired"): the next
    keep-in-touch note to them quotes it."""

    TYPE = "outcome.recorded"
    PERSONAL = frozenset({"text"})
    text: str


# --- the automation's own bookkeeping -----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ActionSkipped(ContactEvent):
    """Work that came due but no longer makes sense, with the reason, so "why didn't X
    happen?" always has an answer in the log."""

    TYPE = "action.skipped"
    action: str
    key: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ActionFailed(ContactEvent):
    """A permanent failure (not a transient one that a retry will fix)."""

    TYPE = "action.failed"
    action: str
    key: str
    error: str


# --- accounts -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AccountEvent(Event):
    STREAM = "account"
    account_id: str


@dataclass(frozen=True, kw_only=True)
class AccountConnected(AccountEvent):
    TYPE = "account.connected"
    provider: Provider
    email: str
    time_zone: str
    scopes: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class AccountRemoved(AccountEvent):
    TYPE = "account.removed"


@dataclass(frozen=True, kw_only=True)
class SyncCursorAdvanced(AccountEvent):
    """Where the next incremental sync of one resource starts (history id, sync token,
    delta link). Recorded only when it moves."""

    TYPE = "sync.cursor_advanced"
    resource: str
    cursor: str


@dataclass(frozen=True, kw_only=True)
class AccountNeedsReconnect(AccountEvent):
    TYPE = "account.needs_reconnect"
    reason: str
    command: str  # what the user runs to fix it


@dataclass(frozen=True, kw_only=True)
class AccountSyncFailed(AccountEvent):
    """A sync pass (resource "mailbox") or an action (resource: its kind) failed at the
    provider. `retry_at`: the worker calls the provider for this account again only from
    then on (the provider's Retry-After, or its own growing pause), so status can say
    "backing off until" and a restarted or second worker waits too."""

    TYPE = "account.sync_failed"
    resource: str
    error: str
    retry_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class AccountSyncRecovered(AccountEvent):
    """A sync pass succeeded after the failure recorded at `failed_at`: the account
    answers again. Recorded once per failure, not on every sync, and needed because an
    idle mailbox moves no cursor that would otherwise clear the error."""

    TYPE = "account.sync_recovered"
    failed_at: str  # when the failure it ends was recorded (ISO time)


@dataclass(frozen=True, kw_only=True)
class SummarySent(AccountEvent):
    """The daily summary of what waits for the user went to their own address; one per
    local `day` (its event id derives from the day, so restarts never send it twice)."""

    TYPE = "summary.sent"
    day: date
    message_id: str
    sent_at: datetime


EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        ContactAdded,
        ContactUpdated,
        ContactForgotten,
        ContactMerged,
        ContactClosed,
        ContactReopened,
        ReachOutRequested,
        OutreachDrafted,
        NudgeDrafted,
        ThankYouDrafted,
        ReferrerThanksDrafted,
        KeepInTouchDrafted,
        DraftUpdated,
        DraftDiscarded,
        OutreachSent,
        NudgeSent,
        ContactThanked,
        ReferrerThanked,
        KeptInTouch,
        ReplyReceived,
        TimesOffered,
        TimesOfferSent,
        ConfirmationAskDrafted,
        ConfirmationAskSent,
        DeclineThanksDrafted,
        DeclineThanksSent,
        TimesAnswered,
        NoResponse,
        MeetingScheduled,
        MeetingRescheduled,
        MeetingDetailsChanged,
        MeetingConfirmed,
        MeetingCancelled,
        MeetingDeclined,
        MeetingMet,
        MeetingNoShow,
        NotesRecorded,
        OutcomeRecorded,
        ActionSkipped,
        ActionFailed,
        AccountConnected,
        AccountRemoved,
        SyncCursorAdvanced,
        AccountNeedsReconnect,
        AccountSyncFailed,
        AccountSyncRecovered,
        SummarySent,
    )
}

#: The draft kinds and the event that records their sending.
DRAFT_KINDS: dict[str, DraftKind] = {
    OutreachDrafted.TYPE: "outreach",
    NudgeDrafted.TYPE: "nudge",
    ThankYouDrafted.TYPE: "thank_you",
    ReferrerThanksDrafted.TYPE: "referrer_thanks",
    KeepInTouchDrafted.TYPE: "keep_in_touch",
    TimesOffered.TYPE: "propose_times",
    ConfirmationAskDrafted.TYPE: "confirmation_ask",
    DeclineThanksDrafted.TYPE: "decline_thanks",
}
SENT_FOR_KIND: dict[DraftKind, type[SentEvent]] = {
    "outreach": OutreachSent,
    "nudge": NudgeSent,
    "thank_you": ContactThanked,
    "referrer_thanks": ReferrerThanked,
    "keep_in_touch": KeptInTouch,
    "propose_times": TimesOfferSent,
    "confirmation_ask": ConfirmationAskSent,
    "decline_thanks": DeclineThanksSent,
}

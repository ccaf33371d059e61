"""What a sync pass means for the log: provider observations in, events out.

Pure and provider-neutral, so Gmail and Outlook record exactly the same facts.
Every event id derives from provider ids (account, message or event id, and what
changed), so replaying a pass, or two workers syncing at once, appends nothing new.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, TypedDict, TypeVar

from events.entry import Entry
from events.ids import derive_id
from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.types import (
    SENT_FOR_KIND,
    ContactClosed,
    ContactThanked,
    DraftDiscarded,
    MeetingCancelled,
    MeetingDeclined,
    MeetingDetailsChanged,
    MeetingRescheduled,
    MeetingScheduled,
    NudgeSent,
    OutreachSent,
    ReferrerThanked,
    ReplyReceived,
    SentEvent,
    SyncCursorAdvanced,
)
from integrations.protocol import CalendarEventSeen, MessageSeen, SyncBatch
from worker.domain import bounces
from worker.domain.auto_replies import classify, return_date
from worker.domain.policies.snapshot import Snapshot

EXCERPT = 280
_Seen = TypeVar("_Seen", MessageSeen, CalendarEventSeen)


def _text(value: Any) -> Any:
    if isinstance(value, str):
        # NUL cannot be stored in PostgreSQL text, nor a lone surrogate in UTF-8: one such
        # character in a Message-ID or an event's location would fail the projection of
        # that event, and every event after it, on every catch-up.
        return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [_text(v) for v in value]
    if isinstance(value, dict):
        return {_text(k): _text(v) for k, v in value.items()}
    return value


def _storable(seen: _Seen) -> _Seen:
    """The observation with every text made storable (what came from outside can hold
    any character); everything else is left as it was."""
    changes = {f.name: _text(getattr(seen, f.name)) for f in dataclasses.fields(seen)}
    return dataclasses.replace(seen, **changes)


def meeting_id_for(account_id: str, provider_event_id: str) -> str:
    return derive_id("meeting", account_id, provider_event_id)


def interpret(batch: SyncBatch, snapshot: Snapshot, account: AccountRow) -> list[Entry]:
    """Events recording what `batch` saw; ids derived from provider ids."""
    by_address: dict[str, str] = {}
    for c in snapshot.contacts.values():
        if c.forgotten:
            continue
        for email in c.emails:
            by_address.setdefault(email.lower(), c.contact_id)
    ours = {d.message_id: d for d in snapshot.drafts.values() if d.message_id}
    threads = {c.thread_id: c.contact_id for c in snapshot.contacts.values() if c.thread_id}
    entries: list[Entry] = []
    sent_drafts: set[str] = set()
    messages = [_storable(m) for m in batch.messages]
    for msg in sorted(messages, key=lambda m: m.date):
        if msg.calendar_method is not None:
            # A meeting invitation, response or cancellation (theirs or the user's own
            # "Accepted: ..."): the calendar is the source of truth for meetings and
            # records them as meeting.* events; the mail is not conversation. Skipped,
            # not recorded as a kind of reply: recorded, it would still become the
            # contact's last message (nudges would answer the invitation) and thread.
            continue
        if msg.sent_by_user:
            entries += _sent(msg, account, by_address, ours, snapshot, sent_drafts, threads)
        else:
            entries += _received(msg, account, by_address, threads, _our_ids(snapshot))
    by_provider_draft = {d.provider_draft_id: d for d in snapshot.drafts.values()}
    for gone in batch.drafts_gone:
        draft = by_provider_draft.get(gone.provider_draft_id)
        if draft is None or draft.status != "pending" or draft.draft_id in sent_drafts:
            continue
        entries.append(
            Entry(
                DraftDiscarded(
                    contact_id=draft.contact_id,
                    draft_id=draft.draft_id,
                    reason="deleted_in_mailbox",
                ),
                derive_id("draft-gone", account.account_id, gone.provider_draft_id),
            )
        )
    for event in batch.events:
        entries += _calendar(_storable(event), account, by_address, snapshot)
    for resource, cursor in sorted(batch.cursors.items()):
        if account.cursors.get(resource) != cursor:
            entries.append(
                Entry(
                    SyncCursorAdvanced(
                        account_id=account.account_id, resource=resource, cursor=cursor
                    ),
                    # The transition, not the value: a cursor may come back to an old value.
                    derive_id(
                        "cursor",
                        account.account_id,
                        resource,
                        account.cursors.get(resource, ""),
                        cursor,
                        account.last_sync_at or "",
                    ),
                )
            )
    return entries


def _sent(
    msg: MessageSeen,
    account: AccountRow,
    by_address: dict[str, str],
    ours: dict[str, DraftRow],
    snapshot: Snapshot,
    sent_drafts: set[str],
    threads: dict[str, str],
) -> list[Entry]:
    eid = derive_id("sent", account.account_id, msg.provider_message_id)
    # By the Message-ID we gave it, also when the provider replaced the one it carries.
    draft = ours.get(msg.message_id) or ours.get(msg.our_message_id or "")
    if draft is not None:
        # A draft of ours went out (approved here or sent from the mail client).
        sent_drafts.add(draft.draft_id)
        if draft.status != "pending":
            return []
        return [Entry(_sent_event(draft, msg, account.account_id), eid)]
    entries = []
    for address in [*msg.to, *msg.cc]:
        cid = by_address.get(address.lower())
        contact = snapshot.contacts.get(cid or "")
        if contact is None or contact.outreach_sent_at or contact.thread_id:
            continue  # part of a conversation already under way
        if msg.thread_id and threads.get(msg.thread_id) not in (None, cid):
            continue
        entries.append(
            Entry(
                OutreachSent(
                    contact_id=contact.contact_id,
                    message_id=msg.message_id,
                    account_id=account.account_id,
                    thread_id=msg.thread_id,
                    sent_at=msg.date,
                    subject=msg.subject,
                ),
                derive_id(eid, contact.contact_id),
            )
        )
    return entries


def _our_ids(snapshot: Snapshot) -> dict[str, str]:
    """Contact by the bare Message-ID of mail we wrote them (or last exchanged)."""
    ids = {_bare(c.last_message_id): c.contact_id for c in snapshot.contacts.values()}
    ids.update({_bare(d.message_id): d.contact_id for d in snapshot.drafts.values()})
    ids.pop("", None)
    return ids


def _bare(message_id: str | None) -> str:
    return (message_id or "").strip().strip("<>")


def _received(
    msg: MessageSeen,
    account: AccountRow,
    by_address: dict[str, str],
    threads: dict[str, str],
    our_ids: dict[str, str],
) -> list[Entry]:
    report = bounces.read(msg.raw) if msg.raw is not None else None
    kind = classify(msg, report)
    if kind == "notice":
        return []  # a delay or success notice: no reply, no bounce
    if report is not None and kind in ("bounce", "complaint"):
        # Most reports carry no In-Reply-To: the contacts are those whose address failed
        # (or who complained), else those whose message it quotes; the thread only as a
        # last resort.
        named = {by_address[a] for a in report.recipients if a in by_address}
        named = named or {our_ids[i] for i in map(_bare, report.message_ids) if i in our_ids}
        cids = sorted(named)
    else:
        cids = [cid] if (cid := by_address.get(msg.from_address.lower())) else []
    if not cids and msg.thread_id and msg.thread_id in threads:
        # Replies from another address of theirs, and bounces Gmail threads with the
        # message that bounced: matched by thread.
        cids = [threads[msg.thread_id]]
    back = (
        return_date(f"{msg.subject}\n{msg.excerpt}", msg.date) if kind == "out_of_office" else None
    )
    base = derive_id("received", account.account_id, msg.provider_message_id)
    if kind == "complaint":
        # They told their mail provider our message was spam: never an answer, and nothing
        # more may go to them unless the user reopens the contact.
        return [
            Entry(
                ContactClosed(contact_id=cid, outcome="complained"),
                base if n == 0 else derive_id(base, cid),
            )
            for n, cid in enumerate(cids)
        ]
    return [
        Entry(
            ReplyReceived(
                contact_id=cid,
                message_id=msg.message_id,
                account_id=account.account_id,
                thread_id=msg.thread_id,
                received_at=msg.date,
                kind=kind,
                auto_reply=kind != "reply",
                return_date=back,
                from_address=msg.from_address,
                subject=msg.subject,
                excerpt=msg.excerpt[:EXCERPT],
            ),
            # One report can name several contacts; the first keeps the id it always had.
            base if n == 0 else derive_id(base, cid),
        )
        for n, cid in enumerate(cids)
    ]


def _calendar(
    event: CalendarEventSeen,
    account: AccountRow,
    by_address: dict[str, str],
    snapshot: Snapshot,
) -> list[Entry]:
    mid = meeting_id_for(account.account_id, event.provider_event_id)
    known = snapshot.meetings.get(mid)
    if event.all_day:
        return []
    if known is not None:
        cid = known.contact_id
    else:
        cid = next((by_address[a.lower()] for a in event.attendees if a.lower() in by_address), "")
    if not cid:
        return []  # no tracked contact among the attendees
    base = ("calendar", account.account_id, event.provider_event_id)
    if event.status == "cancelled":
        if known is None or known.status in ("cancelled", "declined"):
            return []
        return [
            Entry(
                MeetingCancelled(contact_id=cid, meeting_id=mid, by="contact"),
                derive_id(*base, "cancelled"),
            )
        ]
    email = next(
        (e for e, c in by_address.items() if c == cid and e in _lower(event.attendees)), ""
    )
    if _lower(event.attendees).get(email) == "declined":
        if known is not None and known.status == "declined":
            return []
        return [
            Entry(MeetingDeclined(contact_id=cid, meeting_id=mid), derive_id(*base, "declined"))
        ]
    if event.start is None or event.end is None:
        return []
    # The user's own answer: a contact's invitation stays "needsAction" until the user
    # accepts it (an event of the user's own lists nobody for them: theirs, accepted).
    mine = _lower(event.attendees).get(account.email.lower(), "accepted")
    if known is None or known.status in ("cancelled", "declined"):
        return [
            Entry(
                MeetingScheduled(
                    contact_id=cid,
                    meeting_id=mid,
                    account_id=account.account_id,
                    provider_event_id=event.provider_event_id,
                    start=event.start,
                    end=event.end,
                    time_zone=event.time_zone or account.time_zone,
                    place=event.location,
                    link=event.link,
                    user_response=mine,
                    link_pending=event.link_pending,
                ),
                derive_id(*base, "scheduled", event.start.isoformat()),
            )
        ]
    if (
        datetime.fromisoformat(known.start) != event.start
        or datetime.fromisoformat(known.end) != event.end
    ):
        return [
            Entry(
                MeetingRescheduled(
                    contact_id=cid,
                    meeting_id=mid,
                    start=event.start,
                    end=event.end,
                    time_zone=event.time_zone or known.time_zone,
                    place=event.location,
                    link=event.link,
                    user_response=mine,
                    link_pending=event.link_pending,
                ),
                derive_id(*base, "rescheduled", event.start.isoformat(), event.end.isoformat()),
            )
        ]
    details = (event.location, event.link, mine)
    same = details == (known.place or "", known.link or "", known.user_response)
    if not same or event.link_pending != known.link_pending:
        # Same time, new place, link or answer (an invitation accepted), or a call that
        # was being made done (its link) or failed (none): what the confirmation says,
        # or whether one goes at all.
        pending = ("link-pending",) if event.link_pending else ()
        return [
            Entry(
                MeetingDetailsChanged(
                    contact_id=cid,
                    meeting_id=mid,
                    place=event.location,
                    link=event.link,
                    user_response=mine,
                    link_pending=event.link_pending,
                ),
                derive_id(*base, "details", known.start, *details, *pending),
            )
        ]
    return []


def _lower(attendees: dict[str, str]) -> dict[str, str]:
    return {a.lower(): s for a, s in attendees.items()}


class _Sent(TypedDict):
    """The fields every sent event has, checked by mypy where they are spread."""

    contact_id: str
    message_id: str
    account_id: str
    thread_id: str | None
    draft_id: str | None
    sent_at: datetime
    subject: str


def _sent_event(draft: DraftRow, msg: MessageSeen, account_id: str) -> SentEvent:
    """The event recording that `draft` went out as `msg`, with what its kind also names."""
    common: _Sent = {
        "contact_id": draft.contact_id,
        "message_id": msg.message_id,
        "account_id": account_id,
        "thread_id": msg.thread_id,
        "draft_id": draft.draft_id,
        "sent_at": msg.date,
        "subject": msg.subject,
    }
    match draft.kind:
        case "nudge":
            return NudgeSent(**common, nudge_number=draft.nudge_number or 1)
        case "thank_you":
            return ContactThanked(**common, meeting_id=draft.meeting_id or "")
        case "referrer_thanks":
            return ReferrerThanked(**common, about_contact_id=draft.about_contact_id or "")
        case _:
            return SENT_FOR_KIND[draft.kind](**common)

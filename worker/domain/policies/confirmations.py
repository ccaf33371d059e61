"""Meeting confirmations: the only message sent without review, the day before, never at night."""

from __future__ import annotations

from datetime import datetime, timedelta

from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from worker.domain.meeting_time import where
from worker.domain.policies.actions import Action, delete_draft
from worker.domain.policies.snapshot import Snapshot
from worker.domain.policies.windows import (
    earliest_in_window_after,
    latest_in_window_before,
    latest_with_room,
    windows_overlap,
)
from worker.domain.settings import Policy

#: How much of the send window a confirmation leaves after its planned moment. A send
#: that fails there (the provider throttling, a restart) is tried again as the account's
#: pauses allow (worker/domain/backoff.py: up to 30 minutes), and the window closing
#: first would push it to the next day's window, or, with the meeting then too close,
#: cost it altogether: planned at the window's last minute, a few minutes of outage did.
RETRY_ROOM = timedelta(hours=1)


def confirmation_key(meeting_id: str, start: datetime) -> str:
    # Keyed by the start time: a reschedule needs a new confirmation, a retry does not.
    return f"confirm:{meeting_id}:{start.isoformat()}"


def reader_zone(snapshot: Snapshot, meeting: MeetingRow) -> str:
    """Where the confirmation's reader is: the zone set for the contact, else the one the
    meeting was written in (theirs when they invited the user)."""
    contact = snapshot.contacts.get(meeting.contact_id)
    return (contact.time_zone if contact else None) or meeting.time_zone


def confirmation_time(
    meeting: MeetingRow, policy: Policy, reader: str | None = None
) -> datetime | None:
    """When the confirmation for the meeting's current time should go out, or None if
    none should (booked too close to the start, or no moment in the send window).
    `reader`: the reader's zone (`reader_zone`), the meeting's by default."""
    start = datetime.fromisoformat(meeting.start)
    booked = datetime.fromisoformat(meeting.status_at or meeting.scheduled_at)
    latest_ok = start - timedelta(hours=policy.confirm_not_within_hours)
    ideal = start - timedelta(hours=policy.confirm_hours_before)
    zones = _zones(meeting, policy, reader or meeting.time_zone)
    window = (policy.send_window_start, policy.send_window_end)
    if ideal >= booked:
        # As close to a day before as the window allows, leaving room to try again in it
        # (or its last minute, when no stretch of window that long lies in between).
        at = latest_with_room(ideal, booked, zones, *window, RETRY_ROOM)
        at = at or latest_in_window_before(ideal, booked, zones, *window)
        if at is not None:
            return at
    # Booked less than a day ahead (or no window between booking and the ideal time):
    # as soon as the window allows, if that is still comfortably before the meeting.
    at = earliest_in_window_after(max(booked, min(ideal, latest_ok)), zones, *window)
    if at is None or at > latest_ok:
        return None
    return at


def needs_acceptance(meeting: MeetingRow) -> bool:
    """A contact's invitation the user has not accepted: nothing confirms it in their name
    (status says "accept it in your calendar"); it is confirmed once accepted."""
    return meeting.user_response not in ("accepted", "")


def _has_where(meeting: MeetingRow) -> bool:
    """A place or a call link a confirmation can name."""
    return bool(where(meeting.place or "", meeting.link or ""))


def needs_place(meeting: MeetingRow) -> bool:
    """No place and no call link, nor one to come: a confirmation could not say where, so
    a draft asks."""
    return not _has_where(meeting) and not meeting.link_pending


def link_to_come(meeting: MeetingRow) -> bool:
    """No place and no link yet, but the calendar is still making the video call (Google
    answers a Meet request "pending" and attaches the link later): asking the contact
    where would be wrong, the link comes with a later sync."""
    return meeting.link_pending and not _has_where(meeting)


def where_settled(meeting: MeetingRow) -> bool:
    """The meeting has a place or a call link now, or is off: asking where is no longer
    needed."""
    return meeting.status != "scheduled" or _has_where(meeting)


def removable_ask(draft: DraftRow) -> bool:
    """A question about where to meet still waiting and untouched by the user (an edit is
    theirs to send or drop): what `stale_where_drafts` may delete."""
    return draft.kind == "confirmation_ask" and draft.status == "pending" and not draft.edited


def stale_where_drafts(snapshot: Snapshot, now: datetime) -> list[Action]:
    """A question about where to meet that is waiting while the meeting has since got its
    place or link (the calendar's call link came, the user added an address) or is off:
    sent, it would ask what the invitation answers. Deleted, unless the user has made it
    their own."""
    actions: list[Action] = []
    for d in snapshot.drafts.values():
        if not removable_ask(d):
            continue
        m = snapshot.meetings.get(d.meeting_id or "")
        if m is not None and where_settled(m):
            actions.append(delete_draft(d.draft_id, d.contact_id, now, "meeting_settled"))
    return actions


def asked_where(snapshot: Snapshot, meeting: MeetingRow) -> bool:
    """A draft asking where was made for the meeting's current time."""
    return any(
        d.meeting_id == meeting.meeting_id and d.created_at >= meeting.status_at
        for d in snapshot.drafts_of(meeting.contact_id, "confirmation_ask")
    )


def due_confirmations(snapshot: Snapshot, now: datetime, policy: Policy) -> list[Action]:
    actions: list[Action] = []
    for m in snapshot.meetings.values():
        if m.status != "scheduled":
            continue  # cancelled, declined, met: nothing to confirm
        start = datetime.fromisoformat(m.start)
        if m.confirmed_for_start and datetime.fromisoformat(m.confirmed_for_start) == start:
            continue
        if start <= now or needs_acceptance(m):
            continue
        if needs_place(m):
            actions += _ask_where(snapshot, m, start, now)
            continue
        key = confirmation_key(m.meeting_id, start)
        reader = reader_zone(snapshot, m)
        at = confirmation_time(m, policy, reader)
        if link_to_come(m):
            # Nothing to confirm without the link, nor to ask while it is coming; still
            # without it when the confirmation is due, the draft asks where after all.
            if at is not None and now >= at:
                actions += _ask_where(snapshot, m, start, now)
            continue
        latest_ok = start - timedelta(hours=policy.confirm_not_within_hours)
        if at is None or now > latest_ok:
            if key not in snapshot.skipped:
                reason = (
                    "booked less than "
                    f"{policy.confirm_not_within_hours} hours ahead: no time to confirm"
                    if at is None
                    else f"came due while nothing ran; the meeting starts within "
                    f"{policy.confirm_not_within_hours} hours"
                )
                actions.append(_skip(m, key, now, reason))
            continue
        if at > now:
            continue
        if now > at:
            # Done late (the worker was not running): still fine if in the window now.
            late = earliest_in_window_after(now, _zones(m, policy, reader), *_window(policy))
            if late is None or late > now:
                continue  # wait for the window to open; the next tick decides again
        actions.append(
            Action(
                kind="send_confirmation",
                key=key,
                contact_id=m.contact_id,
                due_at=at,
                meeting_id=m.meeting_id,
                for_start=start,
            )
        )
    return actions


def _ask_where(snapshot: Snapshot, m: MeetingRow, start: datetime, now: datetime) -> list[Action]:
    """A draft confirming the time and asking where, once per start time (a reschedule
    asks again); the user reviews it like any draft."""
    if asked_where(snapshot, m):
        return []
    return [
        Action(
            kind="draft_confirmation_ask",
            key=f"confirm-ask:{m.meeting_id}:{start.isoformat()}",
            contact_id=m.contact_id,
            due_at=now,
            meeting_id=m.meeting_id,
            for_start=start,
        )
    ]


def _zones(meeting: MeetingRow, policy: Policy, reader: str) -> list[str]:
    """The zones the send window must hold in: the user's and the reader's, or, when the
    two windows never overlap (New York and Singapore), the reader's alone: their night
    is never broken, and the user's window gives way (the message sends itself)."""
    zones = [policy.time_zone]
    if reader and reader not in zones:
        zones.append(reader)
        start = datetime.fromisoformat(meeting.start)
        if not windows_overlap(zones, *_window(policy), around=start):
            return [reader]
    return zones


def _window(policy: Policy) -> tuple[int, int]:
    return policy.send_window_start, policy.send_window_end


def _skip(m: MeetingRow, key: str, now: datetime, reason: str) -> Action:
    return Action(
        kind="skip",
        key=f"skip:{key}",
        contact_id=m.contact_id,
        due_at=now,
        meeting_id=m.meeting_id,
        skipped_action="send_confirmation",
        reason=reason,
    )

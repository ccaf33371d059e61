"""Inviting a contact to a meeting the user chose: reading the time as they wrote it,
creating the calendar event once however often it is retried, and recording it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from events.ids import derive_id
from events.projections.accounts import AccountRow
from events.projections.pipeline import ContactRow
from events.types import MeetingScheduled
from integrations.protocol import EventRequest, Provider
from worker.domain.addresses import InvalidInput, check_text
from worker.domain.meeting_time import where
from worker.domain.slots import BusyDay, Interval
from worker.domain.sync_records import meeting_id_for
from worker.services.app import App
from worker.services.connected_accounts import NoAccount, resolve_account
from worker.services.contacts import ContactBook
from worker.services.offers import busy_between, latest_offer

_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")


def parse_when(text: str, zone: str) -> datetime:
    """An aware start time from ISO 8601 or "YYYY-MM-DD HH:MM"; without an offset it is
    read in `zone` (the user's), the way they said it."""
    value = text.strip()
    found: datetime | None = None
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _FORMATS:
            try:
                found = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if found is None:
        raise InvalidInput(f"WHEN: {text!r} is not a time (use 2026-03-05 15:00 or ISO 8601)")
    if found.tzinfo is None:
        found = found.replace(tzinfo=ZoneInfo(zone))
    return found


@dataclass(frozen=True)
class Invitation:
    contact: ContactRow
    account: AccountRow
    request: EventRequest
    provider_event_id: str
    meeting_id: str
    #: The event in the user's calendar, and the video call's join link when made.
    calendar_link: str = ""
    link: str = ""


def plan(
    app: App,
    contact_ref: str,
    when: str,
    *,
    minutes: int,
    place: str | None = None,
    summary: str | None = None,
) -> tuple[ContactRow, EventRequest]:
    """The event to create, or a one-line refusal (unknown contact, no address, a time
    in the past, a bad duration). Without `place`, the user's default from settings."""
    contact = ContactBook(app).resolve(contact_ref)
    if not contact.emails:
        raise InvalidInput(f"{contact.name}: no e-mail address to invite; add one first")
    if not 5 <= minutes <= 8 * 60:
        raise InvalidInput("--minutes: between 5 and 480")
    zone = app.settings.policy.time_zone
    start = parse_when(when, zone)
    now = app.clock.now()
    if start <= now:
        shown = start.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
        raise InvalidInput(f"WHEN: {shown} ({zone}) is in the past")
    # Written in the user's zone: the invitation and every confirmation show that time.
    start = start.astimezone(ZoneInfo(zone))
    name = app.settings.profile.name
    said = check_text(
        app.settings.policy.meeting_place if place is None else place, "--place", max_len=500
    )
    # A video call named without its link ("a video call (I will send the link with the
    # invitation)"): the provider makes the call, and its link is where; the words alone
    # would leave nobody able to join, and the confirmation would have to ask where.
    video_call = bool(said.strip()) and not where(said, "")
    request = EventRequest(
        summary=summary or f"{contact.name} / {name}",
        start=start,
        end=start + timedelta(minutes=minutes),
        time_zone=zone,
        attendees=[contact.emails[0]],
        location="" if video_call else said,
        video_call=video_call,
        # The same contact at the same start is the same meeting: a retry of the command
        # (or of a lost answer) finds the first event instead of inviting twice.
        request_id=derive_id("schedule", contact.contact_id, start.isoformat()),
    )
    return contact, request


def plan_offered(app: App, contact_ref: str, number: int) -> tuple[ContactRow, EventRequest]:
    """The event for the `number`-th time offered to the contact (1-based), at the length
    and place offered, its description naming the thread the time was chosen in."""
    contact = ContactBook(app).resolve(contact_ref)
    found = latest_offer(app, contact.contact_id)
    if found is None:
        raise InvalidInput(f"--offered: no times were offered to {contact.name}")
    offer = found[0]
    if not 1 <= number <= len(offer.starts):
        raise InvalidInput(
            f"--offered: {number} is not one of the {len(offer.starts)} times offered to "
            f"{contact.name}"
        )
    person, request = plan(
        app,
        contact.contact_id,
        offer.starts[number - 1],
        minutes=offer.minutes,
        place=offer.place,
    )
    subject = offer.subject or "our e-mails"
    note = f'The time {contact.name} chose in the thread "{subject}".'
    return person, replace(request, description=note)


def still_free(app: App, provider: Provider, request: EventRequest) -> bool:
    """Whether nothing was booked over the request's time since it was offered."""
    wanted = Interval(request.start, request.end)
    for taken in busy_between(app, provider, request.start, request.end):
        if isinstance(taken, BusyDay) or wanted.overlaps(taken):
            return False
    return True


def invite(
    app: App, provider: Provider, account: AccountRow, contact: ContactRow, request: EventRequest
) -> Invitation:
    """Create the event on `account` (invitations sent by the provider) and record the
    meeting with the call link the calendar answered, so the confirmation can say where
    before any sync. The event id is the one the calendar sync derives for the same event
    and start, so the sync seeing this event records nothing more.
    """
    created = provider.create_event(request)
    event_id = created.provider_event_id
    meeting_id = meeting_id_for(account.account_id, event_id)
    app.journal.record(
        MeetingScheduled(
            contact_id=contact.contact_id,
            meeting_id=meeting_id,
            account_id=account.account_id,
            provider_event_id=event_id,
            start=request.start,
            end=request.end,
            time_zone=request.time_zone,
            place=request.location,
            link=created.link,
            link_pending=created.link_pending,
        ),
        event_id=derive_id(
            "calendar", account.account_id, event_id, "scheduled", request.start.isoformat()
        ),
    )
    app.projector.catch_up()
    return Invitation(
        contact,
        account,
        request,
        event_id,
        meeting_id,
        calendar_link=created.calendar_link,
        link=created.link,
    )


def scheduling_account(app: App, ref: str | None = None) -> AccountRow:
    """The connected account to invite from: the one named, or the only one."""
    if ref:
        row = resolve_account(app, ref)
        if row.status != "connected":
            raise NoAccount(f"account {row.email} is {row.status.replace('_', ' ')}")
        return row
    app.projector.catch_up()
    rows = [r for r in app.projector.rows(AccountRow) if r.status == "connected"]
    if not rows:
        raise NoAccount(
            "no connected account to invite from (outreach connect google --client-secrets FILE)"
        )
    if len(rows) > 1:
        raise NoAccount(
            "several accounts are connected: choose one with --account "
            + ", ".join(r.email for r in rows)
        )
    return rows[0]

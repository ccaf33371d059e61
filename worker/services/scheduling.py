"""Inviting a contact, from the page's form or `outreach schedule`: the account to invite
from, the time typed or one of those offered, an offered time still free, the invitation
(services/invitations.py); and the times offered, for the page to show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from events.projections.accounts import AccountRow
from events.projections.pipeline import ContactRow
from integrations.protocol import Provider
from worker.domain.addresses import InvalidInput
from worker.services.app import App
from worker.services.invitations import (
    Invitation,
    invite,
    plan,
    plan_offered,
    scheduling_account,
    still_free,
)
from worker.services.offers import latest_offer
from worker.services.timeline import local_time


class TimeTaken(InvalidInput):
    """The offered time chosen was booked for something else since it was offered."""


@dataclass(frozen=True)
class OfferedTime:
    #: What `outreach schedule --offered N` calls it (1-based, in the order written).
    number: int
    #: The start in the user's zone.
    when: str
    #: The time their answer chose.
    chosen: bool


@dataclass(frozen=True)
class Offer:
    times: list[OfferedTime]
    minutes: int
    place: str
    #: Until when the times were held for them (they may still be free after).
    held_until: str


def offer_for(app: App, row: ContactRow) -> Offer | None:
    """The times last offered to the contact, to choose one from (None: none offered)."""
    if not row.times_offered_at:
        return None
    found = latest_offer(app, row.contact_id)
    if found is None or not found[0].starts:
        return None
    offer = found[0]
    zone = app.settings.policy.time_zone
    choice = row.times_choice if row.times_answer in ("chosen", "taken") else None
    return Offer(
        times=[
            OfferedTime(n, local_time(datetime.fromisoformat(s), zone), n == choice)
            for n, s in enumerate(offer.starts, start=1)
        ],
        minutes=offer.minutes,
        place=offer.place,
        held_until=local_time(offer.expires_at, zone),
    )


def schedule_meeting(
    app: App,
    provider_for: Callable[[AccountRow], Provider],
    contact_ref: str,
    *,
    when: str | None = None,
    offered: int | None = None,
    minutes: int = 30,
    place: str | None = None,
    account: str | None = None,
) -> Invitation:
    """Invite the contact at `when` (as `outreach schedule CONTACT WHEN` reads it) or at
    the `offered`-th time offered to them, which must still be free in the calendar."""
    if (when is None) == (offered is None):
        raise InvalidInput("schedule: give a time or choose one of the times offered")
    row = scheduling_account(app, account)
    if offered is not None:
        person, request = plan_offered(app, contact_ref, offered)
    else:
        person, request = plan(app, contact_ref, str(when), minutes=minutes, place=place)
    provider = provider_for(row)
    if offered is not None and not still_free(app, provider, request):
        raise TimeTaken("that time is no longer free in your calendar: offer them another")
    return invite(app, provider, row, person, request)

"""Offered times as the log holds them: the view the times policy reads, a contact's
latest offer and reply (with their personal fields), and the busy times of a window."""

from __future__ import annotations

from datetime import datetime, timedelta

from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.types import ReplyReceived, TimesOffered
from integrations.protocol import Provider
from worker.domain.offers import OfferRow, ReplySeen, TimesView
from worker.domain.slots import BusyDay, Interval
from worker.services.app import App

_TYPES = ("reply.received", "times.offered", "times.answered")


def _when(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def offer_row(offer: TimesOffered, offered_at: datetime) -> OfferRow:
    return OfferRow(
        offer_id=offer.draft_id,
        contact_id=offer.contact_id,
        starts=tuple(datetime.fromisoformat(s) for s in offer.starts),
        minutes=offer.minutes,
        offered_at=offered_at,
        expires_at=offer.expires_at,
    )


def load_times_view(app: App) -> TimesView:
    """Offers, latest replies and answers read, from the log (no personal field opened)."""
    offers: dict[str, list[OfferRow]] = {}
    last: dict[str, ReplySeen] = {}
    answered: set[str] = set()
    for stored in app.store.read_all(types=_TYPES):
        p = app.codec.open(stored.type, stored.schema_version, dict(stored.payload), personal=False)
        cid = str(p["contact_id"])
        if stored.type == "reply.received":
            if p.get("auto_reply") or p.get("kind", "reply") != "reply":
                continue
            last[cid] = ReplySeen(str(p["message_id"]), _when(p["received_at"]))
        elif stored.type == "times.offered":
            offers.setdefault(cid, []).append(
                OfferRow(
                    offer_id=str(p["draft_id"]),
                    contact_id=cid,
                    starts=tuple(datetime.fromisoformat(s) for s in p.get("starts") or []),
                    minutes=int(p.get("minutes", 30)),
                    offered_at=stored.occurred_at,
                    expires_at=_when(p["expires_at"]),
                )
            )
        else:
            answered.add(str(p["message_id"]))
    return TimesView(offers=offers, last_reply=last, answered=frozenset(answered))


def latest_offer(app: App, contact_id: str) -> tuple[TimesOffered, datetime] | None:
    """The contact's latest offer, with when it was made."""
    found = None
    for d in app.journal.contact_history(contact_id):
        if isinstance(d.event, TimesOffered):
            found = (d.event, d.stored.occurred_at)
    return found


def latest_reply(app: App, contact_id: str) -> ReplyReceived | None:
    """The contact's latest reply written by a person, with its excerpt."""
    found = None
    for d in app.journal.contact_history(contact_id):
        e = d.event
        if isinstance(e, ReplyReceived) and not e.auto_reply and e.kind == "reply":
            found = e
    return found


def busy_between(
    app: App, provider: Provider, start: datetime, end: datetime
) -> list[Interval | BusyDay]:
    """The user's calendar over [start, end), with the meetings the log knows (a meeting
    just booked may not be in the calendar's answer yet)."""
    taken: list[Interval | BusyDay] = []
    for b in provider.busy(start, end):
        if b.all_day:
            last = (b.end - timedelta(days=1)).date() if b.end > b.start else b.start.date()
            taken.append(BusyDay(b.start.date(), max(last, b.start.date())))
        else:
            taken.append(Interval(b.start, b.end))
    for m in app.projector.find(MeetingRow, status="scheduled"):
        if m.start and m.end:
            taken.append(Interval(datetime.fromisoformat(m.start), datetime.fromisoformat(m.end)))
    return taken


def contact_zone(app: App, contact_id: str, about: MeetingRow | None = None) -> str | None:
    """The contact's zone when known: the one the user set for them, else the zone a
    meeting with them was set in when it differs from the user's (an event written in
    the user's zone says nothing), the meeting written `about` first."""
    contact = app.projector.get(ContactRow, contact_id)
    if contact is not None and contact.time_zone:
        return contact.time_zone
    mine = app.settings.policy.time_zone
    theirs = app.projector.find(MeetingRow, contact_id=contact_id)
    for m in [*([about] if about else []), *theirs]:
        if m.time_zone and m.time_zone != mine:
            return m.time_zone
    return None

"""The effects of offering times: the reply draft with three free times, and reading the
contact's answer to it. Called from `Effects.handler_for`; idempotent like every effect
(the events' ids derive from the action key)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from events.ids import derive_id
from events.projections.pipeline import ContactRow
from events.types import TimesAnswered, TimesOffered
from worker.domain.answers import offered_until, read_answer, says_no
from worker.domain.meeting_time import when
from worker.domain.policies.actions import Action
from worker.domain.policies.times import held_times
from worker.domain.slots import BusyDay, Interval, find_slots
from worker.services.offers import (
    busy_between,
    contact_zone,
    latest_offer,
    latest_reply,
    load_times_view,
    offer_row,
)
from worker.services.rendering import Rendered

if TYPE_CHECKING:
    from events.projections.accounts import AccountRow
    from worker.services.effects import Effects

#: How far ahead the calendar is read: two working weeks and the weekends around them.
WINDOW = timedelta(days=21)


def _languages(fx: Effects) -> list[str]:
    return [x.strip() for x in fx.app.settings.policy.answer_languages.split(",") if x.strip()]


def times_context(offer: TimesOffered) -> dict[str, Any]:
    """What propose_times.txt.j2 reads: the times as the contact reads them, the length,
    the place, and whether some fall outside their daytime."""
    reader = offer.contact_time_zone or offer.time_zone
    return {
        "offered": [when(datetime.fromisoformat(s), reader, offer.time_zone) for s in offer.starts],
        "minutes": offer.minutes,
        "place": offer.place,
        "note": offer.note,
    }


def render_offer(fx: Effects, c: ContactRow, account: AccountRow) -> Rendered:
    """The offer's text, rendered again from the facts in the log (drafts review)."""
    found = latest_offer(fx.app, c.contact_id)
    if found is None:
        raise LookupError(f"no times were offered to {c.contact_id}")
    offer = found[0]
    context = fx.context.base(c, account, times=times_context(offer))
    return fx.renderer.render("propose_times", context)


def draft_times(fx: Effects, action: Action, eid: str) -> str:
    """The reply offering three free times, as a draft in the thread."""
    app = fx.app
    policy = app.settings.policy
    c = fx._contact(action.contact_id)
    if c is None or c.forgotten:
        return fx._skip(action, eid, "the contact is gone")
    if not c.emails:
        return fx._skip(action, eid, "the contact has no e-mail address")
    if c.stage != "replied":
        return fx._skip(action, eid, "a meeting is already arranged")
    reply = latest_reply(app, c.contact_id)
    if reply is None:
        return fx._skip(action, eid, "no reply to answer")
    if says_no(f"{reply.subject}\n{reply.excerpt}", _languages(fx)):
        # Never closed without the user: read as a no (the pipeline and the summary
        # suggest `outreach close`), and nothing is offered.
        app.journal.record(
            TimesAnswered(
                contact_id=c.contact_id,
                offer_id="",
                message_id=reply.message_id,
                outcome="declined",
                excerpt=reply.excerpt,
            ),
            event_id=derive_id(eid, "no"),
        )
        return fx._skip(action, eid, "their reply reads as a no: consider `outreach close`")
    account = fx._account(c.account_id)
    provider = fx.provider_for(account)
    now = app.clock.now()
    view = load_times_view(app)
    # Only the contacts times were offered to: their stage says whether those still hold.
    offered_to = app.projector.find(ContactRow, contact_id=list(view.offers))
    stages = {row.contact_id: row.stage for row in offered_to}
    held = held_times(view, stages, now, besides=c.contact_id)
    zone = contact_zone(app, c.contact_id)
    found = find_slots(
        now,
        policy,
        busy_between(app, provider, now, now + WINDOW),
        held,
        contact_zone=zone,
    )
    if not found.slots:
        return fx._skip(action, eid, "no free time in your meeting hours in the next two weeks")
    starts = [s.start for s in found.slots]
    offer = TimesOffered(
        contact_id=c.contact_id,
        draft_id=eid,
        account_id=account.account_id,
        provider_draft_id="",
        message_id="",
        starts=[s.isoformat() for s in starts],
        minutes=policy.meeting_minutes,
        time_zone=policy.time_zone,
        contact_time_zone=zone or "",
        place=policy.meeting_place,
        expires_at=offered_until(starts, now, timedelta(days=policy.offer_hold_days)),
        reply_message_id=reply.message_id,
        note=found.note,
    )
    rendered = fx.renderer.render(
        "propose_times", fx.context.base(c, account, times=times_context(offer))
    )
    # Imported here: effects imports this module to dispatch to it.
    from worker.services.effects import message_id_for

    ref = provider.create_draft(
        fx._outgoing(c, rendered.subject, rendered.body, message_id_for(action, account.email))
    )
    fields = offer.fields()
    fields.update(
        provider_draft_id=ref.provider_draft_id,
        message_id=ref.message_id,
        thread_id=ref.thread_id,
        subject=rendered.subject,
        to=c.emails[0],
    )
    app.journal.record(TimesOffered(**fields), event_id=eid)
    return "done"


def read_times_answer(fx: Effects, action: Action, eid: str) -> str:
    """Which offered time the contact's latest reply chose, recorded for the user's
    one-step approval; a time booked meanwhile is `taken`, never invited to."""
    app = fx.app
    c = fx._contact(action.contact_id)
    if c is None or c.forgotten:
        return fx._skip(action, eid, "the contact is gone")
    found = latest_offer(app, c.contact_id)
    reply = latest_reply(app, c.contact_id)
    if found is None or reply is None:
        return fx._skip(action, eid, "no offer or no answer to read")
    offer, offered_at = found
    row = offer_row(offer, offered_at)
    zones = [z for z in (offer.contact_time_zone, offer.time_zone) if z]
    text = reply.excerpt
    answer = read_answer(text, reply.received_at, row.starts, zones, _languages(fx))
    outcome: Literal["chosen", "taken", "unclear", "declined"] = answer.outcome
    if answer.outcome == "chosen" and answer.choice is not None:
        slot = row.slots()[answer.choice - 1]
        account = fx._account(c.account_id)
        taken = busy_between(app, fx.provider_for(account), slot.start, slot.end)
        if any(_overlaps(slot, b) for b in taken):
            outcome = "taken"
    app.journal.record(
        TimesAnswered(
            contact_id=c.contact_id,
            offer_id=offer.draft_id,
            message_id=reply.message_id,
            outcome=outcome,
            choice=answer.choice,
            excerpt=text,
        ),
        event_id=eid,
    )
    return "done"


def _overlaps(slot: Interval, busy: Interval | BusyDay) -> bool:
    if isinstance(busy, BusyDay):
        return busy.first <= slot.start.date() <= busy.last
    return slot.overlaps(busy)

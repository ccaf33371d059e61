"""Control routes mounted at /google: the JSON face of the emulator's story API."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from integrations.sandbox.control import ControlError, json_body
from integrations.sandbox.google.errors import GoogleError
from integrations.sandbox.http import Request, Response, json_response

if TYPE_CHECKING:
    from integrations.sandbox.google.emulator import GoogleEmulator

Route = Callable[[dict[str, Any], dict[str, str]], Any]


def _text(body: dict[str, Any], name: str, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or not value:
        raise ControlError(400, f"'{name}' must be a non-empty string")
    return value


def _time(body: dict[str, Any], name: str) -> datetime:
    try:
        return datetime.fromisoformat(_text(body, name))
    except ValueError:
        raise ControlError(400, f"'{name}' must be an ISO 8601 time") from None


class GoogleControl:
    """Routes (all JSON; an optional "email" picks the account, default the sandbox user):

    POST   /mail/incoming         {sender, subject, body, in_reply_to?, headers?}
    POST   /mail/reply            {to_message, body, sender?}
    POST   /mail/auto-reply       {to_message, return_date, body?, sender?}
    POST   /mail/bounce           {to_message, recipient?, reason?}
    POST   /mail/invitation       {sender, summary, start, end, method?, response?}
                                  meeting mail (text/calendar; method=REQUEST|REPLY|CANCEL)
    POST   /mail/seed             {count}
    POST   /drafts/{id}/send      the user sends a draft from their mail client
    DELETE /drafts/{id}           the user deletes a draft
    POST   /history/expire       every history start id issued so far → 404
    POST   /calendar/invite       {organizer, summary, start, end, time_zone?, mail?}
    POST   /calendar/events/{id}/respond  {attendee, response}
    POST   /calendar/events/{id}/move     {start, end, time_zone?}
    POST   /calendar/events/{id}/cancel
    POST   /calendar/sync-tokens/expire   every sync token issued so far → 410
    POST   /calendar/conferences  {outcome?, pending_seconds?, held?}  Meet requests from
                                  now on end as `outcome` ("success" or "failure") after
                                  pending_seconds of "pending" (0: at once), or, held,
    POST   /calendar/events/{id}/conference  {outcome?}  when this ends them
    POST   /grant/revoke          refresh answers invalid_grant; access tokens die
    GET    /state                 sent/drafts/inbox messages with headers, events, invitations
    """

    def __init__(self, emulator: GoogleEmulator) -> None:
        self.emulator = emulator
        g = emulator
        self._routes: list[tuple[str, re.Pattern[str], Route]] = [
            (
                "POST",
                re.compile(r"/mail/incoming"),
                lambda b, p: g.deliver_message(
                    sender=_text(b, "sender"),
                    subject=_text(b, "subject"),
                    body=_text(b, "body"),
                    in_reply_to=b.get("in_reply_to"),
                    headers=b.get("headers"),
                    email=b.get("email"),
                ),
            ),
            (
                "POST",
                re.compile(r"/mail/reply"),
                lambda b, p: g.deliver_reply(
                    to_message=_text(b, "to_message"),
                    body=_text(b, "body"),
                    sender=b.get("sender"),
                    email=b.get("email"),
                ),
            ),
            (
                "POST",
                re.compile(r"/mail/auto-reply"),
                lambda b, p: g.deliver_auto_reply(
                    to_message=_text(b, "to_message"),
                    return_date=_date(b),
                    body=b.get("body"),
                    sender=b.get("sender"),
                    email=b.get("email"),
                ),
            ),
            (
                "POST",
                re.compile(r"/mail/bounce"),
                lambda b, p: g.deliver_bounce(
                    to_message=_text(b, "to_message"),
                    recipient=b.get("recipient"),
                    email=b.get("email"),
                    **({"reason": b["reason"]} if b.get("reason") else {}),
                ),
            ),
            (
                "POST",
                re.compile(r"/mail/invitation"),
                lambda b, p: g.deliver_invitation(
                    sender=_text(b, "sender"),
                    summary=_text(b, "summary"),
                    start=_time(b, "start"),
                    end=_time(b, "end"),
                    method=str(b.get("method", "REQUEST")),
                    response=str(b.get("response", "ACCEPTED")),
                    email=b.get("email"),
                ),
            ),
            (
                "POST",
                re.compile(r"/mail/seed"),
                lambda b, p: {"seeded": g.seed_mailbox(_count(b), email=b.get("email"))},
            ),
            (
                "POST",
                re.compile(r"/drafts/(?P<id>[^/]+)/send"),
                lambda b, p: g.user_sends_draft(p["id"], b.get("email")),
            ),
            (
                "DELETE",
                re.compile(r"/drafts/(?P<id>[^/]+)"),
                lambda b, p: _done(
                    lambda: g.user_deletes_draft(p["id"], b.get("email")), {"deleted": p["id"]}
                ),
            ),
            (
                "POST",
                re.compile(r"/history/expire"),
                lambda b, p: _done(lambda: g.expire_history(b.get("email")), {"expired": True}),
            ),
            (
                "POST",
                re.compile(r"/calendar/invite"),
                lambda b, p: g.send_invite(
                    organizer=_text(b, "organizer"),
                    summary=_text(b, "summary"),
                    start=_time(b, "start"),
                    end=_time(b, "end"),
                    time_zone=b.get("time_zone"),
                    email=b.get("email"),
                    mail=bool(b.get("mail", False)),
                ),
            ),
            (
                "POST",
                re.compile(r"/calendar/events/(?P<id>[^/]+)/respond"),
                lambda b, p: g.respond_to_event(
                    p["id"],
                    attendee=_text(b, "attendee"),
                    response=_text(b, "response"),
                    email=b.get("email"),
                ),
            ),
            (
                "POST",
                re.compile(r"/calendar/events/(?P<id>[^/]+)/move"),
                lambda b, p: g.move_event(
                    p["id"],
                    start=_time(b, "start"),
                    end=_time(b, "end"),
                    time_zone=b.get("time_zone"),
                    email=b.get("email"),
                ),
            ),
            (
                "POST",
                re.compile(r"/calendar/events/(?P<id>[^/]+)/cancel"),
                lambda b, p: _done(
                    lambda: g.cancel_event(p["id"], b.get("email")), {"cancelled": p["id"]}
                ),
            ),
            (
                "POST",
                re.compile(r"/calendar/events/(?P<id>[^/]+)/conference"),
                lambda b, p: g.finish_conference(
                    p["id"], outcome=b.get("outcome"), email=b.get("email")
                ),
            ),
            (
                "POST",
                re.compile(r"/calendar/conferences"),
                lambda b, p: _done(
                    lambda: g.plan_conferences(
                        outcome=str(b.get("outcome", "success")),
                        pending_for=_pending_for(b),
                        email=b.get("email"),
                    ),
                    {"planned": True},
                ),
            ),
            (
                "POST",
                re.compile(r"/calendar/sync-tokens/expire"),
                lambda b, p: _done(lambda: g.expire_sync_tokens(b.get("email")), {"expired": True}),
            ),
            (
                "POST",
                re.compile(r"/grant/revoke"),
                lambda b, p: _done(lambda: g.revoke_grant(b.get("email")), {"revoked": True}),
            ),
            ("GET", re.compile(r"/state"), lambda b, p: g.state(b.get("email"))),
        ]

    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        for verb, pattern, route in self._routes:
            found = pattern.fullmatch(path)
            if found is None or verb != request.method:
                continue
            body = json_body(request)
            if request.param("email"):
                body.setdefault("email", request.param("email"))
            try:
                return json_response(200, route(body, found.groupdict()))
            except GoogleError as exc:
                raise ControlError(exc.code, exc.message) from None
            except KeyError as exc:
                raise ControlError(404, str(exc)) from None
        raise ControlError(404, f"no control route {request.method} /google{request.path}")


def _done(action: Callable[[], None], answer: dict[str, Any]) -> dict[str, Any]:
    action()
    return answer


def _date(body: dict[str, Any]) -> date:
    try:
        return date.fromisoformat(_text(body, "return_date"))
    except ValueError:
        raise ControlError(400, "'return_date' must be an ISO date") from None


def _count(body: dict[str, Any]) -> int:
    count = body.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 < count <= 100_000:
        raise ControlError(400, "'count' must be an integer in 1..100000")
    return count


def _pending_for(body: dict[str, Any]) -> timedelta | None:
    if body.get("held"):
        return None
    seconds = body.get("pending_seconds", 0)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise ControlError(400, "'pending_seconds' must be a number of seconds, 0 or more")
    return timedelta(seconds=seconds)

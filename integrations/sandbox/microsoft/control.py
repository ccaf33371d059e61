"""Control routes mounted at /microsoft: the contact side, the user in Outlook, identity
and sync-state switches, and a JSON view of the mailbox."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from integrations.sandbox.http import Request, Response, json_response

from .scenarios import ScenarioError
from .timezones import zone

if TYPE_CHECKING:
    from .emulator import MicrosoftEmulator

ROUTES_HELP = [
    "GET  /state",
    "POST /messages/deliver {from, subject, body, in_reply_to?}",
    "POST /messages/reply {in_reply_to, body?, from?}",
    "POST /messages/out_of_office {in_reply_to, from?}",
    "POST /messages/bounce {in_reply_to, mailer_daemon?}",
    "POST /events/invite {from, subject, start, end, time_zone?}",
    "POST /events/{id}/respond {attendee, response: accepted|tentativelyAccepted|declined}",
    "POST /events/{id}/reschedule {start, end, time_zone?}",
    "POST /events/{id}/cancel",
    "POST /drafts/{id}/send",
    "DELETE /drafts/{id}",
    "POST /seed {count, folder?}",
    "POST /revoke {access_tokens_too?}",
    "POST /delta/expire",
    "POST /delta/replay {folder}",
    "POST /device/approve {user_code?}",
    "POST /device/decline {user_code}",
    "POST /settings {sent_copy_delay_s?, auto_approve_after_polls?, online_meeting_providers?,"
    " default_online_meeting_provider?}",
]


class _Bad(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def handle_control(emulator: MicrosoftEmulator, request: Request) -> Response:
    try:
        return _dispatch(emulator, request)
    except _Bad as bad:
        return json_response(bad.status, {"error": bad.message})
    except ScenarioError as error:
        return json_response(404, {"error": str(error)})


def _body(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError:
        raise _Bad(400, "body is not valid JSON") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise _Bad(400, "body must be a JSON object")
    return body


def _text(body: dict[str, Any], name: str, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or not value:
        raise _Bad(400, f"'{name}' must be a non-empty string")
    return value


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise _Bad(400, f"'{name}' must be a string")
    return value


def _when(body: dict[str, Any], name: str) -> datetime:
    raw = _text(body, name)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise _Bad(400, f"'{name}' must be an ISO 8601 time") from None
    if moment.tzinfo is None:
        tz = zone(str(body.get("time_zone") or "UTC"))
        if tz is None:
            raise _Bad(400, "unknown time_zone")
        moment = moment.replace(tzinfo=tz)
    return moment


def _dispatch(emulator: MicrosoftEmulator, request: Request) -> Response:
    parts = [p for p in request.path.split("/") if p]
    verb = request.method
    body = _body(request) if verb in ("POST", "PUT", "PATCH") else {}
    email = _optional_text(body, "mailbox")
    if verb == "GET" and parts in ([], ["help"]):
        return json_response(200, {"routes": ROUTES_HELP})
    if verb == "GET" and parts == ["state"]:
        return json_response(200, emulator.state(request.param("mailbox")))
    if verb == "POST" and parts[:1] == ["messages"] and len(parts) == 2:
        return json_response(201, _message_route(emulator, parts[1], body, email))
    if verb == "POST" and parts == ["events", "invite"]:
        start, end = _when(body, "start"), _when(body, "end")
        created = emulator.invite(
            _text(body, "from"),
            _text(body, "subject"),
            start,
            end,
            str(body.get("time_zone") or "UTC"),
            email,
        )
        return json_response(201, created)
    if verb == "POST" and parts[:1] == ["events"] and len(parts) == 3:
        return _event_route(emulator, parts[1], parts[2], body, email)
    if parts[:1] == ["drafts"] and len(parts) >= 2:
        if verb == "POST" and parts[2:] == ["send"]:
            return json_response(200, emulator.send_draft_in_outlook(parts[1], email))
        if verb == "DELETE" and len(parts) == 2:
            emulator.delete_draft_in_outlook(parts[1], request.param("mailbox"))
            return json_response(200, {"deleted": parts[1]})
    if verb == "POST" and parts == ["seed"]:
        count = body.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 < count <= 1_000_000:
            raise _Bad(400, "'count' must be a positive integer")
        ids = emulator.seed(count, str(body.get("folder") or "inbox"), email)
        return json_response(201, {"count": len(ids), "first": ids[0], "last": ids[-1]})
    if verb == "POST" and parts == ["revoke"]:
        revoked = emulator.revoke_grant(email, bool(body.get("access_tokens_too", False)))
        return json_response(200, {"revoked": revoked})
    if verb == "POST" and parts == ["delta", "expire"]:
        emulator.expire_delta_tokens(email)
        return json_response(200, {"expired": True})
    if verb == "POST" and parts == ["delta", "replay"]:
        emulator.replay_next_delta(str(body.get("folder") or "inbox"), email)
        return json_response(200, {"replay": True})
    if verb == "POST" and parts == ["device", "approve"]:
        ok = emulator.approve_device_code(_optional_text(body, "user_code"), email)
        return json_response(200 if ok else 404, {"approved": ok})
    if verb == "POST" and parts == ["device", "decline"]:
        ok = emulator.decline_device_code(_text(body, "user_code"))
        return json_response(200 if ok else 404, {"declined": ok})
    if verb == "POST" and parts == ["settings"]:
        return json_response(200, _settings(emulator, body, email))
    raise _Bad(404, f"no control route {verb} /microsoft{request.path}")


def _message_route(
    emulator: MicrosoftEmulator, kind: str, body: dict[str, Any], email: str | None
) -> dict[str, Any]:
    if kind == "deliver":
        return emulator.deliver(
            _text(body, "from"),
            str(body.get("subject", "")),
            str(body.get("body", "")),
            in_reply_to=_optional_text(body, "in_reply_to"),
            email=email,
        )
    in_reply_to = _text(body, "in_reply_to")
    if kind == "reply":
        return emulator.deliver_reply(
            in_reply_to,
            str(body.get("body") or "Thanks, happy to talk."),
            _optional_text(body, "from"),
            email,
        )
    if kind == "out_of_office":
        return emulator.deliver_out_of_office(in_reply_to, _optional_text(body, "from"), email)
    if kind == "bounce":
        return emulator.deliver_bounce(in_reply_to, bool(body.get("mailer_daemon")), email)
    raise _Bad(404, f"no message scenario {kind!r}")


def _event_route(
    emulator: MicrosoftEmulator,
    event_id: str,
    action: str,
    body: dict[str, Any],
    email: str | None,
) -> Response:
    if action == "respond":
        emulator.respond(event_id, _text(body, "attendee"), _text(body, "response"), email)
    elif action == "reschedule":
        emulator.reschedule(event_id, _when(body, "start"), _when(body, "end"), email)
    elif action == "cancel":
        emulator.cancel_event(event_id, email)
    else:
        raise _Bad(404, f"no event action {action!r}")
    return json_response(200, {"event": event_id, "done": action})


def _settings(
    emulator: MicrosoftEmulator, body: dict[str, Any], email: str | None
) -> dict[str, Any]:
    mailbox = emulator.mailbox(email)  # an unknown mailbox is a 404 before anything changes
    delay = body.get("sent_copy_delay_s")
    if delay is not None:
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
            raise _Bad(400, "'sent_copy_delay_s' must be a non-negative number")
        emulator.set_sent_copy_delay(float(delay), email)
    if "auto_approve_after_polls" in body:
        polls = body["auto_approve_after_polls"]
        if polls is not None and (isinstance(polls, bool) or not isinstance(polls, int)):
            raise _Bad(400, "'auto_approve_after_polls' must be an integer or null")
        emulator.identity.settings.auto_approve_after_polls = polls
    if "online_meeting_providers" in body:
        allowed = body["online_meeting_providers"]
        if not isinstance(allowed, list) or not all(isinstance(p, str) for p in allowed):
            raise _Bad(400, "'online_meeting_providers' must be a list of provider names")
        default = _optional_text(body, "default_online_meeting_provider")
        try:
            emulator.set_online_meeting_providers(allowed, default, email)
        except ScenarioError as error:
            raise _Bad(400, str(error)) from None
    settings = emulator.identity.settings
    return {
        "sent_copy_delay_s": mailbox.sent_copy_delay.total_seconds(),
        "online_meeting_providers": list(mailbox.online_meeting_providers),
        "default_online_meeting_provider": mailbox.default_online_meeting_provider,
        "auto_approve_after_polls": settings.auto_approve_after_polls,
        "interval": settings.interval,
    }

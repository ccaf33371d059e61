"""The Graph v1.0 front door: bearer tokens, per-mailbox concurrency, faults, accounting,
and routing to the mail, calendar and delta handlers."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrations.sandbox.http import Request, Response, json_response

from . import graph_calendar, graph_mail
from .call import Call
from .errors import GraphError, graph_error_response
from .graph_delta import (
    SYNC_STATE_NOT_FOUND,
    DeltaSettings,
    DeltaState,
    TokenCodec,
    first_calendar_state,
    first_mail_state,
    mail_filter,
    received_matches,
    run_page,
    start_round,
    token_from,
)
from .identity import AccessToken, Identity
from .odata import preferences
from .ports import PROVIDER, Accounting, Faults
from .state import Mailbox

log = logging.getLogger(__name__)

THROTTLED = "Application is over its MailboxConcurrency limit."
_PAREN = re.compile(r"(\w+)\('([^']*)'\)")

# Scopes (any one of) each kind of call needs.
READ_MAIL = frozenset({"mail.read", "mail.readwrite", "mail.readbasic"})
WRITE_MAIL = frozenset({"mail.readwrite"})
SEND_MAIL = frozenset({"mail.send"})
READ_CALENDAR = frozenset({"calendars.read", "calendars.readwrite"})
WRITE_CALENDAR = frozenset({"calendars.readwrite"})
ANY = frozenset[str]()


@dataclass
class GraphSettings:
    """Throttling knobs.

    Parameters:
        max_concurrent: requests one mailbox serves at once; more get 429.
        throttle_retry_after: Retry-After seconds on a concurrency 429.
        default_retry_after: Retry-After seconds for injected faults that give none.
    """

    max_concurrent: int = 4
    throttle_retry_after: int = 1
    default_retry_after: int = 1


@dataclass(frozen=True)
class Route:
    method: str
    scopes: frozenset[str]
    run: Callable[[Call], Response]


class Graph:
    """Answers Graph requests for the mailboxes it is given."""

    def __init__(
        self,
        identity: Identity,
        mailboxes: dict[str, Mailbox],
        now: Callable[[], datetime],
        faults: Faults,
        accounting: Accounting,
        codec: TokenCodec,
        settings: GraphSettings | None = None,
        delta_settings: DeltaSettings | None = None,
    ) -> None:
        self.identity = identity
        self.mailboxes = mailboxes
        self.now = now
        self.faults = faults
        self.accounting = accounting
        self.codec = codec
        self.settings = settings or GraphSettings()
        self.delta_settings = delta_settings or DeltaSettings()
        self.replays: dict[str, set[str]] = {}
        self._in_flight: dict[str, int] = {}
        self._peak: dict[str, int] = {}
        self._flight_lock = threading.Lock()
        self.base = ""

    # concurrency --------------------------------------------------------------------
    def in_flight(self, email: str) -> int:
        with self._flight_lock:
            return self._in_flight.get(email, 0)

    def peak_in_flight(self, email: str) -> int:
        with self._flight_lock:
            return self._peak.get(email, 0)

    def _enter(self, email: str) -> bool:
        with self._flight_lock:
            current = self._in_flight.get(email, 0)
            if current >= self.settings.max_concurrent:
                return False
            self._in_flight[email] = current + 1
            self._peak[email] = max(self._peak.get(email, 0), current + 1)
            return True

    def _leave(self, email: str) -> None:
        with self._flight_lock:
            self._in_flight[email] = self._in_flight.get(email, 1) - 1

    # entry point --------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        """Every Graph request; the concurrency slot is released before the answer is
        written, so a client keeping at most four in flight never sees a 429."""
        try:
            return self._handle(request)
        except GraphError as error:
            return graph_error_response(error, request, self.now())

    def _handle(self, request: Request) -> Response:
        path = _PAREN.sub(r"\1/\2", request.path)
        if not path.startswith("/v1.0/"):
            raise GraphError(400, "BadRequest", "Invalid version: the URL must start /v1.0.")
        segments = [s for s in path[len("/v1.0/") :].split("/") if s]
        token = self._authenticate(request)
        mailbox = self.mailboxes.get(token.grant.email)
        if mailbox is None:
            raise GraphError(404, "ErrorItemNotFound", "The mailbox could not be found.")
        route = self._route(request.method, segments, mailbox)
        self.accounting.record(PROVIDER, mailbox.email, route.method)
        if route.scopes and not route.scopes & token.scopes:
            raise GraphError(
                403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
            )
        if not self._enter(mailbox.email):
            raise GraphError(
                429,
                "ApplicationThrottled",
                THROTTLED,
                {"Retry-After": str(self.settings.throttle_retry_after)},
            )
        try:
            early = self._fault(route.method)
            if early is not None:
                return early
            prefs = preferences(request)
            with mailbox.lock:
                now = self.now()
                mailbox.deliver_due_sent_copies(now)
                call = Call(request, mailbox, prefs, now, self.base)
                return route.run(call)
        except GraphError as error:
            return graph_error_response(error, request, self.now())
        finally:
            self._leave(mailbox.email)

    def _authenticate(self, request: Request) -> AccessToken:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        bearer = value.strip() if scheme.lower() == "bearer" else ""
        token, reason = self.identity.authenticate(bearer)
        if token is None:
            raise GraphError(
                401,
                "InvalidAuthenticationToken",
                reason,
                {
                    "WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.'
                    'microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-'
                    '0000-c000-000000000000"'
                },
            )
        return token

    def _fault(self, method: str) -> Response | None:
        fault = self.faults.take(PROVIDER, method)
        if fault is None:
            return None
        retry = str(int(fault.retry_after or self.settings.default_retry_after))
        kind = fault.kind
        if kind in ("rate_limit", "concurrency_limit"):
            raise GraphError(429, "ApplicationThrottled", THROTTLED, {"Retry-After": retry})
        if kind == "server_error":
            raise GraphError(500, "UnknownError", "")
        if kind == "unavailable":
            raise GraphError(
                503,
                "ServiceNotAvailable",
                "The service is temporarily unavailable.",
                {"Retry-After": retry},
            )
        if kind == "slow":
            # Held inside the concurrency slot, as a slow Exchange call is.
            time.sleep(fault.delay_s if fault.delay_s is not None else 1.0)
            return None
        if kind == "drop":
            return Response(drop=True)
        if kind == "delta_expired" and method.endswith(".delta"):
            raise SYNC_STATE_NOT_FOUND
        return None

    # routing ------------------------------------------------------------------------
    def _route(self, verb: str, segments: list[str], mailbox: Mailbox) -> Route:
        if segments[:1] == ["users"] and len(segments) >= 2:
            who = segments[1].lower()
            if who not in (mailbox.email.lower(), mailbox.user_id):
                raise GraphError(
                    403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
                )
            segments = ["me", *segments[2:]]
        if segments == ["$batch"]:
            raise GraphError(400, "BadRequest", "JSON batching is not supported by the sandbox.")
        if segments[:1] != ["me"]:
            raise _no_segment(segments[0] if segments else "")
        rest = segments[1:]
        route = self._mail_route(verb, rest) or self._calendar_route(verb, rest)
        if route is None:
            if not rest:
                if verb != "GET":
                    raise _not_allowed(verb)
                return Route("graph.me", ANY, lambda call: json_response(200, _me(call)))
            raise _no_segment(rest[-1]) if verb == "GET" else _not_allowed(verb)
        return route

    def _mail_route(self, verb: str, rest: list[str]) -> Route | None:
        n = len(rest)
        if rest == ["sendMail"] and verb == "POST":
            return Route("graph.sendMail", SEND_MAIL, graph_mail.send_mail)
        if rest == ["messages"]:
            if verb == "GET":
                return Route(
                    "graph.messages.list", READ_MAIL, lambda c: graph_mail.list_messages(c, None)
                )
            if verb == "POST":
                return Route("graph.messages.create", WRITE_MAIL, graph_mail.create_draft)
            raise _not_allowed(verb)
        if rest[:1] == ["mailFolders"]:
            if n == 1 and verb == "GET":
                return Route("graph.mailFolders.list", READ_MAIL, graph_mail.list_folders)
            folder = rest[1] if n >= 2 else ""
            if n == 2 and verb == "GET":
                return Route(
                    "graph.mailFolders.get", READ_MAIL, lambda c: graph_mail.get_folder(c, folder)
                )
            if n == 3 and rest[2] == "messages" and verb == "GET":
                return Route(
                    "graph.messages.list", READ_MAIL, lambda c: graph_mail.list_messages(c, folder)
                )
            if n == 4 and rest[2:] == ["messages", "delta"] and verb == "GET":
                return Route(
                    "graph.messages.delta", READ_MAIL, lambda c: self.message_delta(c, folder)
                )
            if n >= 4 and rest[2] == "messages":
                return self._message_item(verb, rest[3:])
            return None
        if rest[:1] == ["messages"] and n >= 2:
            return self._message_item(verb, rest[1:])
        return None

    def _message_item(self, verb: str, rest: list[str]) -> Route | None:
        message_id = rest[0]
        if len(rest) == 1:
            if verb == "GET":
                return Route(
                    "graph.messages.get", READ_MAIL, lambda c: graph_mail.get_message(c, message_id)
                )
            if verb == "PATCH":
                return Route(
                    "graph.messages.update",
                    WRITE_MAIL,
                    lambda c: graph_mail.update_message(c, message_id),
                )
            if verb == "DELETE":
                return Route(
                    "graph.messages.delete",
                    WRITE_MAIL,
                    lambda c: graph_mail.delete_message(c, message_id),
                )
            raise _not_allowed(verb)
        if len(rest) != 2:
            return None
        action = rest[1]
        if action == "$value" and verb == "GET":
            return Route(
                "graph.messages.mime", READ_MAIL, lambda c: graph_mail.get_mime(c, message_id)
            )
        if verb != "POST":
            raise _not_allowed(verb)
        actions: dict[str, tuple[frozenset[str], Callable[[Call], Response]]] = {
            "createReply": (WRITE_MAIL, lambda c: graph_mail.create_reply(c, message_id)),
            "createReplyAll": (
                WRITE_MAIL,
                lambda c: graph_mail.create_reply(c, message_id, reply_all=True),
            ),
            "send": (SEND_MAIL, lambda c: graph_mail.send_draft(c, message_id)),
            "move": (WRITE_MAIL, lambda c: graph_mail.move_message(c, message_id)),
        }
        if action not in actions:
            raise _no_segment(action)
        scopes, run = actions[action]
        return Route(f"graph.messages.{action}", scopes, run)

    def _calendar_route(self, verb: str, rest: list[str]) -> Route | None:
        if rest == ["calendar"]:
            if verb == "GET":
                return Route("graph.calendar.get", READ_CALENDAR, graph_calendar.get_calendar)
            raise _not_allowed(verb)
        if rest == ["calendarView", "delta"] and verb == "GET":
            return Route("graph.calendarView.delta", READ_CALENDAR, self.calendar_delta)
        if rest == ["calendarView"] and verb == "GET":
            return Route(
                "graph.calendarView.list",
                READ_CALENDAR,
                lambda c: graph_calendar.list_events(c, calendar_view=True),
            )
        if rest == ["events"]:
            if verb == "GET":
                return Route(
                    "graph.events.list",
                    READ_CALENDAR,
                    lambda c: graph_calendar.list_events(c, calendar_view=False),
                )
            if verb == "POST":
                return Route("graph.events.create", WRITE_CALENDAR, graph_calendar.create_event)
            raise _not_allowed(verb)
        if rest[:1] == ["events"] and len(rest) == 2:
            event_id = rest[1]
            if verb == "GET":
                return Route(
                    "graph.events.get",
                    READ_CALENDAR,
                    lambda c: graph_calendar.get_event(c, event_id),
                )
            if verb == "PATCH":
                return Route(
                    "graph.events.update",
                    WRITE_CALENDAR,
                    lambda c: graph_calendar.update_event(c, event_id),
                )
            if verb == "DELETE":
                return Route(
                    "graph.events.delete",
                    WRITE_CALENDAR,
                    lambda c: graph_calendar.delete_event(c, event_id),
                )
            raise _not_allowed(verb)
        if rest[:1] == ["events"] and len(rest) == 3 and verb == "POST":
            event_id, action = rest[1], rest[2]
            responses = {
                "accept": "accepted",
                "tentativelyAccept": "tentativelyAccepted",
                "decline": "declined",
            }
            if action not in responses:
                raise _no_segment(action)
            return Route(
                f"graph.events.{action}",
                WRITE_CALENDAR,
                lambda c: graph_calendar.respond_event(c, event_id, responses[action]),
            )
        return None

    # delta ------------------------------------------------------------------------
    def message_delta(self, call: Call, folder: str) -> Response:
        mailbox = call.mailbox
        folder_id = mailbox.folder_id(folder)
        if folder_id is None:
            raise GraphError(
                404, "ErrorItemNotFound", "The specified folder could not be found in the store."
            )
        state = token_from(call, self.codec, self.delta_settings)
        if state is None:
            state = first_mail_state(call, folder_id, graph_mail.MESSAGE_PROPERTIES)
        elif state.kind != "mail" or state.scope != folder_id:
            raise GraphError(
                400, "ErrorInvalidParameter", "The token belongs to another folder or resource."
            )
        state = start_round(call, state, self.replays.setdefault(mailbox.email, set()))
        clauses = mail_filter(state.filter)
        fields = tuple(state.fields) if state.fields is not None else None

        def render(key: str) -> dict[str, Any] | None:
            message = mailbox.messages.get(key)
            if message is None or not received_matches(
                clauses, message.received or message.created
            ):
                return None
            return graph_mail.render_message(message, call, fields, delta=True)

        def removed(key: str, seen_as: str) -> dict[str, Any]:
            shown = key if call.prefs.immutable_ids or not seen_as else seen_as
            return {
                "@odata.type": "#microsoft.graph.message",
                "id": shown,
                "@removed": {"reason": "deleted"},
            }

        return run_page(
            call,
            self.codec,
            state,
            mailbox.folder_logs[folder_id],
            render,
            removed,
            call.link(f"/me/mailFolders/{folder}/messages/delta"),
            call.link("/$metadata#Collection(message)"),
        )

    def calendar_delta(self, call: Call) -> Response:
        mailbox = call.mailbox
        state = token_from(call, self.codec, self.delta_settings)
        if state is None:
            unsupported = set(call.request.query) - {
                "startDateTime",
                "endDateTime",
                "StartDateTime",
                "EndDateTime",
            }
            if unsupported:
                raise GraphError(
                    400,
                    "ErrorInvalidUrlQuery",
                    "The following parameters are not supported "
                    f"with change tracking over the 'CalendarView' resource: "
                    f"'{', '.join(sorted(unsupported))}'.",
                )
            start, end = graph_calendar.window(call)
            state = first_calendar_state(call, start, end)
        elif state.kind != "calendar":
            raise GraphError(400, "ErrorInvalidParameter", "The token belongs to another resource.")
        state = start_round(call, state, self.replays.setdefault(mailbox.email, set()))
        start, end = _window_of(state)

        def render(key: str) -> dict[str, Any] | None:
            event = mailbox.events.get(key)
            if event is None or not graph_calendar.overlaps(event, start, end):
                return None
            return {
                "@odata.type": "#microsoft.graph.event",
                **graph_calendar.render_event(event, call),
            }

        def removed(key: str, seen_as: str) -> dict[str, Any]:
            return {
                "@odata.type": "#microsoft.graph.event",
                "id": key,
                "@removed": {"reason": "deleted"},
            }

        return run_page(
            call,
            self.codec,
            state,
            mailbox.event_log,
            render,
            removed,
            call.link("/me/calendarView/delta"),
            call.link("/$metadata#Collection(event)"),
        )


def _window_of(state: DeltaState) -> tuple[datetime, datetime]:
    assert state.window is not None
    return datetime.fromisoformat(state.window[0]), datetime.fromisoformat(state.window[1])


def _me(call: Call) -> dict[str, Any]:
    mailbox = call.mailbox
    first, _, last = mailbox.display_name.partition(" ")
    return {
        "@odata.context": call.link("/$metadata#users/$entity"),
        "businessPhones": [],
        "displayName": mailbox.display_name,
        "givenName": first,
        "jobTitle": None,
        "mail": mailbox.email,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": "en-US",
        "surname": last,
        "userPrincipalName": mailbox.email,
        "id": mailbox.user_id,
    }


def _no_segment(segment: str) -> GraphError:
    return GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")


def _not_allowed(verb: str) -> GraphError:
    return GraphError(
        405,
        "Request_BadRequest",
        f"Specified HTTP method '{verb}' is not allowed for the request target.",
    )

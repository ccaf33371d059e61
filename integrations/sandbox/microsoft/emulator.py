"""MicrosoftEmulator: Entra ID (over TLS, for MSAL) and Graph v1.0 on loopback ports,
plus the in-process API that plays the contacts and the user in Outlook."""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from integrations.sandbox.http import LoopbackServer, Request, Response

from . import scenarios
from .errors import GraphError, OAuthError, graph_error_response, oauth_error_response
from .graph import Graph, GraphSettings
from .graph_delta import DeltaSettings, TokenCodec
from .identity import Identity, IdentitySettings
from .ports import PROVIDER, Accounting, Clock, Faults
from .state import Mailbox, Message, Person
from .tls import write_certificates

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_EMAIL = "alex@contoso.example"
DEFAULT_NAME = "Alex Doe"


class MicrosoftEmulator:
    """Entra ID + Graph for one (or more) mailboxes, driven by the shared clock and faults.

    Parameters:
        clock, faults, accounting: the shared sandbox base.
        email, display_name: the signed-in user (a grant for them exists from the start).
        identity: device-flow and token settings (poll interval, auto-approve, lifetimes).
        graph: throttling settings.
        delta: delta-token lifetime.
    """

    def __init__(
        self,
        clock: Clock,
        faults: Faults,
        accounting: Accounting,
        *,
        email: str = DEFAULT_EMAIL,
        display_name: str = DEFAULT_NAME,
        identity: IdentitySettings | None = None,
        graph: GraphSettings | None = None,
        delta: DeltaSettings | None = None,
    ) -> None:
        self.clock = clock
        self.faults = faults
        self.accounting = accounting
        self.email = email
        self.mailboxes: dict[str, Mailbox] = {}
        self.identity = Identity(identity or IdentitySettings(), clock.now, self._display_name)
        self.identity.default_user = email
        self.graph = Graph(
            self.identity,
            self.mailboxes,
            clock.now,
            faults,
            accounting,
            TokenCodec(secrets.token_bytes(16)),
            graph,
            delta,
        )
        certs_dir = Path(tempfile.mkdtemp(prefix="outreach-msft-"))
        # Removed when the emulator is collected, so a stop()/start() cycle keeps the CA.
        weakref.finalize(self, shutil.rmtree, certs_dir, True)
        self.certificates = write_certificates(certs_dir)
        self.ca_cert_path = str(self.certificates.ca_cert)
        self._identity_server = LoopbackServer(
            self._identity_request,
            name="microsoft-identity",
            error=_oauth_shaped,
            ssl_context=self.certificates.server_context(),
        )
        self._graph_server = LoopbackServer(
            self.graph.handle, name="microsoft-graph", error=_graph_shaped
        )
        self.add_mailbox(email, display_name)
        tokens = self.identity.grant(email)
        self.refresh_token = tokens.refresh_token
        self.access_token = tokens.access_token

    # lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._identity_server.start()
        self._graph_server.start()
        self.graph.base = self._graph_server.url + "v1.0"

    def stop(self) -> None:
        self._graph_server.stop()
        self._identity_server.stop()

    def endpoints(self) -> dict[str, Any]:
        return {
            "graph": self._graph_server.url + "v1.0",
            "microsoft_authority": self.authority,
            "microsoft": {
                "email": self.email,
                "client_id": self.identity.settings.client_id,
                "refresh_token": self.refresh_token,
                "access_token": self.access_token,
                # The CA the identity server's certificate is signed with, for a client in
                # another process (MSAL insists on https for the authority).
                "ca_cert": self.ca_cert_path,
            },
        }

    @property
    def identity_url(self) -> str:
        return self._identity_server.url

    @property
    def authority(self) -> str:
        """What MSAL takes as `authority=` (pass instance_discovery=False as well)."""
        return self._identity_server.url + "common"

    def _identity_request(self, request: Request) -> Response:
        return _identity_request_impl(self, request)

    def control_handler(self, request: Request) -> Response:
        from .control import handle_control

        return handle_control(self, request)

    # mailboxes ------------------------------------------------------------------------
    def add_mailbox(self, email: str, display_name: str) -> Mailbox:
        mailbox = Mailbox(email, display_name, self.clock.now())
        self.mailboxes[email] = mailbox
        return mailbox

    def mailbox(self, email: str | None = None) -> Mailbox:
        found = self.mailboxes.get(email or self.email)
        if found is None:
            raise scenarios.ScenarioError(f"no mailbox {email!r}")
        return found

    def _display_name(self, email: str) -> str:
        mailbox = self.mailboxes.get(email)
        return mailbox.display_name if mailbox else email

    def _with(self, email: str | None, action: Callable[[Mailbox, datetime], T]) -> T:
        mailbox = self.mailbox(email)
        with mailbox.lock:
            now = self.clock.now()
            mailbox.deliver_due_sent_copies(now)
            return action(mailbox, now)

    # contacts -------------------------------------------------------------------------
    def deliver(
        self,
        sender: str,
        subject: str,
        body: str,
        *,
        sender_name: str = "",
        in_reply_to: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """A contact writes to the user (threaded when `in_reply_to` names a known message)."""
        return self._with(
            email,
            lambda mb, now: _summary(
                scenarios.deliver(
                    mb,
                    now,
                    Person(sender, sender_name),
                    subject,
                    body,
                    in_reply_to=in_reply_to,
                )
            ),
        )

    def deliver_reply(
        self,
        in_reply_to: str,
        body: str = "Thanks, happy to talk.",
        sender: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """The contact replies to a message the user sent (by its internetMessageId)."""
        return self._with(
            email, lambda mb, now: _summary(scenarios.reply(mb, now, in_reply_to, body, sender))
        )

    def deliver_out_of_office(
        self, in_reply_to: str, sender: str | None = None, email: str | None = None
    ) -> dict[str, Any]:
        return self._with(
            email, lambda mb, now: _summary(scenarios.out_of_office(mb, now, in_reply_to, sender))
        )

    def deliver_bounce(
        self, in_reply_to: str, mailer_daemon: bool = False, email: str | None = None
    ) -> dict[str, Any]:
        return self._with(
            email, lambda mb, now: _summary(scenarios.bounce(mb, now, in_reply_to, mailer_daemon))
        )

    def deliver_mime(self, raw: bytes, email: str | None = None) -> dict[str, Any]:
        """A message as a mail server delivered it, byte for byte (a bounce from another
        server, a delay notice, a spam complaint): most carry no In-Reply-To."""
        return self._with(email, lambda mb, now: _summary(scenarios.deliver_mime(mb, now, raw)))

    def invite(
        self,
        organizer: str,
        subject: str,
        start: datetime,
        end: datetime,
        time_zone: str = "UTC",
        email: str | None = None,
        *,
        location: str = "",
        join_url: str = "",
    ) -> dict[str, Any]:
        """A contact invites the user; returns {"id", "iCalUId", "subject"}."""
        event = self._with(
            email,
            lambda mb, now: scenarios.invite(
                mb,
                now,
                organizer,
                subject,
                start,
                end,
                time_zone,
                location=location,
                join_url=join_url,
            ),
        )
        return {"id": event.id, "iCalUId": event.ical_uid, "subject": event.subject}

    def user_adds_event(
        self,
        subject: str,
        start: datetime,
        end: datetime,
        *,
        all_day: bool = False,
        free: bool = False,
        email: str | None = None,
    ) -> dict[str, Any]:
        """The user puts something in their own calendar; returns {"id"}."""
        event = self._with(
            email,
            lambda mb, now: scenarios.user_adds_event(mb, now, subject, start, end, all_day, free),
        )
        return {"id": event.id}

    def user_accepts(self, event_id: str, email: str | None = None) -> None:
        """The user accepts a contact's invitation in their calendar."""
        self._with(email, lambda mb, now: scenarios.user_accepts(mb, now, event_id))

    def respond(
        self, event_id: str, attendee: str, response: str, email: str | None = None
    ) -> None:
        """A contact answers the user's invitation: accepted, tentativelyAccepted, declined."""
        self._with(email, lambda mb, now: scenarios.respond(mb, now, event_id, attendee, response))

    def reschedule(
        self, event_id: str, start: datetime, end: datetime, email: str | None = None
    ) -> None:
        self._with(email, lambda mb, now: scenarios.reschedule(mb, now, event_id, start, end))

    def cancel_event(self, event_id: str, email: str | None = None) -> None:
        self._with(email, lambda mb, now: scenarios.cancel(mb, now, event_id))

    # the user in Outlook ---------------------------------------------------------------
    def send_draft_in_outlook(self, message_id: str, email: str | None = None) -> dict[str, Any]:
        return self._with(
            email,
            lambda mb, now: _summary(scenarios.send_draft_in_outlook(mb, now, message_id)),
        )

    def edit_draft_in_outlook(
        self, message_id: str, body: str, subject: str | None = None, email: str | None = None
    ) -> dict[str, Any]:
        return self._with(
            email,
            lambda mb, now: _summary(
                scenarios.edit_draft_in_outlook(mb, now, message_id, body, subject)
            ),
        )

    def delete_draft_in_outlook(self, message_id: str, email: str | None = None) -> None:
        self._with(email, lambda mb, now: scenarios.delete_draft_in_outlook(mb, now, message_id))

    def seed(self, count: int, folder: str = "inbox", email: str | None = None) -> list[str]:
        """Add `count` received messages to a folder; returns their immutable ids."""
        started = time.perf_counter()
        ids = self._with(email, lambda mb, now: scenarios.seed(mb, now, count, folder))
        log.info("seeded %d messages in %.2fs", count, time.perf_counter() - started)
        return ids

    # identity and sync state -----------------------------------------------------------
    def approve_device_code(self, user_code: str | None = None, email: str | None = None) -> bool:
        """The user approves a device code (the newest pending one when none is named)."""
        if user_code is None:
            pending = self.identity.pending_user_codes()
            if not pending:
                return False
            user_code = pending[-1]
        return self.identity.approve(user_code, email or self.email)

    def decline_device_code(self, user_code: str) -> bool:
        return self.identity.decline(user_code)

    def revoke_grant(self, email: str | None = None, access_tokens_too: bool = False) -> int:
        return self.identity.revoke(email or self.email, access_tokens_too)

    def expire_delta_tokens(self, email: str | None = None) -> None:
        """Every outstanding delta and skip token answers 410 SyncStateNotFound from now on."""
        self._with(email, lambda mb, now: setattr(mb, "delta_epoch", mb.delta_epoch + 1))

    def replay_next_delta(self, folder: str = "inbox", email: str | None = None) -> None:
        """The next round of delta for `folder` (or "calendar") repeats the previous one."""
        mailbox = self.mailbox(email)
        scope = "calendar" if folder == "calendar" else mailbox.folder_id(folder)
        if scope is None:
            raise scenarios.ScenarioError(f"no folder {folder!r}")
        self.graph.replays.setdefault(mailbox.email, set()).add(scope)

    def set_sent_copy_delay(self, seconds: float, email: str | None = None) -> None:
        self._with(
            email, lambda mb, now: setattr(mb, "sent_copy_delay", timedelta(seconds=seconds))
        )

    def rewrite_message_ids(self, on: bool = True, email: str | None = None) -> None:
        """From now on, mail sent from the mailbox gets an internetMessageId of Exchange's
        making instead of the one the draft carried (see graph_mail._new_message_id)."""
        self._with(email, lambda mb, now: setattr(mb, "rewrite_message_ids", on))

    def set_online_meeting_providers(
        self, allowed: list[str], default: str | None = None, email: str | None = None
    ) -> None:
        """The online meeting providers the mailbox's calendar allows, and its default
        (the first allowed unless given). ["unknown"] is a calendar that makes no online
        meetings, as a personal account without Teams may have."""
        self._with(
            email, lambda mb, now: scenarios.set_online_meeting_providers(mb, allowed, default)
        )

    def state(self, email: str | None = None) -> dict[str, Any]:
        """The mailbox as JSON: sent mail, drafts, events, folder counts."""
        return self._with(email, _state)


def _summary(message: Message) -> dict[str, Any]:
    return {
        "id": message.immutable_id,
        "internetMessageId": message.internet_message_id,
        "conversationId": message.conversation_id,
        "subject": message.subject,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _state(mailbox: Mailbox, now: datetime) -> dict[str, Any]:
    sent_folder = mailbox.aliases["sentitems"]
    drafts = mailbox.in_folder(mailbox.aliases["drafts"])
    return {
        "email": mailbox.email,
        "now": now.isoformat(),
        "sent": [
            {
                "id": r.immutable_id,
                "internetMessageId": r.internet_message_id,
                "conversationId": r.conversation_id,
                "subject": r.subject,
                "to": r.to,
                "cc": r.cc,
                "sentDateTime": _iso(r.sent),
                "via": r.via,
                "inReplyTo": r.in_reply_to,
                "inSentItems": any(
                    m.internet_message_id == r.internet_message_id
                    for m in mailbox.in_folder(sent_folder)
                ),
            }
            for r in mailbox.sent
        ],
        "drafts": [
            {
                "id": m.immutable_id,
                "subject": m.subject,
                "to": [p.address for p in m.to],
                "internetMessageId": m.internet_message_id,
                "conversationId": m.conversation_id,
            }
            for m in drafts
        ],
        "events": [
            {
                "id": e.id,
                "subject": e.subject,
                "start": _iso(e.start),
                "end": _iso(e.end),
                "isOrganizer": e.is_organizer,
                "isCancelled": e.is_cancelled,
                "deleted": e.deleted,
                "organizer": e.organizer.address,
                "transactionId": e.transaction_id,
                "onlineMeetingProvider": e.online_meeting_provider,
                "joinUrl": e.join_url,
                "attendees": [
                    {"address": a.person.address, "response": a.response} for a in e.attendees
                ],
            }
            for e in mailbox.events.values()
        ],
        "folders": {
            folder.well_known or folder.id: len(mailbox.in_folder(fid))
            for fid, folder in mailbox.folders.items()
        },
        "pendingSentCopies": len(mailbox.pending_sent),
    }


def _oauth_shaped(status: int, message: str) -> Response:
    error = OAuthError("invalid_request" if status < 500 else "server_error", message, status)
    return oauth_error_response(error, datetime.now().astimezone())


def _graph_shaped(status: int, message: str) -> Response:
    code = "BadRequest" if status < 500 else "UnknownError"
    return graph_error_response(
        GraphError(status, code, message), Request("GET", "/", {}, {}), datetime.now().astimezone()
    )


class _IdentityFaults:
    """Maps an injected fault to what Entra ID would answer on the token endpoints."""

    @staticmethod
    def answer(kind: str, retry_after: float | None, delay_s: float | None) -> Response | None:
        retry = {"Retry-After": str(int(retry_after or 1))}
        if kind == "rate_limit":
            error = OAuthError(
                "temporarily_unavailable",
                "AADSTS50196: The server terminated an operation because it encountered a "
                "client request loop.",
                429,
                [50196],
            )
            response = oauth_error_response(error, datetime.now().astimezone())
            response.headers.update(retry)
            return response
        if kind == "server_error":
            return oauth_error_response(
                OAuthError("server_error", "AADSTS90033: A transient error has occurred.", 500),
                datetime.now().astimezone(),
            )
        if kind == "unavailable":
            response = oauth_error_response(
                OAuthError(
                    "temporarily_unavailable",
                    "AADSTS90033: A transient error has occurred. Please try again.",
                    503,
                ),
                datetime.now().astimezone(),
            )
            response.headers.update(retry)
            return response
        if kind == "drop":
            return Response(drop=True)
        if kind == "slow":
            time.sleep(delay_s if delay_s is not None else 1.0)
        return None


def _identity_method(request: Request) -> str:
    if request.path.endswith("/openid-configuration"):
        return "identity.openid"
    if request.path.endswith("/devicecode"):
        return "identity.devicecode"
    if request.path.endswith("/token"):
        return "identity.token"
    return "identity.other"


def _identity_request_impl(emulator: MicrosoftEmulator, request: Request) -> Response:
    method = _identity_method(request)
    emulator.accounting.record(PROVIDER, emulator.email, method)
    fault = emulator.faults.take(PROVIDER, method)
    if fault is not None:
        if fault.kind == "revoked" and method == "identity.token":
            return oauth_error_response(
                OAuthError(
                    "invalid_grant",
                    "AADSTS50173: The provided grant has expired due to it being revoked, a "
                    "fresh auth token is needed.",
                    error_codes=[50173],
                ),
                emulator.clock.now(),
            )
        answer = _IdentityFaults.answer(fault.kind, fault.retry_after, fault.delay_s)
        if answer is not None:
            return answer
    return emulator.identity.handle(request, emulator.identity_url)

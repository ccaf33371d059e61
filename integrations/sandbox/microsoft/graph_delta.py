"""Delta queries: per-folder messages/delta and calendarView/delta, with opaque skip and
delta tokens, page sizes from Prefer, @removed entries, replays and expired tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from integrations.sandbox.http import Response, json_response

from .call import Call
from .errors import GraphError, bad_request
from .odata import Clause, matches, parse_filter, select
from .state import ChangeLog

DEFAULT_PAGE = 10
MAX_PAGE = 1000


@dataclass(frozen=True)
class DeltaState:
    """What a skip or delta token carries. `low`/`high` bound the sequence numbers of this
    round; `round_low` is where the round began (a replay restarts there)."""

    kind: str  # "mail" or "calendar"
    scope: str  # folder id, or "calendar"
    mailbox: str
    epoch: int
    issued: float  # simulated epoch seconds
    low: int
    high: int | None
    round_low: int
    initial: bool
    fields: list[str] | None = None
    filter: str | None = None
    window: tuple[str, str] | None = None


class TokenCodec:
    """Signs tokens so a tampered or foreign token is told apart from an expired one."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, state: DeltaState) -> str:
        raw = base64.urlsafe_b64encode(json.dumps(asdict(state)).encode()).decode()
        payload = raw.rstrip("=")
        mac = hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()[:16]
        return f"{payload}.{mac}"

    def decode(self, token: str) -> DeltaState | None:
        payload, _, mac = token.partition(".")
        expected = hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()[:16]
        if not hmac.compare_digest(mac, expected):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            if data.get("window") is not None:
                data["window"] = tuple(data["window"])
            return DeltaState(**data)
        except (ValueError, TypeError):
            return None


@dataclass
class DeltaSettings:
    """Token lifetime on the simulated clock (None: tokens expire only when told to)."""

    max_token_age: timedelta | None = None


SYNC_STATE_NOT_FOUND = GraphError(
    410,
    "SyncStateNotFound",
    "The sync state generation is not found or has expired. Please do a full sync.",
)


def token_from(call: Call, codec: TokenCodec, settings: DeltaSettings) -> DeltaState | None:
    """The state in $skiptoken/$deltatoken (None on a first call); 400/410 as Graph does."""
    request = call.request
    skip, delta = request.param("$skiptoken"), request.param("$deltatoken")
    raw = skip or delta
    if raw is None:
        return None
    if skip and delta:
        raise bad_request("Only one of $skiptoken and $deltatoken may be given.")
    others = set(request.query) - {"$skiptoken", "$deltatoken"}
    if others:
        raise bad_request(
            "Query options cannot be combined with a $skiptoken or $deltatoken; "
            "they are carried by the token.",
        )
    state = codec.decode(raw)
    if state is None or state.mailbox != call.mailbox.email:
        raise bad_request("The delta or skip token is malformed.", "ErrorInvalidParameter")
    if state.epoch != call.mailbox.delta_epoch:
        raise SYNC_STATE_NOT_FOUND
    age = settings.max_token_age
    if age is not None and call.now.timestamp() - state.issued > age.total_seconds():
        raise SYNC_STATE_NOT_FOUND
    if (skip is None) != (state.high is None):
        raise bad_request("The token does not match the parameter it was passed in.")
    return state


def page_size(call: Call) -> int:
    return min(call.prefs.max_page_size or DEFAULT_PAGE, MAX_PAGE)


def run_page(
    call: Call,
    codec: TokenCodec,
    state: DeltaState,
    log: ChangeLog,
    render: Callable[[str], dict[str, Any] | None],
    removed: Callable[[str, str], dict[str, Any]],
    link: str,
    context: str,
) -> Response:
    """One page: items whose latest change lies in (low, high]; then a next or delta link.

    `render(key)` gives the item or None when it does not belong (filtered out or outside
    the window); a non-present (or non-belonging) entry becomes `removed(key, seen_as)`
    except on the initial round."""
    high = state.high if state.high is not None else call.mailbox.seq
    size = page_size(call)
    values: list[dict[str, Any]] = []
    last_seq = state.low
    more = False
    entries: Iterator[tuple[int, str, bool, str]] = log.entries(state.low, high)
    for seq, key, present, seen_as in entries:
        item = render(key) if present else None
        if item is None and state.initial:
            last_seq = seq
            continue
        if len(values) == size:
            more = True
            break
        values.append(item if item is not None else removed(key, seen_as))
        last_seq = seq
    issued = call.now.timestamp()
    payload: dict[str, Any] = {"@odata.context": context, "value": values}
    if more:
        nxt = replace(state, low=last_seq, high=high, issued=issued)
        payload["@odata.nextLink"] = f"{link}?$skiptoken={codec.encode(nxt)}"
    else:
        done = replace(
            state, low=high, high=None, round_low=state.round_low, initial=False, issued=issued
        )
        payload["@odata.deltaLink"] = f"{link}?$deltatoken={codec.encode(done)}"
    headers = {"Preference-Applied": call.prefs.applied()} if call.prefs.applied() else {}
    return json_response(200, payload, headers)


def start_round(call: Call, state: DeltaState, replays: set[str]) -> DeltaState:
    """A deltatoken starts a new round; a pending replay restarts the previous one."""
    if state.high is not None:
        return state
    if state.scope in replays:
        replays.discard(state.scope)
        return replace(state, low=state.round_low, initial=False)
    return replace(state, round_low=state.low)


# mail -----------------------------------------------------------------------------
MAIL_DELTA_OPTIONS = frozenset({"$select", "$filter", "$top", "$orderby", "$expand"})


def mail_filter(text: str | None) -> list[Clause]:
    if not text:
        return []
    clauses = parse_filter(text, {"receivedDateTime": "datetime"})
    if any(c.op not in ("ge", "gt") for c in clauses):
        raise GraphError(
            400,
            "ErrorInvalidUrlQueryFilter",
            "Delta queries on messages support $filter only on receivedDateTime with ge or gt.",
        )
    return clauses


def first_mail_state(call: Call, folder_id: str, properties: frozenset[str]) -> DeltaState:
    request = call.request
    unknown = set(request.query) - MAIL_DELTA_OPTIONS
    if unknown:
        raise bad_request(
            f"Query option '{sorted(unknown)[0]}' is not supported with change tracking."
        )
    if request.param("$expand"):
        raise bad_request("$expand is not supported with change tracking on messages.")
    order = request.param("$orderby")
    if order is not None and order.strip() != "receivedDateTime desc":
        raise bad_request("The only supported $orderby for delta is 'receivedDateTime desc'.")
    fields = select(request, properties, "message")
    raw_filter = request.param("$filter")
    mail_filter(raw_filter)
    return DeltaState(
        kind="mail",
        scope=folder_id,
        mailbox=call.mailbox.email,
        epoch=call.mailbox.delta_epoch,
        issued=call.now.timestamp(),
        low=0,
        high=None,
        round_low=0,
        initial=True,
        fields=list(fields) if fields is not None else None,
        filter=raw_filter,
    )


def received_matches(clauses: list[Clause], received: datetime | None) -> bool:
    return all(matches(c, received) for c in clauses)


# calendar ---------------------------------------------------------------------------
def first_calendar_state(call: Call, start: datetime, end: datetime) -> DeltaState:
    return DeltaState(
        kind="calendar",
        scope="calendar",
        mailbox=call.mailbox.email,
        epoch=call.mailbox.delta_epoch,
        issued=call.now.timestamp(),
        low=0,
        high=None,
        round_low=0,
        initial=True,
        window=(start.isoformat(), end.isoformat()),
    )

"""Outlook sync through Graph delta queries: Inbox and Sent Items for mail, Drafts for
drafts that left it, and calendarView for events; one full resync when a token expires."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses
from typing import Any

from integrations.microsoft.calendar import Events, involves
from integrations.microsoft.errors import DeltaExpired
from integrations.microsoft.graph import Graph, Json
from integrations.microsoft.mail import Mail
from integrations.protocol import CalendarEventSeen, DraftGone, MessageSeen
from integrations.reports import REPORT_HEADERS, may_be_report

log = logging.getLogger(__name__)

INBOX_CURSOR = "graph.inbox"  # the Inbox deltaLink (a nextLink while a first sync pages)
SENT_CURSOR = "graph.sentitems"  # the Sent Items deltaLink
DRAFTS_CURSOR = "graph.drafts"  # the Drafts deltaLink
DRAFTS_CHECKED = "graph.drafts.checked"  # when Drafts was last asked (ISO time)
CALENDAR_CURSOR = "graph.calendar"  # the calendarView deltaLink
CALENDAR_WINDOW = "graph.calendar.window"  # start of the window frozen in that link (ISO)

FOLDERS = {"inbox": INBOX_CURSOR, "sentitems": SENT_CURSOR}
# Only what MessageSeen needs: delta pages stay small and cheap.
MESSAGE_FIELDS = ",".join(
    [
        "id",
        "internetMessageId",
        "conversationId",
        "subject",
        "from",
        "toRecipients",
        "ccRecipients",
        "receivedDateTime",
        "sentDateTime",
        "bodyPreview",
        "internetMessageHeaders",
    ]
)
# Headers passed on to the worker so it can tell automatic mail from a person's answer.
AUTOMATION_HEADERS = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "precedence",
    *REPORT_HEADERS,
)
PAST = timedelta(days=30)
AHEAD = timedelta(days=180)
#: The calendar window is frozen in its delta token; renew it once it lags this much.
WINDOW_SLACK = timedelta(days=7)
#: Drafts are asked only when the mail folders changed, or this long after the last time:
#: an unchanged mailbox then costs three requests (Inbox, Sent Items, calendar).
DRAFTS_EVERY = timedelta(minutes=15)
_MESSAGE_IDS = re.compile(r"<[^<>\s]+>")

Clock = Callable[[], datetime]


@dataclass
class Changes:
    messages: list[MessageSeen] = field(default_factory=list)
    drafts_gone: list[DraftGone] = field(default_factory=list)
    events: list[CalendarEventSeen] = field(default_factory=list)
    incomplete: bool = False


@dataclass
class _Round:
    items: list[Json]
    complete: bool


class MailboxSync:
    """Delta sync of one Outlook mailbox and its default calendar.

    Parameters:
        graph: the mailbox's Graph session.
        mail: the mail operations (to know drafts we made only to send them).
        events: maps calendar items.
        email: the account's address.
        clock: the current time, aware (calendar window, drafts schedule).
        page_size: items per delta page (Prefer odata.maxpagesize).
        pages_per_sync: pages per resource and call before reporting incomplete.
        drafts_every: the longest wait between two looks at Drafts.
    """

    def __init__(
        self,
        graph: Graph,
        mail: Mail,
        events: Events,
        email: str,
        clock: Clock,
        *,
        page_size: int = 100,
        pages_per_sync: int = 10,
        drafts_every: timedelta = DRAFTS_EVERY,
    ) -> None:
        self.graph = graph
        self.mail = mail
        self.events = events
        self.email = email.lower()
        self.clock = clock
        self.page_size = page_size
        self.pages_per_sync = pages_per_sync
        self.drafts_every = drafts_every
        self.resyncs: Counter[str] = Counter()  # full resyncs per cursor, after expiry
        # The etag each item had when last reported, per cursor: a replayed delta round
        # (Graph may repeat one) is then not reported twice by this process.
        self._reported: dict[str, dict[str, str]] = {}
        # Markers already read, per message id: a message reported again (a replay, a
        # resync) costs no second read.
        self._marked: dict[str, str] = {}

    def sync(
        self, cursors: dict[str, str], addresses: set[str], drafts: Collection[str] = ()
    ) -> Changes:
        """Changes since `cursors`, which are updated in place. `drafts` (our waiting
        drafts) is accepted for the protocol: Drafts' own delta reports each that leaves."""
        wanted = {a.strip().lower() for a in addresses if a.strip()}
        out = Changes()
        mail_changed = False
        # While one folder pages through a first sync, a folder already caught up waits:
        # asking it at every call would cost one request per call for nothing new.
        waiting = any(_paging(cursors[k]) for k in FOLDERS.values() if k in cursors)
        for folder, key in FOLDERS.items():
            if waiting and key in cursors and not _paging(cursors[key]):
                continue
            # A stored nextLink: this call continues a round begun earlier (a first sync
            # paging through the mailbox), so what it lists is old mail, not changes.
            first = key not in cursors or _paging(cursors[key])
            found = self._delta(
                cursors,
                key,
                f"/me/mailFolders/{folder}/messages/delta",
                {"$select": MESSAGE_FIELDS},
                "graph.messages.delta",
            )
            out.incomplete |= not found.complete
            mail_changed |= bool(found.items) and not first
            for item in self._fresh(key, found.items):
                if "@removed" in item:
                    continue  # a message leaving Inbox or Sent Items tells the worker nothing
                seen = self.seen(item, sent_folder=folder == "sentitems")
                if not seen.sent_by_user and may_be_report(
                    seen.from_address, seen.subject, seen.headers
                ):
                    out.messages.append(self._with_mime(seen))
                elif _involves(seen, wanted):
                    out.messages.append(self._with_marker(seen) if seen.sent_by_user else seen)
        if out.incomplete and DRAFTS_CURSOR in cursors and CALENDAR_CURSOR in cursors:
            # The mail is still paging (a large first sync, several calls): Drafts and the
            # calendar were asked at its start and are asked again when it completes, not
            # at every call in between (two requests per call, 26 for 10,000 messages).
            return out
        if self._drafts_due(cursors, mail_changed):
            out.drafts_gone = self._drafts(cursors)
        out.events = self._calendar(cursors, wanted)
        return out

    def _with_mime(self, seen: MessageSeen) -> MessageSeen:
        """A possible report with its MIME text (GET /me/messages/{id}/$value, "Get MIME
        content of a message"): a bounce names whom it is about only in its body. One
        request per such message; an idle pass has none."""
        mime = self.graph.content(
            f"/me/messages/{seen.provider_message_id}/$value", what="graph.messages.mime"
        )
        return dataclasses.replace(seen, raw=mime)

    def _with_marker(self, seen: MessageSeen) -> MessageSeen:
        """Mail the user sent, with the Message-ID we gave it (our marker property), which
        the worker matches its drafts by when Exchange gave the message another. The delta
        query cannot carry it: message delta documents $expand, but Microsoft's docs
        repository's issues report 500s for it ("Value cannot be null. Parameter name: type",
        calendarView delta expanding singleValueExtendedProperties, message delta
        expanding extensions), and the sandbox refuses it likewise. So one
        GET per such message, only for mail to or from tracked people."""
        if seen.provider_message_id in self._marked:
            return dataclasses.replace(seen, our_message_id=self._marked[seen.provider_message_id])
        ours = self.mail.marker(seen.provider_message_id)
        if ours is not None:
            if len(self._marked) > 10_000:
                self._marked.clear()  # bounded memory: forgetting costs a read again
            self._marked[seen.provider_message_id] = ours
        return dataclasses.replace(seen, our_message_id=ours)

    # delta plumbing -----------------------------------------------------------------------
    def _delta(
        self, cursors: dict[str, str], key: str, path: str, params: dict[str, str], what: str
    ) -> _Round:
        link = cursors.get(key)
        try:
            found = self._pages(cursors, key, link or path, None if link else params, what)
        except DeltaExpired:
            if link is None:
                raise  # a fresh start refused: not a stale token, do not loop
            # One full resync of this resource; the worker's dedupe absorbs the repeats.
            log.info("%s: delta token expired, starting over", key)
            self.resyncs[key] += 1
            cursors.pop(key, None)
            self._reported.pop(key, None)
            found = self._pages(cursors, key, path, params, what)
        return found

    def _pages(
        self,
        cursors: dict[str, str],
        key: str,
        start: str,
        params: dict[str, str] | None,
        what: str,
    ) -> _Round:
        items: list[Json] = []
        url, query = start, params
        for _ in range(self.pages_per_sync):
            page = self.graph.get(
                url, what=what, params=query, prefer=[f"odata.maxpagesize={self.page_size}"]
            )
            items += page.get("value") or []
            query = None  # the links carry every option from here on
            if "@odata.deltaLink" in page:
                cursors[key] = self.graph.relative(str(page["@odata.deltaLink"]))
                return _Round(items, complete=True)
            if "@odata.nextLink" not in page:
                raise DeltaExpired(f"{what}: a page with neither link", 200, "")
            url = str(page["@odata.nextLink"])
        cursors[key] = self.graph.relative(url)  # resume the paging next time
        return _Round(items, complete=False)

    def _fresh(self, key: str, items: list[Json]) -> list[Json]:
        """Items not already reported at this version (within a round, and on replays)."""
        reported = self._reported.setdefault(key, {})
        fresh: list[Json] = []
        for item in items:
            item_id = str(item.get("id", ""))
            version = "@removed" if "@removed" in item else str(item.get("@odata.etag", ""))
            if version and reported.get(item_id) == version:
                continue
            reported[item_id] = version
            fresh.append(item)
        if len(reported) > 10_000:
            # Bounded memory: forgetting only risks reporting a replay again (deduped later).
            for stale in list(reported)[: len(reported) - 5_000]:
                del reported[stale]
        return fresh

    # drafts -------------------------------------------------------------------------------
    def _drafts_due(self, cursors: dict[str, str], mail_changed: bool) -> bool:
        if DRAFTS_CURSOR not in cursors or mail_changed:
            return True
        checked = _instant(cursors.get(DRAFTS_CHECKED))
        return checked is None or self.clock() - checked >= self.drafts_every

    def _drafts(self, cursors: dict[str, str]) -> list[DraftGone]:
        found = self._delta(
            cursors,
            DRAFTS_CURSOR,
            "/me/mailFolders/drafts/messages/delta",
            {"$select": "id"},
            "graph.messages.delta",
        )
        cursors[DRAFTS_CHECKED] = self.clock().isoformat()
        gone = []
        for item in self._fresh(DRAFTS_CURSOR, found.items):
            draft_id = str(item.get("id", ""))
            if (
                "@removed" in item
                and draft_id not in self.mail.own_send_drafts
                and self._discarded(draft_id)
            ):
                gone.append(DraftGone(draft_id))
        return gone

    def _discarded(self, draft_id: str) -> bool:
        """Whether a draft that left Drafts was discarded rather than sent. A sent message
        waits in the Outbox, sometimes for minutes, before its copy reaches Sent Items
        (and the sync sees it sent): leaving Drafts alone proves nothing. The immutable id
        follows the item across folders, so ask what it is now: gone (404) or still a
        draft (in Deleted Items) is a discard; no longer a draft is a send."""
        found = self.graph.call(
            "GET",
            f"/me/messages/{draft_id}",
            what="graph.messages.get",
            params={"$select": "id,isDraft"},
            missing_ok=True,
        )
        return found is None or found.get("isDraft") is not False

    # calendar -----------------------------------------------------------------------------
    def _calendar(self, cursors: dict[str, str], wanted: set[str]) -> list[CalendarEventSeen]:
        now = self.clock()
        frozen = _instant(cursors.get(CALENDAR_WINDOW))
        if frozen is not None and now - PAST - frozen > WINDOW_SLACK:
            # The token's window no longer reaches far enough ahead: a new one, once.
            cursors.pop(CALENDAR_CURSOR, None)
        if CALENDAR_CURSOR not in cursors:
            cursors[CALENDAR_WINDOW] = (now - PAST).astimezone(UTC).isoformat()
        start = _instant(cursors[CALENDAR_WINDOW]) or now - PAST
        params = {
            "startDateTime": _graph_instant(start),
            "endDateTime": _graph_instant(start + PAST + AHEAD),
        }
        found = self._delta(
            cursors, CALENDAR_CURSOR, "/me/calendarView/delta", params, "graph.calendar.delta"
        )
        return [
            self.events.seen(self._removed_or_moved(item) if "@removed" in item else item)
            for item in self._fresh(CALENDAR_CURSOR, found.items)
            if involves(item, wanted)
        ]

    def _removed_or_moved(self, item: Json) -> Json:
        """An @removed calendar entry as it really is. Graph says "removed" both for a
        deleted event and for one that left the window (a contact moved the meeting six
        months out): the event itself tells which. Gone (404) stays a removal; one still
        there is reported as it now is (moved, or cancelled by its organizer)."""
        found = self.graph.call(
            "GET",
            f"/me/events/{item.get('id', '')}",
            what="graph.events.get",
            missing_ok=True,
        )
        return found if found is not None and not found.get("@removed") else item

    # mapping ------------------------------------------------------------------------------
    def seen(self, item: Json, *, sent_folder: bool) -> MessageSeen:
        """A Graph message (with the fields of MESSAGE_FIELDS) as the worker sees it."""
        headers: dict[str, str] = {}
        for header in item.get("internetMessageHeaders") or []:
            headers.setdefault(str(header.get("name", "")).lower(), str(header.get("value", "")))
        sender = _address(item.get("from")) or _first(headers.get("from", ""))
        in_reply_to = _MESSAGE_IDS.findall(headers.get("in-reply-to", ""))
        when = item.get("sentDateTime") if sent_folder else item.get("receivedDateTime")
        return MessageSeen(
            provider_message_id=str(item["id"]),
            message_id=str(item.get("internetMessageId") or headers.get("message-id", "")).strip(),
            thread_id=item.get("conversationId"),
            from_address=sender,
            to=[a for a in map(_address, item.get("toRecipients") or []) if a],
            cc=[a for a in map(_address, item.get("ccRecipients") or []) if a],
            subject=str(item.get("subject") or ""),
            date=_instant(when) or self.clock(),
            sent_by_user=sent_folder or sender == self.email,
            in_reply_to=in_reply_to[0] if in_reply_to else None,
            references=_MESSAGE_IDS.findall(headers.get("references", "")),
            headers={k: headers[k] for k in AUTOMATION_HEADERS if k in headers},
            excerpt=str(item.get("bodyPreview") or ""),
            calendar_method=_calendar_method(item),
        )


def _calendar_method(item: Json) -> str | None:
    """What kind of meeting mail an item is, from its `@odata.type`; None for a message.

    Graph returns `@odata.type` by itself for derived types under `$select`, while
    selecting `meetingMessageType` on a messages collection is refused (400: no such
    property on microsoft.graph.message). The type tells requests from responses; a
    cancellation is not told apart, which changes nothing: none of them is conversation.
    """
    kind = str(item.get("@odata.type") or "")
    if not kind.startswith("#microsoft.graph.eventMessage"):
        return None
    return "REPLY" if kind == "#microsoft.graph.eventMessageResponse" else "REQUEST"


def _paging(link: str) -> bool:
    """Whether a stored link is a nextLink (its round not finished) rather than a
    deltaLink: Graph puts a $skiptoken in the one and a $deltatoken in the other."""
    return "deltatoken" not in link.lower()


def _address(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    return str((value.get("emailAddress") or {}).get("address") or "").lower()


def _first(header: str) -> str:
    found = [a.lower() for _, a in getaddresses([header]) if a]
    return found[0] if found else ""


def _involves(message: MessageSeen, wanted: set[str]) -> bool:
    people = [message.from_address, *message.to, *message.cc]
    return any(p in wanted for p in people)


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _graph_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

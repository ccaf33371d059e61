"""Gmail mailbox sync: a resumable first sync limited to the tracked contacts, then
history-based increments, a one-time backfill of contacts tracked later, and noticing our
drafts leaving the Drafts folder."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from integrations.google import mime
from integrations.google.client import Calls
from integrations.google.errors import GoogleRefused
from integrations.protocol import DraftGone, MessageSeen
from integrations.reports import REPORT_HEADERS, may_be_report

log = logging.getLogger(__name__)

HISTORY_CURSOR = "gmail.history"  # the history id to continue from
FIRST_SYNC_CURSOR = "gmail.first_sync"  # JSON progress of a first sync still paging
# JSON {draft id: its message id} as listed last time (older cursors: a list of draft ids).
# The message ids are what history names: a draft's message id changes on every update.
DRAFTS_CURSOR = "gmail.drafts"
# Digests of the addresses whose past mail was searched (JSON list), and the JSON progress
# of a backfill still paging. Digests, not addresses: cursors are logged in clear, and a
# forgotten contact's address must not stay behind in the log.
COVERED_CURSOR = "gmail.covered"
BACKFILL_CURSOR = "gmail.backfill"
DIGEST_HEX = 12  # 48 bits: collisions are negligible for any contact book

# What sync reads of a message: the headers, and the MIME types and headers of its parts
# (three levels: Google Calendar nests text/calendar in multipart/alternative inside
# multipart/mixed), never a body. The metadata format would be lighter but carries no
# parts, so a meeting invitation (a text/calendar part) would pass for a reply.
MESSAGE_FIELDS = (
    "id,threadId,labelIds,snippet,internalDate,"
    "payload(mimeType,headers,parts(mimeType,headers,parts(mimeType,headers,"
    "parts(mimeType,headers))))"
)
# Headers passed on to the worker so it can tell automatic mail from a person's answer.
AUTOMATION_HEADERS = tuple(
    dict.fromkeys(("auto-submitted", "x-autoreply", "x-autorespond", "precedence", *REPORT_HEADERS))
)
# Label changes matter too: real Gmail may send a draft by moving its message from DRAFT
# to SENT (same message id), which history reports as labels, not as an added message.
# The messages inside history records "typically only have id and threadId"
# (users.history): no labelIds, so what happened to a draft is learnt from drafts.list.
HISTORY_TYPES = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"]
HISTORY_PAGE = 500
QUERY_CHARS = 1000  # Gmail truncates very long q strings without saying so
# Mail servers' reports about the user's mail (bounces above all) name whom they are about
# only in their body, so no search for a tracked address finds one: later passes see them
# in history like any new mail, and a first sync searches for them apart, by the senders
# and subjects integrations.reports reads whole. Within the last REPORTS_WINDOW: a server
# gives up on a message within days (RFC 5321 4.5.4.1), so a report is about mail sent
# shortly before it, and the first sync records the outreach of these weeks too.
REPORTS_WINDOW = "90d"
REPORTS_QUERY = (
    "{from:mailer-daemon from:postmaster subject:undeliverable subject:undelivered "
    'subject:"delivery status notification" subject:"returned mail" '
    'subject:"failure notice" subject:"mail delivery" subject:"delivery failure" '
    'subject:"not be delivered"} '
    f"newer_than:{REPORTS_WINDOW} -in:drafts -in:sent"
)


@dataclass
class MailChanges:
    messages: list[MessageSeen] = field(default_factory=list)
    drafts_gone: list[DraftGone] = field(default_factory=list)
    incomplete: bool = False


def queries(addresses: Iterable[str], limit: int = QUERY_CHARS) -> list[str]:
    """Search strings covering mail from, to or cc each address, each under `limit`.

    Braces are Gmail's OR group; drafts are left out (they are ours, not mail).
    """
    chunks: list[list[str]] = []
    size = 0
    for address in sorted({a.strip().lower() for a in addresses if a.strip()}):
        terms = [f"from:{address}", f"to:{address}", f"cc:{address}"]
        cost = sum(len(t) + 1 for t in terms)
        if not chunks or size + cost > limit:
            chunks.append([])
            size = 0
        chunks[-1] += terms
        size += cost
    return ["{" + " ".join(terms) + "} -in:drafts" for terms in chunks]


class MailboxSync:
    """Sync of one Gmail mailbox.

    Parameters:
        gmail: the Gmail discovery client.
        calls: executes requests (quota, retries, errors).
        email: the account's address.
        batch_uri: where Gmail batches are posted.
        page_size: messages listed per page of a first sync.
        pages_per_sync: pages of a first sync done per call before returning incomplete,
            so a big mailbox is synced in resumable steps.
        address_key: keys the digests of covered addresses kept in a cursor (pass a
            secret one: without it the digests are keyed by the account's address only).
    """

    def __init__(
        self,
        gmail: Any,
        calls: Calls,
        email: str,
        batch_uri: str,
        *,
        page_size: int = 100,
        pages_per_sync: int = 5,
        address_key: bytes | None = None,
    ) -> None:
        self.gmail = gmail
        self.calls = calls
        self.email = email.lower()
        self.batch_uri = batch_uri
        self.page_size = page_size
        self.pages_per_sync = pages_per_sync
        self.address_key = address_key or self.email.encode()

    def digest(self, address: str) -> str:
        """The keyed digest of an address, as kept in the covered cursor."""
        mac = hmac.new(self.address_key, address.strip().lower().encode(), hashlib.sha256)
        return mac.hexdigest()[:DIGEST_HEX]

    def sync(
        self, cursors: dict[str, str], addresses: set[str], drafts: Iterable[str] = ()
    ) -> MailChanges:
        """Changes since `cursors` (updated in place). `drafts` are the ids of our drafts
        still waiting: one not listed before is looked for, so a draft made and then sent
        or discarded between two passes is still reported gone."""
        wanted = {a.strip().lower() for a in addresses}
        watched = set(drafts)
        if FIRST_SYNC_CURSOR in cursors or HISTORY_CURSOR not in cursors:
            return self._first(cursors, wanted, watched)
        try:
            return self._incremental(cursors, wanted, watched)
        except GoogleRefused as error:
            if error.status != 404:
                raise
        # The history id is too old (Gmail keeps about a week, sometimes hours): start
        # over once. The first sync never reads history, so this cannot loop.
        log.warning("Gmail history expired for %r: full resync", self.email)
        del cursors[HISTORY_CURSOR]
        return self._first(cursors, wanted, watched)

    # first sync ------------------------------------------------------------------------
    def _first(self, cursors: dict[str, str], wanted: set[str], watched: set[str]) -> MailChanges:
        state = json.loads(cursors[FIRST_SYNC_CURSOR]) if FIRST_SYNC_CURSOR in cursors else None
        if state is None:
            # Taken before listing: whatever arrives while we page is in history after it.
            profile = self.calls.execute(lambda: self._users().getProfile(userId="me"))
            state = {"history": str(profile["historyId"]), "chunk": 0, "page": None}
        changes = MailChanges()
        if not self._search(state, wanted, changes, reports=True):
            cursors[FIRST_SYNC_CURSOR] = json.dumps(state)
            changes.incomplete = True
            return changes
        cursors.pop(FIRST_SYNC_CURSOR, None)
        cursors.pop(BACKFILL_CURSOR, None)
        cursors[HISTORY_CURSOR] = state["history"]
        # Only the searched addresses are covered: a contact added while the first sync
        # paged is left to a backfill, never to nobody.
        cursors[COVERED_CURSOR] = json.dumps(state["digests"])
        changes.drafts_gone = self._drafts_gone(cursors, watched)
        return changes

    def _search(
        self, state: dict[str, Any], wanted: set[str], changes: MailChanges, reports: bool = False
    ) -> bool:
        """Page the searches for the addresses in `state` on (state is updated in place),
        and with `reports` the search for mail servers' reports (REPORTS_QUERY) last, at
        most pages_per_sync pages; True once every search is done.

        The state names its addresses by digest (it is logged as a cursor), fixed when
        the search starts: contacts added meanwhile are left to a backfill, so chunks and
        page tokens do not shift under a resumable search. If one of them is no longer
        tracked (forgotten), the chunks would shift: the search restarts without it.
        """
        if "digests" not in state:
            state["digests"] = sorted({self.digest(a) for a in wanted})
        digests = set(state["digests"])
        addresses = sorted(a for a in wanted if self.digest(a) in digests)
        if len(addresses) != len(digests):
            state.update(chunk=0, page=None, digests=sorted({self.digest(a) for a in addresses}))
        chunks = queries(addresses) + ([REPORTS_QUERY] if reports else [])
        found: dict[str, None] = {}  # ordered set: a message can match several chunks
        for _ in range(self.pages_per_sync):
            if state["chunk"] >= len(chunks):
                break
            listed = self._list_page(chunks[state["chunk"]], state["page"])
            found.update((m["id"], None) for m in listed.get("messages", []))
            state["page"] = listed.get("nextPageToken")
            if not state["page"]:
                state["chunk"] += 1
        # Fetched once for all the pages of this step: full batches of 50, not a short
        # batch at the end of every page (fewer HTTP requests for the same quota).
        changes.messages += self._kept(self._resources(list(found)), wanted)
        return bool(state["chunk"] >= len(chunks))

    # backfill --------------------------------------------------------------------------
    def _backfill(self, cursors: dict[str, str], wanted: set[str], changes: MailChanges) -> None:
        """Search the past mail of addresses tracked since the first sync, once each.

        New mail of theirs already arrives through history (it filters by `wanted`); only
        what they exchanged before they were tracked is missing. Resumable like the first
        sync; an account whose cursors predate backfills counts its contacts as covered.
        """
        if COVERED_CURSOR not in cursors:
            cursors[COVERED_CURSOR] = self._covered_json(wanted)
            return
        covered = set(json.loads(cursors[COVERED_CURSOR]))
        state = json.loads(cursors[BACKFILL_CURSOR]) if BACKFILL_CURSOR in cursors else None
        if state is None:
            new = sorted({d for a in wanted if (d := self.digest(a)) not in covered})
            if not new:
                return
            log.info("Gmail backfill of %d newly tracked addresses", len(new))
            state = {"chunk": 0, "page": None, "digests": new}
        if not self._search(state, wanted, changes):
            cursors[BACKFILL_CURSOR] = json.dumps(state)
            changes.incomplete = True
            return
        cursors.pop(BACKFILL_CURSOR, None)
        cursors[COVERED_CURSOR] = json.dumps(sorted(covered | set(state["digests"])))

    def _covered_json(self, addresses: Iterable[str]) -> str:
        return json.dumps(sorted({self.digest(a) for a in addresses}))

    def _list_page(self, query: str, page_token: str | None) -> dict[str, Any]:
        answer: dict[str, Any] = self.calls.execute(
            lambda: (
                self._users()
                .messages()
                .list(userId="me", q=query, maxResults=self.page_size, pageToken=page_token)
            )
        )
        return answer

    # increments ------------------------------------------------------------------------
    def _incremental(
        self, cursors: dict[str, str], wanted: set[str], watched: set[str]
    ) -> MailChanges:
        added: dict[str, None] = {}  # ordered set of message ids
        deleted: set[str] = set()
        touched: set[str] = set()  # every message id a record names
        drafts_changed = False
        page_token: str | None = None
        start = cursors[HISTORY_CURSOR]
        while True:
            page = self.calls.execute(
                partial(
                    self._users().history().list,
                    userId="me",
                    startHistoryId=start,
                    historyTypes=HISTORY_TYPES,
                    maxResults=HISTORY_PAGE,
                    pageToken=page_token,
                )
            )
            for record in page.get("history", []):
                drafts_changed |= _read_record(record, added, deleted, touched)
            page_token = page.get("nextPageToken")
            if not page_token:
                break
        ids = [i for i in added if i not in deleted]
        found = self._resources(ids)
        changes = MailChanges(messages=self._kept(found, wanted))
        cursors[HISTORY_CURSOR] = str(page["historyId"])
        known = _listed_drafts(cursors)
        # Drafts are listed again only when something may have happened to one: a listed
        # draft's message was touched (updated, sent, discarded), a new draft appeared
        # (a message read as DRAFT), or one of ours was never listed yet.
        drafts_changed |= bool(touched & set(known.values()))
        drafts_changed |= any(_is_draft(r) for r in found.values())
        drafts_changed |= bool(watched - set(known))
        if drafts_changed or DRAFTS_CURSOR not in cursors:
            changes.drafts_gone = self._drafts_gone(cursors, watched)
        self._backfill(cursors, wanted, changes)
        return changes

    # drafts ----------------------------------------------------------------------------
    def _drafts_gone(self, cursors: dict[str, str], watched: set[str]) -> list[DraftGone]:
        """Drafts listed last time, or watched, and missing now; records the current list."""
        before = list(_listed_drafts(cursors)) + sorted(watched)
        now: dict[str, str] = {}
        page_token: str | None = None
        while True:
            page = self.calls.execute(
                partial(
                    self._users().drafts().list, userId="me", maxResults=500, pageToken=page_token
                )
            )
            now.update(
                (str(d["id"]), str((d.get("message") or {}).get("id", "")))
                for d in page.get("drafts", [])
            )
            page_token = page.get("nextPageToken")
            if not page_token:
                break
        cursors[DRAFTS_CURSOR] = json.dumps(dict(sorted(now.items())))
        gone = dict.fromkeys(d for d in before if d not in now)
        return [DraftGone(draft_id) for draft_id in gone]

    # messages --------------------------------------------------------------------------
    def _resources(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The messages of `ids` with the fields of MESSAGE_FIELDS (batched), by id, in
        the order of `ids`; those deleted meanwhile are left out."""
        if not ids:
            return {}
        get = self._users().messages().get
        requests = {
            message_id: partial(
                get, userId="me", id=message_id, format="full", fields=MESSAGE_FIELDS
            )
            for message_id in ids
        }
        found = self.calls.batch(requests, self.batch_uri)
        return {i: found[i] for i in ids if found.get(i) is not None}

    def _kept(self, found: dict[str, dict[str, Any]], wanted: set[str]) -> list[MessageSeen]:
        """The messages that involve a wanted address (drafts are ours, not mail), and
        received mail that may be a report (a bounce), read whole."""
        out = []
        reports = []
        for resource in found.values():
            if _is_draft(resource):
                continue
            message = self.seen(resource)
            if not message.sent_by_user and may_be_report(
                message.from_address, message.subject, message.headers
            ):
                reports.append(message)
            elif {message.from_address, *message.to, *message.cc} & wanted:
                out.append(message)
        return out + self._with_raw(reports)

    def _with_raw(self, messages: list[MessageSeen]) -> list[MessageSeen]:
        """`messages` with their whole text: a report names whom it is about only in its
        body. One more batch, only when such mail arrived (an idle pass has none)."""
        if not messages:
            return []
        get = self._users().messages().get
        requests = {
            m.provider_message_id: partial(
                get, userId="me", id=m.provider_message_id, format="raw", fields="id,raw"
            )
            for m in messages
        }
        found = self.calls.batch(requests, self.batch_uri)
        return [
            dataclasses.replace(m, raw=_raw(found.get(m.provider_message_id))) for m in messages
        ]

    def seen(self, resource: dict[str, Any]) -> MessageSeen:
        """A Gmail message (with the fields of MESSAGE_FIELDS) as the worker sees it."""
        headers = mime.headers_of(resource)
        senders = mime.addresses(headers.get("from", ""))
        sender = senders[0] if senders else ""
        in_reply_to = mime.message_ids(headers.get("in-reply-to", ""))
        return MessageSeen(
            provider_message_id=str(resource["id"]),
            message_id=headers.get("message-id", "").strip(),
            thread_id=resource.get("threadId"),
            from_address=sender,
            to=mime.addresses(headers.get("to", "")),
            cc=mime.addresses(headers.get("cc", "")),
            subject=headers.get("subject", ""),
            date=mime.date_of(headers, resource),
            sent_by_user="SENT" in resource.get("labelIds", []) or sender == self.email,
            in_reply_to=in_reply_to[0] if in_reply_to else None,
            references=mime.message_ids(headers.get("references", "")),
            headers={k: headers[k] for k in AUTOMATION_HEADERS if k in headers},
            excerpt=str(resource.get("snippet", "")),
            calendar_method=mime.calendar_method(resource.get("payload", {})),
            our_message_id=headers.get(mime.MARKER.lower()) or None,
        )

    def _users(self) -> Any:
        return self.gmail.users()


def _raw(resource: dict[str, Any] | None) -> bytes | None:
    """The bytes of a raw-format message (base64url, padding optional), None if absent."""
    data = str((resource or {}).get("raw") or "")
    if not data:
        return None
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def _is_draft(resource: dict[str, Any]) -> bool:
    return "DRAFT" in (resource.get("labelIds") or [])


def _listed_drafts(cursors: dict[str, str]) -> dict[str, str]:
    """{draft id: message id} as last listed ("" for the message ids of old cursors)."""
    found = json.loads(cursors.get(DRAFTS_CURSOR, "{}"))
    if isinstance(found, list):
        return dict.fromkeys((str(d) for d in found), "")
    return {str(k): str(v) for k, v in found.items()}


def _read_record(
    record: dict[str, Any], added: dict[str, None], deleted: set[str], touched: set[str]
) -> bool:
    """Fold one history record into `added`, `deleted` and `touched`; True when a label
    change says a draft changed. Only the changes' own `labelIds` (which labels a
    labelsAdded/labelsRemoved change is about) are read: the messages inside records
    carry only id and threadId."""
    drafts_changed = False
    for change in record.get("messagesAdded", []):
        added[change["message"]["id"]] = None
    for change in record.get("messagesDeleted", []):
        deleted.add(change["message"]["id"])
    for change in record.get("labelsAdded", []):
        labels = change.get("labelIds", [])
        if "SENT" in labels:
            added[change["message"]["id"]] = None
        drafts_changed |= "DRAFT" in labels
    for change in record.get("labelsRemoved", []):
        drafts_changed |= "DRAFT" in change.get("labelIds", [])
    for kind in ("messagesAdded", "messagesDeleted", "labelsAdded", "labelsRemoved"):
        touched.update(str(c["message"]["id"]) for c in record.get(kind, []))
    return drafts_changed

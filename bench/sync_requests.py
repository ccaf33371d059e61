"""Benchmark: what sync costs in requests against the emulators (counted, deterministic).

    python bench/sync_requests.py [--json] [--provider google|microsoft]

Two counts per scenario:
  http      HTTP requests the client sent (a batch of 50 gets is ONE), token refreshes
            counted apart
  calls     API calls the provider accounts (each batch part is one: Google's quota and
            per-user rate limits count parts, not batches), with their Gmail quota units

Scenarios:
  idle tick     a synced, unchanged mailbox and calendar, then 5 sync ticks; bound: at
                most 2 HTTP requests per tick (history.list + events.list)
  first sync    10,000 messages of which 300 are with the 50 tracked contacts (6 each);
                bound: only those 300 fetched, HTTP requests at most 1.1x the minimum

Outlook (--provider microsoft; the Google figures are measured too and shown beside):
  the same mailbox in the Graph emulator (9,700 untracked messages in Inbox, the 300
  tracked ones in Inbox and Sent Items), synced by OutlookProvider as `outreach run`
  builds it (100 items per delta page, 10 pages per resource and call). Graph's delta
  cannot filter by address, so every message is listed once, with only the fields the
  worker reads ($select); no message is fetched on its own. Bounds: at most 3 HTTP
  requests per idle tick (Inbox delta, Sent Items delta, calendar delta), and the first
  sync at most 1.1x its minimum: ceil(inbox/page) + ceil(sent/page) delta pages + 1
  Drafts delta + 1 calendarView delta. `items` counts the messages Graph listed.

The minimum HTTP requests of a first sync, given Gmail's limits: 1 getProfile (the
history id to continue from) + the message-list pages (one search per chunk of
addresses that fits Gmail's query length, ceil(found/500) pages each, and one for mail
servers' reports, which name a contact only in their body) + ceil(300/50)
batches of gets + 1 drafts.list (drafts seen, for noticing them leave) + 1 Calendar
events.list. Quota units are set beside the minimum the same way (list 5 per page, get 5
per message, getProfile 1, drafts.list 5 by the emulator's default).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from integrations.google import GmailProvider
from integrations.google.sync import queries
from integrations.protocol import Provider
from integrations.sandbox import Sandbox
from integrations.sandbox.http import Handler, Request, Response

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MAILBOX = 10_000
CONTACTS = 50
PER_CONTACT = 6
PAGE = 500  # Gmail's largest messages.list page
BATCH = 50
IDLE_TICKS = 5


class HttpCounter:
    """Wraps the emulator's request handler to count HTTP requests by kind."""

    def __init__(self, sandbox: Sandbox) -> None:
        server = sandbox.google._server
        self._inner = server.handler
        server.handler = self
        self.api = 0
        self.token = 0

    def __call__(self, request: Request) -> Response:
        if request.path.rstrip("/") in ("/token", "/o/oauth2/token"):
            self.token += 1
        else:
            self.api += 1
        return self._inner(request)

    def reset(self) -> None:
        self.api = 0
        self.token = 0


def tracked() -> list[str]:
    return [f"tracked{j:02d}@bench.example" for j in range(CONTACTS)]


def seed(sandbox: Sandbox) -> None:
    """9,700 messages with 500 untracked peers, then 6 with each tracked contact."""
    google = sandbox.google
    google.seed_mailbox(MAILBOX - CONTACTS * PER_CONTACT)
    box = google.mailbox()
    now = sandbox.clock.now()
    with box.lock:
        for j, peer in enumerate(tracked()):
            for k in range(PER_CONTACT):
                at = now - timedelta(days=30 + j, hours=k)
                sent = k % 2 == 0
                sender, to = (box.email, peer) if sent else (peer, box.email)
                raw = (
                    f"From: {sender}\r\nTo: {to}\r\nSubject: Bench {j}-{k}\r\n"
                    f"Date: {format_datetime(at)}\r\nMessage-ID: <bench-{j}-{k}@bench.example>\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n"
                ).encode()
                box.add(raw, ["SENT"] if sent else ["INBOX"], at)


def sync_all(provider: Provider, cursors: dict[str, str], addresses: set[str]) -> Any:
    messages = 0
    for _ in range(1000):
        batch = provider.sync(cursors, addresses)
        messages += len(batch.messages)
        cursors = batch.cursors
        if not batch.incomplete:
            return cursors, messages
    raise RuntimeError("sync never completed")


def minimum(found: int, addresses: list[str]) -> dict[str, int]:
    chunks = len(queries(addresses)) + 1  # and the search for mail servers' reports
    # Each chunk needs at least one page even when it finds nothing.
    list_pages = max(chunks, math.ceil(found / PAGE))
    batches = math.ceil(found / BATCH)
    http = 1 + list_pages + batches + 1 + 1
    units = 1 + 5 * list_pages + 5 * found + 5 + 5
    return {"http": http, "units": units, "list_pages": list_pages, "batches": batches}


def google_run() -> dict[str, Any]:
    with Sandbox(seed=0, start=START) as sandbox:
        counter = HttpCounter(sandbox)
        seed(sandbox)
        addresses = set(tracked())
        provider = GmailProvider.from_sandbox(
            sandbox.endpoints(),
            sleep=lambda _s: None,
            clock=sandbox.clock.now,
            page_size=PAGE,
            pages_per_sync=20,
        )
        try:
            accounting = sandbox.accounting
            accounting.reset()
            counter.reset()
            cursors, fetched = sync_all(provider, {}, addresses)
            first = {
                "messages_in_mailbox": MAILBOX,
                "tracked_messages": CONTACTS * PER_CONTACT,
                "fetched": accounting.total(method="gmail.users.messages.get"),
                "reported": fetched,
                "http": counter.api,
                "token_requests": counter.token,
                "calls": accounting.total(),
                "units": accounting.units(),
                "minimum": minimum(CONTACTS * PER_CONTACT, sorted(addresses)),
            }
            ticks = []
            for _ in range(IDLE_TICKS):
                accounting.reset()
                counter.reset()
                batch = provider.sync(cursors, addresses)
                cursors = batch.cursors
                ticks.append(
                    {"http": counter.api, "calls": accounting.total(), "units": accounting.units()}
                )
        finally:
            provider.close()
    first["ratio"] = round(first["http"] / first["minimum"]["http"], 3)
    return {
        "provider": "google",
        "first_sync": first,
        "idle_ticks": ticks,
        "checks": {
            "idle tick <= 2 HTTP requests": all(t["http"] <= 2 for t in ticks),
            "first sync fetches only tracked mail": first["fetched"] == CONTACTS * PER_CONTACT,
            "first sync <= 1.1x minimum HTTP requests": first["ratio"] <= 1.1,
        },
    }


class GraphCounter:
    """Wraps the Graph and identity servers of the Microsoft emulator to count HTTP
    requests, and the messages and bytes Graph answered with."""

    def __init__(self, sandbox: Sandbox) -> None:
        from integrations.sandbox.microsoft import MicrosoftEmulator

        emulator = sandbox.microsoft
        assert isinstance(emulator, MicrosoftEmulator), "no Microsoft emulator"
        graph, identity = emulator._graph_server, emulator._identity_server
        self._graph: Handler = graph.handler
        self._identity: Handler = identity.handler
        graph.handler = self._count_graph
        identity.handler = self._count_identity
        self.reset()

    def _count_graph(self, request: Request) -> Response:
        response = self._graph(request)
        self.api += 1
        self.bytes += len(response.body or b"")
        if "/messages/delta" in request.path and "/drafts/" not in request.path:
            with contextlib.suppress(ValueError):
                self.items += len(json.loads(response.body or b"{}").get("value") or [])
        return response

    def _count_identity(self, request: Request) -> Response:
        self.token += 1
        return self._identity(request)

    def reset(self) -> None:
        self.api = 0
        self.token = 0
        self.items = 0
        self.bytes = 0


def seed_outlook(sandbox: Sandbox) -> tuple[int, int]:
    """The Google benchmark's mailbox in Outlook: 9,700 untracked messages in Inbox, then
    6 with each tracked contact (even ones sent, odd ones received). Returns the number of
    messages in Inbox and in Sent Items."""
    from integrations.sandbox.microsoft import MicrosoftEmulator, scenarios
    from integrations.sandbox.microsoft.state import Message

    emulator = sandbox.microsoft
    assert isinstance(emulator, MicrosoftEmulator)
    untracked = MAILBOX - CONTACTS * PER_CONTACT
    emulator.seed(untracked)
    box = emulator.mailbox()
    me = scenarios.Person(box.email, box.display_name)
    now = sandbox.clock.now()
    sent = 0
    with box.lock:
        for j, peer in enumerate(tracked()):
            person = scenarios.Person(peer, f"Tracked {j}")
            for k in range(PER_CONTACT):
                at = now - timedelta(days=30 + j, hours=k)
                if k % 2:
                    scenarios.deliver(box, at, person, f"Bench {j}-{k}", "Hello.")
                    continue
                message = Message(
                    immutable_id=box.new_id("message"),
                    folder_id=box.aliases["sentitems"],
                    subject=f"Bench {j}-{k}",
                    body_type="text",
                    body="Hello.",
                    sender=me,
                    to=[person],
                    internet_message_id=f"<bench-{j}-{k}@bench.example>",
                    received=at,
                    sent=at,
                    is_read=True,
                )
                message.conversation_id = box.conversation_for(None, [])
                box.add_message(message, at)
                sent += 1
    return MAILBOX - sent, sent


def microsoft_minimum(inbox: int, sent: int, page: int) -> dict[str, int]:
    pages = math.ceil(inbox / page) + math.ceil(sent / page)
    return {"http": pages + 2, "delta_pages": pages}


def microsoft_run() -> dict[str, Any]:
    from integrations.microsoft import OutlookProvider

    page = 100  # OutlookProvider's default, which `outreach run` uses
    with Sandbox(seed=0, start=START) as sandbox:
        counter = GraphCounter(sandbox)
        inbox, sent = seed_outlook(sandbox)
        addresses = set(tracked())
        provider = OutlookProvider.from_sandbox(
            sandbox.endpoints(), sandbox, sleep=lambda _s: None, clock=sandbox.clock.now
        )
        try:
            counter.reset()
            cursors, reported = sync_all(provider, {}, addresses)
            first = {
                "messages_in_mailbox": MAILBOX,
                "tracked_messages": CONTACTS * PER_CONTACT,
                "listed": counter.items,
                "fetched": 0,  # no message is asked for on its own: delta pages carry them
                "reported": reported,
                "http": counter.api,
                "token_requests": counter.token,
                "calls": counter.api,
                "bytes": counter.bytes,
                "minimum": microsoft_minimum(inbox, sent, page),
            }
            ticks = []
            for _ in range(IDLE_TICKS):
                counter.reset()
                cursors = provider.sync(cursors, addresses).cursors
                ticks.append({"http": counter.api, "calls": counter.api, "bytes": counter.bytes})
        finally:
            provider.close()
    first["ratio"] = round(first["http"] / first["minimum"]["http"], 3)
    return {
        "provider": "microsoft",
        "page_size": page,
        "first_sync": first,
        "idle_ticks": ticks,
        "checks": {
            "idle tick <= 3 HTTP requests": all(t["http"] <= 3 for t in ticks),
            "first sync reports every tracked message": reported_all(first),
            "first sync <= 1.1x minimum HTTP requests": first["ratio"] <= 1.1,
        },
    }


def reported_all(first: dict[str, Any]) -> bool:
    return bool(first["reported"] == first["tracked_messages"])


def show(result: dict[str, Any]) -> None:
    runs = result.get("runs", [result])
    print("provider   scenario            HTTP  minimum  ratio   calls  units  min units")
    for run in runs:
        name = run["provider"]
        first = run["first_sync"]
        low = first["minimum"]
        units = first.get("units")
        print(
            f"{name:9}  first sync (10k)  {first['http']:6d}  {low['http']:7d}  "
            f"{first['ratio']:5.2f}  {first['calls']:6d}  {_num(units):>5}  "
            f"{_num(low.get('units')):>9}"
        )
        bound = 2 if name == "google" else 3
        for n, tick in enumerate(run["idle_ticks"], 1):
            print(
                f"{name:9}  idle tick {n}        {tick['http']:6d}  {bound:7d}  {'':5}  "
                f"{tick['calls']:6d}  {_num(tick.get('units')):>5}"
            )
    for run in runs:
        first = run["first_sync"]
        if run["provider"] == "google":
            print(
                f"google: fetched {first['fetched']} of {first['messages_in_mailbox']} "
                f"messages ({first['tracked_messages']} tracked); {first['token_requests']} "
                "token request(s) not in the HTTP column"
            )
        else:
            print(
                f"microsoft: listed {first['listed']} of {first['messages_in_mailbox']} "
                f"messages in delta pages of {run['page_size']} ({first['bytes']:,} bytes), "
                f"fetched {first['fetched']} on their own, reported {first['reported']} "
                f"({first['tracked_messages']} tracked); {first['token_requests']} sign-in "
                "request(s) not in the HTTP column"
            )
    for run in runs:
        for check, ok in run["checks"].items():
            print(f"{'ok  ' if ok else 'FAIL'} {run['provider']}: {check}")


def _num(value: Any) -> str:
    return "-" if value is None else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--provider", choices=["google", "microsoft"], default="google")
    args = parser.parse_args(argv)
    if args.provider == "google":
        result = google_run()
        checks = dict(result["checks"])
    else:
        # Beside the Google figures: the same mailbox through the other provider.
        result = {"runs": [google_run(), microsoft_run()]}
        checks = {c: ok for run in result["runs"] for c, ok in run["checks"].items()}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        show(result)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

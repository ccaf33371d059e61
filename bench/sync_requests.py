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

The minimum HTTP requests of a first sync, given Gmail's limits: 1 getProfile (the
history id to continue from) + the message-list pages (one search per chunk of
addresses that fits Gmail's query length, ceil(found/500) pages each) + ceil(300/50)
batches of gets + 1 drafts.list (drafts seen, for noticing them leave) + 1 Calendar
events.list. Quota units are set beside the minimum the same way (list 5 per page, get 5
per message, getProfile 1, drafts.list 5 by the emulator's default).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from integrations.google import GmailProvider
from integrations.google.sync import queries
from integrations.sandbox import Sandbox
from integrations.sandbox.http import Request, Response

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


def sync_all(provider: GmailProvider, cursors: dict[str, str], addresses: set[str]) -> Any:
    messages = 0
    for _ in range(1000):
        batch = provider.sync(cursors, addresses)
        messages += len(batch.messages)
        cursors = batch.cursors
        if not batch.incomplete:
            return cursors, messages
    raise RuntimeError("sync never completed")


def minimum(found: int, addresses: list[str]) -> dict[str, int]:
    chunks = len(queries(addresses))
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


def microsoft_run() -> dict[str, Any]:
    try:
        module = importlib.import_module("integrations.microsoft.provider")
        module.OutlookProvider  # noqa: B018 - only asking whether it exists
    except (ImportError, AttributeError):
        return {"provider": "microsoft", "available": False}
    # The Outlook provider exists, but no scenario for it is written here yet.
    return {"provider": "microsoft", "available": True, "measured": False}


def show(result: dict[str, Any]) -> None:
    if result["provider"] == "microsoft":
        if not result.get("available"):
            print("microsoft: integrations.microsoft.provider.OutlookProvider is not available yet")
        else:
            print("microsoft: OutlookProvider found; its scenarios are not written yet")
        return
    first = result["first_sync"]
    low = first["minimum"]
    print("scenario            HTTP  minimum  ratio   calls  units  min units")
    print(
        f"first sync (10k)  {first['http']:6d}  {low['http']:7d}  {first['ratio']:5.2f}  "
        f"{first['calls']:6d}  {first['units']:5d}  {low['units']:9d}"
    )
    for n, tick in enumerate(result["idle_ticks"], 1):
        print(
            f"idle tick {n}        {tick['http']:6d}  {2:7d}  {'':5}  {tick['calls']:6d}  "
            f"{tick['units']:5d}"
        )
    print(
        f"fetched {first['fetched']} of {first['messages_in_mailbox']} messages "
        f"({first['tracked_messages']} tracked); {first['token_requests']} token request(s) "
        "not in the HTTP column"
    )
    for check, ok in result["checks"].items():
        print(f"{'ok  ' if ok else 'FAIL'} {check}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--provider", choices=["google", "microsoft"], default="google")
    args = parser.parse_args(argv)
    result = google_run() if args.provider == "google" else microsoft_run()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        show(result)
    return 0 if all(result.get("checks", {}).values()) else 1


if __name__ == "__main__":
    sys.exit(main())

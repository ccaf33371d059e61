"""Each web page's server time with 10,000 contacts and their histories (median and 95th
percentile of repeated requests, through the whole Flask app: gate, services, templates),
target under 150 ms. Run: .venv/bin/python bench/web_pages.py [contacts]

The Today page is measured with no draft waiting: each waiting draft adds one read of it
from the mailbox (a provider round trip), which is the provider's time, not the page's."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' harness

from events.clock import ManualClock
from events.projections.pipeline import ContactRow
from events.types import AccountConnected
from tests.harness.histories import generate
from tests.harness.lockstep import lockstep_env
from worker.services.app import open_app
from worker.services.settings import load_settings
from worker.web.app import create_app
from worker.web.security import COOKIE
from worker.web.server import page_context

TARGET_MS = 150.0
RUNS = 30


def main(contacts: int = 10_000) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        clock = ManualClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
        app = open_app(load_settings(lockstep_env(tmp, f"sqlite:///{tmp / 'bench.db'}")), clock)
        app.journal.record(
            AccountConnected(
                account_id="bench", provider="sandbox", email="me@example.org", time_zone="UTC"
            )
        )
        began = time.perf_counter()
        events = generate(app, clock, contacts, account="bench")
        app.projector.catch_up()
        print(f"{contacts} contacts, {events} events, made in {time.perf_counter() - began:.0f} s")
        context = page_context(app, "127.0.0.1", 8765)
        client = create_app(context).test_client()
        client.set_cookie(COOKIE, context.gate.new_session(), domain="127.0.0.1")
        someone = max(app.projector.rows(ContactRow), key=lambda r: len(r.stage))
        pages = {
            "Today": "/",
            "People": "/people",
            "People, searched": "/people?q=jose",
            "A person": f"/people/{someone.contact_id}",
            "Progress": "/progress",
        }
        print(f"{'page':18} {'median ms':>10} {'p95 ms':>8}")
        worst = 0.0
        for label, path in pages.items():
            times = []
            for _ in range(RUNS):
                start = time.perf_counter()
                answer = client.get(path, headers={"Host": "127.0.0.1:8765"})
                times.append((time.perf_counter() - start) * 1000)
                assert answer.status_code == 200, (path, answer.status_code)
            p95 = statistics.quantiles(times, n=20)[-1]
            worst = max(worst, p95)
            print(f"{label:18} {statistics.median(times):10.1f} {p95:8.1f}")
        verdict = "under" if worst < TARGET_MS else "OVER"
        print(f"worst p95 {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")
        app.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)

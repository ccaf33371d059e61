"""Each web page's server time with 10,000 contacts and their histories (median and 95th
percentile of repeated requests, through the whole Flask app: gate, services, templates),
target under 150 ms. Run: .venv/bin/python bench/web_pages.py [contacts] [cache folder]
(the database is bench/scale.py's, kept in /tmp/outreach-scale unless another folder is named)

The Today page is measured without the mailbox: each waiting draft would add one read of
it from the mailbox (a provider round trip), which is the provider's time, not the page's."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' harness

from bench.scale import DAY0, build
from events.clock import ManualClock
from events.projections.accounts import AccountRow
from events.projections.pipeline import ContactRow
from integrations.protocol import Provider, ProviderError
from tests.harness.histories import quiet_moment
from worker.services.app import open_app
from worker.services.settings import load_settings
from worker.web.app import create_app
from worker.web.security import COOKIE
from worker.web.server import page_context, settle

TARGET_MS = 150.0
RUNS = 30


def _no_mailbox(_account: AccountRow) -> Provider:
    """Each waiting draft is shown as unreadable: the mailbox's time is not the page's."""
    raise ProviderError("the benchmark reads no mailbox")


def main(contacts: int = 10_000, cache: Path = Path("/tmp/outreach-scale")) -> None:  # noqa: S108
    """Measures on bench/scale.py's database of `contacts` people (built once, kept in
    `cache`), at the moment its histories leave nothing due."""
    with tempfile.TemporaryDirectory() as folder:
        env, events = build("sqlite", contacts, cache, fresh=False)
        # The page writes its own secret: settings of its own, the database shared.
        env = {**env, "OUTREACH_CONFIG_DIR": str(Path(folder) / "config")}
        app = open_app(load_settings(env), ManualClock(quiet_moment(DAY0)))
        app.projector.catch_up()
        print(f"{contacts} contacts, {events} events")
        context = page_context(app, "127.0.0.1", 8765, providers=_no_mailbox)
        client = create_app(context).test_client()
        client.set_cookie(COOKIE, context.gate.new_session(), domain="127.0.0.1")
        someone = max(app.projector.rows(ContactRow), key=lambda r: len(r.stage))
        settle()  # as serve() does once the page is ready
        pages = {
            "Today": "/",
            "Today, drafts": "/today/drafts",
            "Introductions": "/today/introductions",
            "People": "/people",
            "People, searched": "/people?q=jose",
            "A person": f"/people/{someone.contact_id}",
            "Progress": "/progress",
        }
        # Wall time is what a user waits; this process's CPU time beside it is what the
        # page costs when other processes share the machine's cores.
        print(f"{'page':18} {'median ms':>10} {'p95 ms':>8} {'CPU median':>11} {'CPU p95':>8}")
        worst = 0.0
        for label, path in pages.items():
            # The first request compiles the page's templates: once per process.
            client.get(path, headers={"Host": "127.0.0.1:8765"})
            times, cpu = [], []
            for _ in range(RUNS):
                start, start_cpu = time.perf_counter(), time.process_time()
                answer = client.get(path, headers={"Host": "127.0.0.1:8765"})
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
                assert answer.status_code == 200, (path, answer.status_code, answer.location)
            p95 = statistics.quantiles(times, n=20)[-1]
            worst = max(worst, p95)
            print(
                f"{label:18} {statistics.median(times):10.1f} {p95:8.1f} "
                f"{statistics.median(cpu):11.1f} {statistics.quantiles(cpu, n=20)[-1]:8.1f}"
            )
        verdict = "under" if worst < TARGET_MS else "OVER"
        print(f"worst p95 {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")
        app.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 10_000, *([Path(args[1])] if len(args) > 1 else []))

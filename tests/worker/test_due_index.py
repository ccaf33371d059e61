"""The tick reads only the rows due by now (issue 17): on random histories and at random
times it must return exactly what the tick that reads every row returns (the oracle)."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.clock import ManualClock
from events.types import ContactForgotten
from tests.events.test_projections import History, Op, ops_strategy
from tests.harness.lockstep import lockstep_env
from worker.services.app import open_app
from worker.services.settings import load_settings
from worker.services.tick import due_now, full_scan_actions

#: Hours after the history ends at which both ticks are asked (a few days to months).
later = st.lists(st.integers(-48, 24 * 90), min_size=1, max_size=6)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=ops_strategy, hours=later, chunks=st.lists(st.integers(1, 8), max_size=30))
def test_the_due_index_tick_returns_what_the_full_scan_returns(
    ops: list[Op], hours: list[int], chunks: list[int]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
        app = open_app(load_settings(lockstep_env(tmp, f"sqlite:///{tmp / 'due.db'}")), clock)
        try:
            history = History(clock)
            pending, sizes = list(ops), iter(chunks)
            while pending:
                # Ticks between chunks catch the views up in steps, as a running worker does.
                size = next(sizes, len(pending))
                batch, pending = pending[:size], pending[size:]
                for op in batch:
                    clock.advance(timedelta(hours=7))
                    for event in history.events(op):
                        app.journal.record(event)
                        if isinstance(event, ContactForgotten):
                            app.keyring.forget(event.contact_id)
                assert due_now(app) == full_scan_actions(app)
            end = clock.now()
            for h in sorted(hours):
                clock.set(end + timedelta(hours=h))
                assert due_now(app) == full_scan_actions(app), f"{h} hours after the history"
        finally:
            app.close()

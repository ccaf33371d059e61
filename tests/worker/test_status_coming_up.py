"""`status`'s "coming up" reads only the rows due within 48 hours and asks most policies
twice instead of hourly (issue 17): on realistic histories and at many moments it must
list exactly what asking every policy hourly about every row lists (the oracle here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from events.clock import ManualClock
from events.types import AccountConnected
from tests.harness.histories import generate, quiet_moment
from tests.harness.lockstep import lockstep_env
from worker.domain.policies.due import due_actions
from worker.services.app import App, open_app
from worker.services.settings import load_settings
from worker.services.status import AHEAD, coming_up
from worker.services.tick import load_snapshot


def every_row_hourly(app: App, now: datetime) -> list[dict[str, Any]]:
    """ "Coming up" as it was: every row of every view, every policy, every hour."""
    snapshot = load_snapshot(app)
    names = {c.contact_id: c.name for c in snapshot.contacts.values()}
    first: dict[str, dict[str, Any]] = {}
    at = now
    while at <= now + AHEAD:
        for action in due_actions(snapshot, at, app.settings.policy):
            if action.key not in first and action.kind != "skip":
                first[action.key] = {
                    "kind": action.kind,
                    "contact": names.get(action.contact_id, action.contact_id[:8]),
                    "due_at": max(action.due_at, now).isoformat(),
                }
        at += timedelta(hours=1)
    return sorted(first.values(), key=lambda a: (a["due_at"], a["kind"], a["contact"]))


@pytest.mark.parametrize("seed", [3, 11])
def test_coming_up_lists_what_every_policy_asked_hourly_lists(tmp_path: Path, seed: int) -> None:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    clock = ManualClock(start)
    app = open_app(load_settings(lockstep_env(tmp_path, f"sqlite:///{tmp_path / 'c.db'}")), clock)
    try:
        app.journal.record(
            AccountConnected(
                account_id="acc", provider="sandbox", email="me@example.org", time_zone="UTC"
            )
        )
        generate(app, clock, 60, account="acc", seed=seed, days=40)
        quiet = quiet_moment(start, days=40)
        listed = 0
        # From the quiet moment to weeks later: nudges, meetings, thanks, keep in touch,
        # the daily cap rolling over, confirmations whose window closes within the 48 hours.
        for hours in (0, 3, 9, 20, 31, 50, 77, 130, 300, 900):
            clock.set(quiet + timedelta(hours=hours))
            expected = every_row_hourly(app, clock.now())
            assert coming_up(app, clock.now()) == expected, f"{hours} hours after the quiet moment"
            # What status shows: the first few, read a page of due rows at a time (pages
            # small enough here to end before the rows due do, and to grow).
            for shown, page in ((1, 1), (3, 2), (12, 5), (12, 40)):
                first = coming_up(app, clock.now(), shown=shown, page=page)
                assert first == expected[:shown], f"first {shown}, {hours} hours after"
            listed += len(expected)
        assert listed > 20  # the histories leave work coming up, not an empty list
    finally:
        app.close()

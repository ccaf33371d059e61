"""The demo's story on the scaled-out mode (PostgreSQL, Redis, real `outreach worker` and
`outreach scheduler` processes), and on `outreach run` killed mid-story: both must leave
the mailbox the embedded run leaves.

Every process reads one simulated clock (OUTREACH_CLOCK_URL, a ClockServer here) and
runs in lockstep: one sync and one tick per clock reading, so the test knows when an
hour is done (the heartbeat names the reading). The story is shortened to DAYS days,
long enough for every kind of check: replies, an auto-reply, a declined and a moved
meeting, confirmations, thank-yous and the referrer's thanks.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from integrations.sandbox import Sandbox
from tests.harness.lockstep import LockstepDriver, redis_database
from worker.runner.demo import play, run_demo, summary
from worker.services import heartbeat

DAYS = 10


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The embedded default's outcome of the same shortened story."""
    return run_demo(tmp_path_factory.mktemp("embedded"), lambda _line: None, days=DAYS)


def outcome_of(d: LockstepDriver) -> dict[str, Any]:
    """Stop the processes (each must exit cleanly), then read the mailbox and log."""
    d.procs.stop_all()
    d.app.projector.catch_up()
    return summary(d.app, d.sandbox)


def same_mailbox(outcome: dict[str, Any], embedded: dict[str, Any]) -> None:
    """The checks of the demo test, and equality with the embedded run."""
    confirmed = Counter((c["to"], c["for"]) for c in outcome["confirmations"])
    assert set(confirmed.values()) == {1}, "a confirmation was sent twice"
    assert [c["in_mailbox"] for c in outcome["confirmations"]] == [1] * len(confirmed)
    assert ("Grace Hopper", "2026-03-11T11:00:00+00:00") in confirmed  # after the move
    assert ("Grace Hopper", "2026-03-10T16:00:00+00:00") in confirmed  # before it
    assert {"kind": "referrer_thanks", "to": "Ada Lovelace"}.items() <= outcome["drafts_waiting"][
        0
    ].items()
    assert outcome["pipeline"] == embedded["pipeline"]
    strip = [{k: v for k, v in c.items() if k != "message_id"} for c in outcome["confirmations"]]
    assert strip == [
        {k: v for k, v in c.items() if k != "message_id"} for c in embedded["confirmations"]
    ]
    assert outcome["drafts_waiting"] == embedded["drafts_waiting"]


def no_duplicates_in(sandbox: Sandbox) -> None:
    state = sandbox.google.mail_state()
    sent = [m.get("messageId") for m in state.get("sent", [])]
    assert len(sent) == len(set(sent)), "a message was sent twice"


@pytest.fixture
def driver_factory(tmp_path: Path) -> Iterator[Callable[[str, str | None], LockstepDriver]]:
    made: list[LockstepDriver] = []

    def make(db_url: str, broker_url: str | None) -> LockstepDriver:
        d = LockstepDriver(tmp_path, db_url, broker_url).__enter__()
        made.append(d)
        return d

    yield make
    for d in made:
        d.__exit__()


@pytest.fixture
def own_redis_url(redis_url: str) -> Iterator[str]:
    """A Redis database of this test's own (14 instead of 15), flushed before and after.

    Other test runs flush database 15 whenever a test starts; here that would drop queued
    messages in the middle of a lockstep hour and move work to the next hour.
    """
    with redis_database(redis_url, 14) as url:
        yield url


@pytest.mark.timeout(240)
def test_two_workers_and_a_scheduler_leave_the_embedded_mailbox(
    driver_factory: Callable[[str, str | None], LockstepDriver],
    postgres_schema_url: str,
    own_redis_url: str,
    embedded: dict[str, Any],
) -> None:
    d = driver_factory(postgres_schema_url, own_redis_url)
    for n in (1, 2):
        d.procs.start(f"worker-{n}", "worker", "--threads", "2", "--idle-poll-ms", "20")
    # A second scheduler waits idle behind the lock; only one ever steps.
    for n in (1, 2):
        d.procs.start(f"scheduler-{n}", "scheduler", "--lockstep")

    play(d.story(), d.clocks, lambda: d.step("scheduler"), lambda _line: None, DAYS)

    outcome = outcome_of(d)
    same_mailbox(outcome, embedded)
    no_duplicates_in(d.sandbox)
    pids = {h.pid for h in heartbeat.read(d.app.engine) if h.name == "scheduler"}
    assert len(pids) == 1


@pytest.mark.timeout(240)
def test_run_killed_mid_story_and_restarted_leaves_the_same_mailbox(
    driver_factory: Callable[[str, str | None], LockstepDriver],
    tmp_path: Path,
    embedded: dict[str, Any],
) -> None:
    d = driver_factory(f"sqlite:///{tmp_path / 'run.sqlite'}", None)
    d.procs.start("run", "run", "--lockstep")
    hours = 0
    kills = 0

    def step() -> None:
        nonlocal hours, kills
        hours += 1

        def kill_mid_step(_now: datetime) -> None:
            nonlocal kills
            # Every 37th hour: SIGKILL while the step is under way, then start again.
            if hours % 37 == 0:
                time.sleep(0.03 * (kills % 3))
                d.procs.kill("run")  # the step starts it again
                kills += 1

        d.step("run", kill_mid_step)

    play(d.story(), d.clocks, step, lambda _line: None, DAYS)

    assert kills >= 5
    same_mailbox(outcome_of(d), embedded)
    no_duplicates_in(d.sandbox)

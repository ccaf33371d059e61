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

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from events.clock import ManualClock
from integrations.google.provider import GmailProvider
from integrations.sandbox import Sandbox
from tests.worker.conftest import worker_env
from worker import heartbeat
from worker.app import App, open_app
from worker.demo import START, Story, connect_sandbox_account, play, run_demo, summary
from worker.remote_clock import ClockServer
from worker.settings import load_settings

DAYS = 10
CONFIG = """
[profile]
name = "Sam Rivera"
headline = "I spent six years in logistics and am exploring research engineering"

[policy]
time_zone = "Europe/London"
"""
CLI = [sys.executable, "-c", "from worker.cli import main; main()"]


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The embedded default's outcome of the same shortened story."""
    return run_demo(tmp_path_factory.mktemp("embedded"), lambda _line: None, days=DAYS)


class Processes:
    """Subprocesses of the `outreach` command, their output kept in files."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.running[name] = subprocess.Popen(
            [*CLI, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def check_alive(self) -> None:
        for name, proc in self.running.items():
            if proc.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text()[-3000:]
                pytest.fail(f"{name} exited with {proc.returncode}:\n{tail}")

    def kill(self, name: str) -> None:
        proc = self.running.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def stop_all(self) -> None:
        for proc in self.running.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        unclean = []
        for name, proc in self.running.items():
            try:
                if proc.wait(timeout=20) != 0:
                    unclean.append(f"{name}: {(self.logs / f'{name}.log').read_text()[-2000:]}")
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                unclean.append(f"{name}: did not stop within 20 s")
        self.running.clear()
        assert not unclean, "\n".join(unclean)


class Driver:
    """Plays the story in this process against processes that share its simulated time."""

    def __init__(self, tmp_path: Path, db_url: str, broker_url: str | None) -> None:
        self.tmp_path = tmp_path
        self.local = ManualClock(START)  # this process: the story's own writes
        self.served = ManualClock(START)  # the workers: moved once an hour's story is played
        self.sandbox = Sandbox(seed=7, start=START)
        self.clock_server = ClockServer(self.served)
        env = worker_env(tmp_path, db_url)
        (tmp_path / "config").mkdir(parents=True, exist_ok=True)
        (tmp_path / "config" / "config.toml").write_text(CONFIG)
        self.app: App = open_app(load_settings(env), self.local)
        heartbeat.create_schema(self.app.engine)
        self.endpoints_file = tmp_path / "endpoints.json"
        extra = {
            "OUTREACH_CLOCK_URL": "",
            "OUTREACH_SANDBOX_ENDPOINTS": str(self.endpoints_file),
            "OUTREACH_LOG_LEVEL": "WARNING",
        }
        if broker_url:
            extra["OUTREACH_BROKER_URL"] = broker_url
        self.env = {**os.environ, **env, **extra}
        self.procs = Processes(self.env, tmp_path)
        self.opened: list[GmailProvider] = []

    def __enter__(self) -> Driver:
        self.sandbox.start()
        self.clock_server.start()
        self.env["OUTREACH_CLOCK_URL"] = self.clock_server.url
        endpoints = self.sandbox.endpoints()
        self.endpoints_file.write_text(json.dumps(endpoints) + "\n")
        connect_sandbox_account(self.app, endpoints)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.procs.stop_all()
        finally:
            for provider in self.opened:
                provider.close()
            self.clock_server.stop()
            self.sandbox.stop()
            self.app.close()

    def story(self) -> Story:
        provider = GmailProvider.from_sandbox(self.sandbox.endpoints(), account_id="sandbox-google")
        self.opened.append(provider)
        return Story(self.app, self.sandbox, provider)

    def clocks(self, now: datetime) -> None:
        self.local.set(now)
        self.sandbox.clock.set(now)

    def step(self, loop: str, during: Callable[[datetime], None] = lambda _now: None) -> None:
        """Let the processes take one step at the story's hour and wait until they have."""
        now = self.local.now()
        self.served.set(now)
        during(now)
        deadline = time.monotonic() + 60
        while True:
            beats = {h.name: h for h in heartbeat.read(self.app.engine)}
            if loop in beats and beats[loop].stepped_at == now:
                return
            self.procs.check_alive()
            if time.monotonic() > deadline:
                pytest.fail(f"{loop} did not step at {now} within 60 s")
            time.sleep(0.005)

    def outcome(self) -> dict[str, Any]:
        """Stop the processes (each must exit cleanly), then read the mailbox and log."""
        self.procs.stop_all()
        self.app.projector.catch_up()
        return summary(self.app, self.sandbox)


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
def driver_factory(tmp_path: Path) -> Iterator[Callable[[str, str | None], Driver]]:
    made: list[Driver] = []

    def make(db_url: str, broker_url: str | None) -> Driver:
        d = Driver(tmp_path, db_url, broker_url).__enter__()
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
    import redis

    url = redis_url.rsplit("/", 1)[0] + "/14"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


@pytest.mark.timeout(240)
def test_two_workers_and_a_scheduler_leave_the_embedded_mailbox(
    driver_factory: Callable[[str, str | None], Driver],
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

    outcome = d.outcome()
    same_mailbox(outcome, embedded)
    no_duplicates_in(d.sandbox)
    pids = {h.pid for h in heartbeat.read(d.app.engine) if h.name == "scheduler"}
    assert len(pids) == 1


@pytest.mark.timeout(240)
def test_run_killed_mid_story_and_restarted_leaves_the_same_mailbox(
    driver_factory: Callable[[str, str | None], Driver],
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
                d.procs.kill("run")
                kills += 1
                d.procs.start("run", "run", "--lockstep")

        d.step("run", kill_mid_step)

    play(d.story(), d.clocks, step, lambda _line: None, DAYS)

    assert kills >= 5
    same_mailbox(d.outcome(), embedded)
    no_duplicates_in(d.sandbox)

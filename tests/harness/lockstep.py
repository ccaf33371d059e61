"""Driving real `outreach` processes in lockstep with a simulated clock (tests, benchmarks).

A `LockstepDriver` plays a story in its own process against `outreach run`, `outreach
worker` and `outreach scheduler` subprocesses that all read one simulated clock
(OUTREACH_CLOCK_URL, a ClockServer here) and step once per new reading of it, so the
driver knows when an hour is done: the heartbeat names the reading. Used by the
scaled-out tests and by the crash-and-restart harness (`tests/harness/crash_scenario.py`).
This is a test and benchmark facility, never part of a real deployment.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from events.clock import ManualClock
from events.ids import derive_id
from integrations.google.provider import GmailProvider
from integrations.sandbox import Sandbox
from tests.harness.clock_server import ClockServer
from tests.harness.far_ends import ProviderName, far_end
from worker.runner.demo import START, Story, connect_sandbox_account
from worker.services import heartbeat
from worker.services.app import App, open_app
from worker.services.settings import load_settings

CLI = [sys.executable, "-c", "from worker.cli import main; main()"]
SECRET = "a test secret of enough length"
CONFIG = """
[profile]
name = "Sam Rivera"
headline = "I spent six years in logistics and am exploring research engineering"

[policy]
time_zone = "Europe/London"
"""


class ProcessDied(RuntimeError):
    """A process exited without being told to; the message ends with its log's tail."""


class StepTimeout(RuntimeError):
    """A loop did not step at the simulated hour in time."""


def lockstep_env(tmp_path: Path, db_url: str | None = None) -> dict[str, str]:
    """The environment a lockstep run of the worker sees: its own config and data dirs."""
    env = {
        "OUTREACH_CONFIG_DIR": str(tmp_path / "config"),
        "OUTREACH_DATA_DIR": str(tmp_path / "data"),
        "OUTREACH_SECRET_KEY": SECRET,
    }
    if db_url is not None:
        env["OUTREACH_DATABASE_URL"] = db_url
    return env


@contextmanager
def postgres_schema(base_url: str, prefix: str = "t") -> Iterator[str]:
    """A URL whose connections all use a fresh schema, dropped afterwards.

    The schema travels in the URL (psycopg's ``options``), so engines opened from it in
    other processes see the same tables.
    """
    schema = f"{prefix}_{secrets.token_hex(6)}"
    admin = sa.create_engine(base_url, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = sa.make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@contextmanager
def redis_database(url: str, db: int) -> Iterator[str]:
    """Database `db` of the Redis server at `url`, flushed before and after: a run's own,
    so that flushing it (or a lockstep hour's queue) touches no one else's."""
    import redis

    own = url.rsplit("/", 1)[0] + f"/{db}"
    client = redis.Redis.from_url(own)
    client.flushdb()
    try:
        yield own
    finally:
        client.flushdb()
        client.close()


class Processes:
    """Subprocesses of the `outreach` command, their output kept in files.

    `kill` may be called from any thread (the crash harness kills from the sandbox's
    request handler, in the middle of a provider call); a killed process is remembered
    until `restart_killed` starts it again with the same arguments.
    """

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.args: dict[str, tuple[str, ...]] = {}
        self.killed: set[str] = set()
        self.started: dict[str, float] = {}
        #: Called with a killed process's name once it is gone, before it starts again
        #: (the crash harness frees what only the dead process held).
        self.on_dead: Callable[[str], None] = lambda _name: None
        self._lock = threading.RLock()

    def start(self, name: str, *args: str) -> None:
        with self._lock:
            log = (self.logs / f"{name}.log").open("ab")
            self.running[name] = subprocess.Popen(
                [*CLI, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
            log.close()
            self.args[name] = args
            self.started[name] = time.monotonic()
            self.killed.discard(name)

    def check_alive(self) -> None:
        """ProcessDied when a process exited that nobody killed."""
        with self._lock:
            for name, proc in self.running.items():
                if name not in self.killed and proc.poll() is not None:
                    tail = (self.logs / f"{name}.log").read_text()[-3000:]
                    raise ProcessDied(f"{name} exited with {proc.returncode}:\n{tail}")

    def kill(self, name: str) -> bool:
        """SIGKILL `name` now; False when it was not running (already killed)."""
        with self._lock:
            proc = self.running.get(name)
            if proc is None or name in self.killed or proc.poll() is not None:
                return False
            proc.send_signal(signal.SIGKILL)
            self.killed.add(name)
            return True

    def restart_killed(self) -> list[str]:
        """Wait for every killed process to be gone, start it again; return their names."""
        with self._lock:
            names = sorted(self.killed)
            for name in names:
                self.running[name].wait()
                self.on_dead(name)
                self.start(name, *self.args[name])
            return names

    def settle(self, min_age_s: float) -> None:
        """Wait until every process has run `min_age_s`: one restarted a moment ago may
        still be importing, and SIGTERM before its handler is installed is no clean stop."""
        with self._lock:
            youngest = max(self.started.values(), default=0.0)
        time.sleep(max(0.0, youngest + min_age_s - time.monotonic()))

    def stop_all(self) -> None:
        """SIGTERM everything; each must exit cleanly within 20 s (RuntimeError if not)."""
        with self._lock:
            for name, proc in self.running.items():
                if name not in self.killed and proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            unclean = []
            for name, proc in self.running.items():
                try:
                    code = proc.wait(timeout=20)
                    if code != 0 and name not in self.killed:
                        unclean.append(f"{name}: {(self.logs / f'{name}.log').read_text()[-2000:]}")
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    unclean.append(f"{name}: did not stop within 20 s")
            self.running.clear()
            self.killed.clear()
        if unclean:
            raise RuntimeError("\n".join(unclean))


class LockstepDriver:
    """Plays a story in this process against processes that share its simulated time.

    Parameters:
      tmp_path: config, data, logs and the sandbox endpoints file go here.
      db_url: the database every process uses.
      broker_url: Redis for `outreach worker`/`scheduler`; None for `outreach run`.
      config: config.toml for every process (the profile and the policy).
      seed: the sandbox's seed (ids and probabilistic faults).
      start: the story's first simulated moment.
      account: the sandbox account connected: the Gmail emulator's ("google") or the
        Microsoft Graph emulator's ("microsoft").
    """

    def __init__(
        self,
        tmp_path: Path,
        db_url: str,
        broker_url: str | None,
        *,
        config: str = CONFIG,
        seed: int = 7,
        start: datetime = START,
        account: ProviderName = "google",
    ) -> None:
        self.tmp_path = tmp_path
        self.account: ProviderName = account
        self.local = ManualClock(start)  # this process: the story's own writes
        self.served = ManualClock(start)  # the workers: moved once an hour's story is played
        self.sandbox = Sandbox(seed=seed, start=start)
        self.clock_server = ClockServer(self.served)
        env = lockstep_env(tmp_path, db_url)
        (tmp_path / "config").mkdir(parents=True, exist_ok=True)
        (tmp_path / "config" / "config.toml").write_text(config)
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

    def __enter__(self) -> LockstepDriver:
        self.sandbox.start()
        self.clock_server.start()
        self.env["OUTREACH_CLOCK_URL"] = self.clock_server.url
        endpoints = self.sandbox.endpoints()
        self.endpoints_file.write_text(json.dumps(endpoints) + "\n")
        if self.account == "google":
            connect_sandbox_account(self.app, endpoints)
        else:
            far_end(self.account, self.sandbox).connect(
                self.app, derive_id("lockstep", "account", self.account)
            )
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

    def provider(self) -> GmailProvider:
        """A provider on the sandbox account for the story's own calls (closed on exit)."""
        provider = GmailProvider.from_sandbox(self.sandbox.endpoints(), account_id="sandbox-google")
        self.opened.append(provider)
        return provider

    def story(self) -> Story:
        return Story(self.app, self.sandbox, self.provider())

    def clocks(self, now: datetime) -> None:
        self.local.set(now)
        self.sandbox.clock.set(now)

    def step(
        self,
        loop: str,
        during: Callable[[datetime], None] = lambda _now: None,
        timeout_s: float = 60.0,
        waiting: Callable[[], None] = lambda: None,
    ) -> None:
        """Let the processes take one step at the story's hour and wait until they have.

        `during` runs right after the workers were let go (to kill one mid-step); a
        process killed meanwhile (by `during` or any other thread) is started again;
        `waiting` runs at every poll while waiting (the harness's broker maintenance).
        """
        now = self.local.now()
        self.served.set(now)
        during(now)
        deadline = time.monotonic() + timeout_s
        while True:
            self.procs.restart_killed()
            beats = {h.name: h for h in heartbeat.read(self.app.engine)}
            if loop in beats and beats[loop].stepped_at == now:
                return
            self.procs.check_alive()
            waiting()
            if time.monotonic() > deadline:
                raise StepTimeout(f"{loop} did not step at {now} within {timeout_s:.0f} s")
            time.sleep(0.005)

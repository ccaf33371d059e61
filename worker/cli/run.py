"""`outreach run`, `outreach worker` and `outreach scheduler`: the long-running commands."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated, NoReturn

import typer

from events.projections.accounts import AccountRow
from worker.cli import app
from worker.cli.common import USER_ERRORS, fail
from worker.domain.policies.actions import Action
from worker.runner.clocks import clock_from_env
from worker.runner.signals import stop_on_signals
from worker.services import heartbeat
from worker.services.app import App, open_app
from worker.services.rendering import Renderer
from worker.services.settings import Settings, check_private_file, load_settings

log = logging.getLogger(__name__)

Lockstep = Annotated[
    bool,
    typer.Option(
        "--lockstep",
        hidden=True,
        help="Test/demo facility: one step per new reading of OUTREACH_CLOCK_URL.",
    ),
]
TickInterval = Annotated[float, typer.Option(help="Seconds between ticks.", min=0.01)]
SyncInterval = Annotated[
    float | None,
    typer.Option(help="Seconds between syncs (default: sync_interval_s, 60).", min=0.01),
]


def _logging() -> None:
    logging.basicConfig(
        level=os.environ.get("OUTREACH_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@contextmanager
def _opened() -> Iterator[tuple[Settings, App]]:
    """Settings, the app on the (maybe simulated) clock, and the heartbeat table."""
    opened: App | None = None
    try:
        settings = load_settings()
        _check_token_files(settings)
        opened = open_app(settings, clock_from_env(os.environ))
        heartbeat.create_schema(opened.engine)
    except USER_ERRORS as exc:
        fail(str(exc).splitlines()[0])
    try:
        yield settings, opened
    finally:
        opened.close()


def _check_token_files(settings: Settings) -> None:
    """Refuse to start while a token file is readable by others: the long-running commands
    would otherwise find out only when an account first syncs, and keep running on it."""
    from worker.accounts.token_store import SUFFIX, TOKENS_DIR

    for path in sorted((settings.data_dir / TOKENS_DIR).glob(f"*{SUFFIX}")):
        check_private_file(path)


def _broker_url(settings: Settings, command: str) -> str:
    if not settings.broker_url:
        fail(
            f"`outreach {command}` needs OUTREACH_BROKER_URL (a Redis URL); "
            "`outreach run` runs everything in one process without one"
        )
    return settings.broker_url


@app.command()
def run(
    sync_interval: SyncInterval = None,
    tick_interval: TickInterval = 30.0,
    threads: Annotated[int, typer.Option(help="Actor threads.", min=1)] = 2,
    lockstep: Lockstep = False,
) -> None:
    """Run everything in this process (the default): sync, tick, act. Stop with Ctrl-C."""
    from worker.accounts.run_providers import ProviderFactory
    from worker.runner.embedded import EmbeddedWorker
    from worker.runner.loop import Loop

    _logging()
    with _opened() as (settings, application):
        providers = ProviderFactory(application, os.environ)
        embedded = EmbeddedWorker(
            application, providers, Renderer(settings.config_dir / "templates"), threads
        )
        loop = Loop(
            name="run",
            app=application,
            sync=embedded.sync_all,
            tick=lambda: f"due {embedded.tick()}",
            sync_every_s=sync_interval or settings.sync_interval_s,
            tick_every_s=tick_interval,
            poll_s=0.02 if lockstep else 1.0,
        )
        stop_on_signals(loop.stop.set)
        embedded.start()
        log.info("running embedded on %r", application.engine.url.render_as_string())
        try:
            loop.run_lockstep() if lockstep else loop.run()
            loop.stopped()
        finally:
            embedded.stop()
            providers.close()


@app.command()
def worker(
    processes: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    threads: Annotated[int, typer.Option(help="Actor threads per process.", min=1)] = 2,
    idle_poll_ms: Annotated[
        int, typer.Option(help="Longest wait between polls of an empty queue.", min=10)
    ] = 1000,
) -> None:
    """Run actors from the Redis queue (scaled out; needs OUTREACH_BROKER_URL)."""
    _logging()
    if processes > 1:
        _supervise(processes, threads, idle_poll_ms)
    import dramatiq

    from worker.accounts.run_providers import ProviderFactory
    from worker.runner.runtime import Actors, Runtime
    from worker.runner.scaled import (
        RedisInFlight,
        account_locks,
        action_locks,
        redis_broker,
        redis_client,
    )

    with _opened() as (settings, application):
        url = _broker_url(settings, "worker")
        client = redis_client(url)
        broker = redis_broker(url)
        providers = ProviderFactory(application, os.environ)
        runtime = Runtime(
            app=application,
            provider_for=providers,
            renderer=Renderer(settings.config_dir / "templates"),
            account_lock=account_locks(client),
            action_lock=action_locks(client),
        )
        Actors(broker, lambda: runtime, RedisInFlight(client))
        consumer = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=idle_poll_ms)
        stop = threading.Event()
        stop_on_signals(stop.set)
        consumer.start()
        log.info("worker %r: %r threads on the Redis queue", os.getpid(), threads)
        try:
            stop.wait()
        finally:
            consumer.stop()
            broker.close()
            client.close()
            providers.close()


def _supervise(processes: int, threads: int, idle_poll_ms: int) -> NoReturn:
    """Start `processes` single-process workers; pass signals on; exit when all have."""
    argv = [sys.executable, "-c", "from worker.cli import main; main()", "worker"]
    children = [
        subprocess.Popen(
            [
                *argv,
                "--processes",
                "1",
                "--threads",
                str(threads),
                "--idle-poll-ms",
                str(idle_poll_ms),
            ]
        )
        for _ in range(processes)
    ]

    def forward(signum: int, _frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    codes = [child.wait() for child in children]
    raise SystemExit(max(codes))


@app.command()
def scheduler(
    sync_interval: SyncInterval = None,
    tick_interval: TickInterval = 30.0,
    lockstep: Lockstep = False,
) -> None:
    """Run the one tick loop of a scaled-out setup: queue syncs and due actions.

    A second scheduler waits idle until the first stops (a Redis lock)."""
    from worker.runner.loop import Loop
    from worker.runner.runtime import Actors, Runtime, sync_key
    from worker.runner.scaled import (
        LeaderLock,
        RedisInFlight,
        queue_depth,
        redis_broker,
        redis_client,
    )
    from worker.services.tick import tick

    _logging()
    with _opened() as (settings, application):
        url = _broker_url(settings, "scheduler")
        client = redis_client(url)
        broker = redis_broker(url)

        def no_runtime() -> Runtime:
            raise RuntimeError("the scheduler only enqueues; workers run actors")

        actors = Actors(broker, no_runtime)
        claims = RedisInFlight(client)
        leader = LeaderLock(client, "scheduler")

        def settle() -> None:
            # Lockstep only: wait for the queue to drain, as the embedded step joins.
            while lockstep and queue_depth(client) > 0 and not loop.stop.is_set():
                leader.hold()
                time.sleep(0.02)

        def sync() -> None:
            slot = application.clock.now().isoformat()
            for account in application.projector.rows(AccountRow):
                if account.status == "connected" and claims.claim(sync_key(account.account_id)):
                    actors.enqueue_sync(account.account_id, slot)
            settle()

        def tick_once() -> str:
            enqueued = 0

            def enqueue(action: Action) -> None:
                nonlocal enqueued
                if claims.claim(action.key):
                    actors.enqueue_action(action)
                    enqueued += 1

            due = tick(application, enqueue)
            settle()
            return f"due {len(due)}, queued {enqueued}"

        loop = Loop(
            name="scheduler",
            app=application,
            sync=sync,
            tick=tick_once,
            sync_every_s=sync_interval or settings.sync_interval_s,
            tick_every_s=tick_interval,
            lead=leader.hold,
            poll_s=0.02 if lockstep else 1.0,
        )
        stop_on_signals(loop.stop.set)
        log.info("scheduler %r: waiting for the scheduler lock", os.getpid())
        try:
            loop.run_lockstep() if lockstep else loop.run()
            loop.stopped()
        finally:
            leader.release()
            broker.close()
            client.close()

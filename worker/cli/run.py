"""`outreach run`, `outreach worker` and `outreach scheduler`: the long-running commands."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from worker.cli import app
from worker.cli.common import USER_ERRORS, console, fail
from worker.runner.clocks import clock_from_env
from worker.runner.signals import stop_on_signals
from worker.services import heartbeat
from worker.services.app import App, open_app
from worker.services.settings import Settings, check_private_file, load_settings

if TYPE_CHECKING:
    from worker.cli.ui import Opener

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
    no_ui: Annotated[bool, typer.Option("--no-ui", help="Do not serve the web page.")] = False,
    ui_port: Annotated[
        int, typer.Option(help="The web page's port (the next free one if taken).", min=0)
    ] = 8765,
    no_browser: Annotated[
        bool,
        typer.Option(
            "--no-browser",
            help="Do not open the web page in a browser (it is not opened without a "
            "terminal and a display, nor in CI).",
        ),
    ] = False,
) -> None:
    """Run everything in this process: sync, act, and serve the web page. Stop with Ctrl-C.

    The page is served on 127.0.0.1 and opened in your browser."""
    from worker.cli.ui import browser_for_run
    from worker.runner import composition
    from worker.runner.loop import Loop

    _logging()
    with (
        _opened() as (settings, application),
        composition.providers(application) as providers,
        # A lockstep run is a test or demo driving the clock: no page for it.
        _page(
            application,
            ui_port,
            enabled=not (no_ui or lockstep),
            browser=browser_for_run(no_browser),
        ),
    ):
        embedded = composition.embedded(application, providers, threads)
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


@contextmanager
def _page(
    application: App, port: int, *, enabled: bool, browser: Opener | None = None
) -> Iterator[None]:
    """Serve the web page beside the worker, printing where, and open it signed in with
    `browser` when given; stopped with the worker."""
    if not enabled:
        yield
        return
    from worker.cli.ui import say_address
    from worker.web.server import quiet_waitress, serve

    quiet_waitress()
    served = serve(application, port=port).start()
    say_address(served.url)
    # The one-time sign-in link goes to the browser only: this command's output may be
    # kept in a log (a service's journal), and the link is never printed.
    if browser is not None and browser(served.sign_in_url()):
        console.print("Opened it in your browser, signed in.")
    try:
        yield
    finally:
        served.stop()


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

    from worker.runner import composition
    from worker.runner.runtime import Actors
    from worker.runner.scaled import (
        RedisInFlight,
        account_locks,
        action_locks,
        redis_broker,
        redis_client,
    )

    with _opened() as (settings, application), composition.providers(application) as providers:
        url = _broker_url(settings, "worker")
        client = redis_client(url)
        broker = redis_broker(url)
        runtime = composition.runtime(
            application,
            providers,
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
    from worker.runner.scheduler import ScaledScheduler

    _logging()
    with _opened() as (settings, application):
        scheduled = ScaledScheduler(
            application,
            _broker_url(settings, "scheduler"),
            sync_every_s=sync_interval or settings.sync_interval_s,
            tick_every_s=tick_interval,
            lockstep=lockstep,
        )
        stop_on_signals(scheduled.loop.stop.set)
        log.info("scheduler %r: waiting for the scheduler lock", os.getpid())
        scheduled.run()

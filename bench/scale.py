"""How the worker's costs grow with the people it knows: the tick with nothing due (and its
policies' share), the read commands as processes, idle `outreach run`, and rebuild speed, at
N = 1,000, 10,000 and 50,000 chosen people (referrals on top), on SQLite and PostgreSQL.

    .venv/bin/python bench/scale.py [--sizes 1000 10000 50000] [--backends sqlite postgres]
        [--timeout 60] [--cache /tmp/outreach-scale] [--idle-seconds 60]

Histories come from `tests/harness/histories.py` (16 weeks, every stage, played as a
diligent worker would have left them, so nothing is due at the measured moment). Built
databases are kept in --cache (SQLite files, PostgreSQL schemas `scale_<N>` in db test)
and reused; delete the folder (or pass --fresh) to build them again. Each measurement is
capped at --timeout seconds and printed as "> T s" when it runs out. The last column is
the 10k→50k ratio (5 is linear, 25 quadratic, 1 flat). Figures only; nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' harness

import sqlalchemy as sa

from events.clock import ManualClock
from events.types import AccountConnected
from tests.harness.clock_server import ClockServer
from tests.harness.histories import generate, quiet_moment
from tests.harness.lockstep import lockstep_env
from worker.domain.policies.due import due_actions
from worker.runner.clocks import CLOCK_URL_ENV
from worker.services.app import App, open_app
from worker.services.settings import load_settings
from worker.services.tick import load_snapshot, tick

DAY0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
PG_BASE = os.environ.get(
    "OUTREACH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CLI = [sys.executable, "-c", "from worker.cli import main; main()"]
#: A figure that ran out of time: its cap, in seconds.
Figure = float | tuple[str, float]


class OutOfTime(Exception):
    pass


@contextmanager
def capped(seconds: float) -> Iterator[None]:
    def ring(_sig: int, _frame: FrameType | None) -> None:
        raise OutOfTime

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def timed(fn: Callable[[], object], cap: float, runs: int = 5) -> Figure:
    """Median seconds of `runs` calls (fewer when slow); ("> ", cap) past the cap."""
    times: list[float] = []
    spent = 0.0
    try:
        with capped(cap):
            while len(times) < runs and (not times or spent < cap / 4):
                began = time.perf_counter()
                fn()
                times.append(time.perf_counter() - began)
                spent += times[-1]
    except OutOfTime:
        if not times:
            return (">", cap)
    return statistics.median(times)


def process(env: dict[str, str], args: list[str], cap: float) -> Figure:
    """Wall time of one CLI process (imports included); ("> ", cap) past the cap."""
    began = time.perf_counter()
    try:
        done = subprocess.run([*CLI, *args], env=env, capture_output=True, timeout=cap, check=False)
    except subprocess.TimeoutExpired:
        return (">", cap)
    took = time.perf_counter() - began
    if done.returncode != 0:
        print(f"  ! {' '.join(args)} exited {done.returncode}: {done.stderr[-300:]!r}")
    return took


#: The processes read the measured (quiet) moment from this clock, as the tick does: at
#: the machine's own time, months after the histories end, everything would be overdue.
QUIET = ClockServer(ManualClock(quiet_moment(DAY0)))


def environment(backend: str, n: int, cache: Path) -> tuple[dict[str, str], Path]:
    folder = cache / f"{backend}-{n}"
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        schema = f"scale_{n}"
        url = (
            sa.make_url(PG_BASE)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    env = {**os.environ, **lockstep_env(folder, url), "OUTREACH_LOG_LEVEL": "WARNING"}
    # PYTHONDONTWRITEBYTECODE would have every process compile the package again, as no
    # installed copy does.
    for name in ("OUTREACH_BROKER_URL", "OUTREACH_SANDBOX_ENDPOINTS", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    env[CLOCK_URL_ENV] = QUIET.url
    return env, folder


def build(backend: str, n: int, cache: Path, fresh: bool) -> tuple[dict[str, str], int]:
    """The database of N people's histories (built once, then reused); env and event count."""
    env, folder = environment(backend, n, cache)
    marker = folder / "built.json"
    if marker.exists() and not fresh:
        return env, int(json.loads(marker.read_text())["events"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if backend == "postgres":
        admin = sa.create_engine(PG_BASE, poolclass=sa.pool.NullPool)
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS scale_{n} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA scale_{n}")
        admin.dispose()
    clock = ManualClock(DAY0)
    app = open_app(load_settings(env), clock)
    app.journal.record(
        AccountConnected(
            account_id="bench", provider="sandbox", email="me@example.org", time_zone="UTC"
        )
    )
    began = time.perf_counter()
    events = generate(app, clock, n, account="bench") + 1
    app.projector.catch_up()
    app.close()
    print(f"  built {backend} N={n}: {events} events in {time.perf_counter() - began:.0f} s")
    marker.write_text(json.dumps({"events": events}))
    return env, events


def opened(env: dict[str, str]) -> App:
    return open_app(load_settings(env), ManualClock(quiet_moment(DAY0)))


def tick_figures(env: dict[str, str], cap: float) -> dict[str, Figure]:
    app = opened(env)
    try:
        app.projector.catch_up()
        due = tick(app, lambda _a: None)
        if due:
            print(f"  ! {len(due)} actions due at the quiet moment: {due[0].kind} ...")
        figures: dict[str, Figure] = {
            "tick, nothing due": timed(lambda: tick(app, lambda _a: None), cap)
        }
        try:
            with capped(cap):
                snapshot = load_snapshot(app)
        except OutOfTime:
            figures["of which policies"] = (">", cap)
        else:
            now, policy = app.clock.now(), app.settings.policy
            figures["of which policies"] = timed(lambda: due_actions(snapshot, now, policy), cap)
        return figures
    finally:
        app.close()


def rebuild_rate(env: dict[str, str], events: int, cap: float) -> Figure:
    app = opened(env)
    try:
        took = timed(app.projector.rebuild, cap, runs=1)
    finally:
        app.close()
    if isinstance(took, tuple):
        return took
    return events / took


def pipeline_args(env: dict[str, str]) -> list[str]:
    """`pipeline --json`, its first page when the command pages."""
    shown = subprocess.run([*CLI, "pipeline", "--help"], env=env, capture_output=True, text=True)
    return ["pipeline", "--json", *(["--limit", "50"] if "--limit" in shown.stdout else [])]


def idle_run(env: dict[str, str], seconds: float) -> tuple[float, float]:
    """CPU share of one core (%) and peak RSS (MB) of `outreach run --no-ui` while idle."""
    from bench.idle_footprint import sample_idle
    from worker.services import heartbeat

    app = opened(env)
    heartbeat.create_schema(app.engine)
    with app.engine.begin() as conn:
        conn.execute(heartbeat.worker_state.delete())
    proc = subprocess.Popen([*CLI, "run", "--no-ui"], env=env, stdout=subprocess.DEVNULL)
    try:
        idle = sample_idle(proc, app.engine, seconds, first_step_within=600, poll_s=0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        app.close()
    return idle.cpu_pct, idle.peak_rss_mb


def show(value: Figure, unit: str) -> str:
    if isinstance(value, tuple):
        return f"> {value[1]:.0f} s"
    if unit == "ms":
        return f"{value * 1000:.1f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "":
        return f"{value:,.0f}"
    if unit == "ev/s":
        return f"{value / 1000:.0f}k ev/s"
    return f"{value:.1f} {unit}"


def ratio(small: Figure | None, large: Figure | None) -> str:
    if small is None or large is None:
        return ""
    if isinstance(large, tuple) and not isinstance(small, tuple):
        return f"> {large[1] / small:.0f}×"
    if isinstance(small, tuple) or isinstance(large, tuple):
        return "?"
    return f"{large / small:.1f}×"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 50_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/outreach-scale"))  # noqa: S108
    parser.add_argument("--fresh", action="store_true", help="build the databases again")
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--no-idle", action="store_true")
    args = parser.parse_args()
    QUIET.start()
    rows: dict[str, dict[int, tuple[Figure, str]]] = {}

    def put(label: str, n: int, value: Figure, unit: str) -> None:
        rows.setdefault(label, {})[n] = (value, unit)
        print(f"  {label:32} {show(value, unit)}", flush=True)

    for backend in args.backends:
        for n in args.sizes:
            print(f"{backend}, N = {n:,}", flush=True)
            env, events = build(backend, n, args.cache, args.fresh)
            put(f"{backend}: events", n, float(events), "")
            for label, value in tick_figures(env, args.timeout).items():
                put(f"{backend}: {label}", n, value, "ms")
            for label, argv in (
                ("status --json", ["status", "--json"]),
                ("drafts --json", ["drafts", "--json"]),
                ("pipeline --json, first page", pipeline_args(env)),
                ("history", ["history", "person1@example.org"]),
            ):
                put(f"{backend}: {label}", n, process(env, argv, args.timeout), "s")
            put(f"{backend}: rebuild", n, rebuild_rate(env, events, args.timeout * 5), "ev/s")
            if backend == "sqlite" and n == 10_000 and not args.no_idle:
                cpu, rss = idle_run(env, args.idle_seconds)
                put("idle `outreach run`: CPU", n, cpu, "% of a core")
                put("idle `outreach run`: peak RSS", n, rss, "MB")
    sizes = args.sizes
    print()
    header = " | ".join(f"N = {n:,}" for n in sizes)
    print(f"| figure | {header} | 10k→50k |")
    print("|---" * (len(sizes) + 2) + "|")
    for label, by_n in rows.items():
        cells = " | ".join(show(*by_n[n]) if n in by_n else "" for n in sizes)
        small = by_n.get(10_000, (None, ""))[0]
        large = by_n.get(50_000, (None, ""))[0]
        print(f"| {label} | {cells} | {ratio(small, large)} |")


if __name__ == "__main__":
    main()

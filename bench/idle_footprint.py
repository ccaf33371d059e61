"""Benchmark: what `outreach run` costs while idle, with five sandbox accounts connected.

    python bench/idle_footprint.py [--seconds 60] [--json]

Starts a sandbox in this process, connects five accounts to it (all on the sandbox's
one mailbox, each with its own cursors), then runs `outreach run` with its default
intervals (sync every 60 s, tick every 30 s) in a subprocess on a fresh SQLite file, and
samples /proc (psutil is not a dependency) every half second once its first step is
done. Reports peak RSS (VmHWM, the kernel's high-water mark) and CPU share of one core
over the idle window. Targets: <= 120 MB and <= 1 % of a core.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from events.ids import derive_id
from events.types import AccountConnected
from integrations.sandbox import Sandbox
from worker.services import heartbeat
from worker.services.app import open_app
from worker.services.settings import load_settings

ACCOUNTS = 5
TARGET_RSS_MB = 120.0
TARGET_CPU_PCT = 1.0
CLI = [sys.executable, "-c", "from worker.cli import main; main()"]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); index 11, 12 after the command.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


@dataclass(frozen=True)
class IdleSample:
    """What a process cost over an idle window: CPU seconds, the window, peak RSS (MB)."""

    cpu_s: float
    wall_s: float
    peak_rss_mb: float
    startup_rss_mb: float

    @property
    def cpu_pct(self) -> float:
        """CPU share of one core over the window, in per cent."""
        return 100 * self.cpu_s / self.wall_s


def sample_idle(
    proc: subprocess.Popen[bytes],
    engine: Engine,
    seconds: float,
    *,
    first_step_within: float,
    poll_s: float,
) -> IdleSample:
    """Wait (polling every `poll_s`) until `proc`, an `outreach run`, has beaten its
    heartbeat in `engine` (its first step is done), then sample /proc every half second
    for `seconds`: CPU over the window and the peak RSS (VmHWM) since it started."""
    deadline = time.monotonic() + first_step_within
    while not heartbeat.read(engine):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("outreach run did not take its first step")
        time.sleep(poll_s)
    startup = _peak_rss_mb(proc.pid)
    cpu0, wall0 = _cpu_seconds(proc.pid), time.monotonic()
    peak = startup
    while time.monotonic() - wall0 < seconds:
        time.sleep(0.5)
        peak = max(peak, _peak_rss_mb(proc.pid))
    cpu = _cpu_seconds(proc.pid) - cpu0
    return IdleSample(cpu, time.monotonic() - wall0, peak, startup)


def measure(seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="outreach-idle-") as tmp, Sandbox(seed=1) as sandbox:
        root = Path(tmp)
        env = {
            **os.environ,
            "OUTREACH_CONFIG_DIR": str(root / "config"),
            "OUTREACH_DATA_DIR": str(root / "data"),
            "OUTREACH_SANDBOX_ENDPOINTS": str(root / "endpoints.json"),
            "OUTREACH_LOG_LEVEL": "WARNING",
        }
        env.pop("OUTREACH_DATABASE_URL", None)
        env.pop("OUTREACH_BROKER_URL", None)
        env.pop("OUTREACH_CLOCK_URL", None)
        endpoints = sandbox.endpoints()
        (root / "endpoints.json").write_text(json.dumps(endpoints) + "\n")
        app = open_app(load_settings(env))
        heartbeat.create_schema(app.engine)
        for n in range(ACCOUNTS):
            app.journal.record(
                AccountConnected(
                    account_id=f"sandbox-{n}",
                    provider="sandbox",
                    email=endpoints["google"]["email"],
                    time_zone="UTC",
                ),
                event_id=derive_id("bench", "account", str(n)),
            )
        proc = subprocess.Popen([*CLI, "run"], env=env)
        try:
            idle = sample_idle(proc, app.engine, seconds, first_step_within=60, poll_s=0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            app.close()
    return {
        "accounts": ACCOUNTS,
        "idle_seconds": round(idle.wall_s, 1),
        "peak_rss_mb": round(idle.peak_rss_mb, 1),
        "cpu_seconds": round(idle.cpu_s, 3),
        "cpu_pct_of_core": round(idle.cpu_pct, 3),
        "rss_target_mb": TARGET_RSS_MB,
        "cpu_target_pct": TARGET_CPU_PCT,
        "within_targets": idle.peak_rss_mb <= TARGET_RSS_MB and idle.cpu_pct <= TARGET_CPU_PCT,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="idle window to measure")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    result = measure(args.seconds)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"outreach run, idle, {result['accounts']} sandbox accounts, {result['idle_seconds']} s")
    print(f"  peak RSS     {result['peak_rss_mb']:8.1f} MB    (target <= {TARGET_RSS_MB:.0f} MB)")
    print(
        f"  CPU          {result['cpu_pct_of_core']:8.3f} %     (target <= {TARGET_CPU_PCT:.0f} %"
        " of a core)"
    )
    print(f"  within targets: {'yes' if result['within_targets'] else 'NO'}")


if __name__ == "__main__":
    main()

"""Benchmark: weeks of outreach under SIGKILLs and provider faults, checked afterwards.

    python bench/crash_restart.py [--mode embedded|scaled|both]
        [--provider google|microsoft|both] [--kill workers,scheduler] [--contacts 200]
        [--weeks 8] [--kills 50] [--seed 1] [--fault-rate 0.1] [--rewrite-message-ids]
        [--json]

Runs `tests/harness/crash_scenario.py`: a generated crowd of contacts played hour by hour
against the sandbox's Gmail account (`google`) or its Outlook account (`microsoft`: the
Microsoft Graph emulator, signed in through MSAL) while 10 % of provider requests fail
(429, 503, 500, dropped connections; the token endpoint's too) and processes are killed
with SIGKILL at seeded moments, half of them while the sandbox serves one of the
workers' changes. `embedded` is `outreach run` on SQLite; `scaled` is two `outreach
worker` processes and an `outreach scheduler` on PostgreSQL (a fresh schema, dropped
afterwards) and Redis (database 13 by default, flushed twice mid-run, its clients cut
off); `--kill` says which of them the random-instant kills hit. With
`--rewrite-message-ids` the emulator gives sent mail a Message-ID of its own, as Gmail and
Exchange may (nothing documents that they keep ours). Then the faults stop, the
worker converges, and the mailbox, calendar, log and rebuilt views are compared. Prints
the figures; exits 1 when anything was duplicated or missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import get_args

if __package__ in (None, ""):  # run as a script: make the project and its harness importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness.crash_scenario import KILL_TARGETS, Figures, KillTarget, Options, run_scenario
from tests.harness.far_ends import ProviderName
from tests.harness.lockstep import postgres_schema, redis_database

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/13"
ROWS = (
    ("kills", "SIGKILL moments survived"),
    ("kills_mid_action", "  of them while the sandbox served a change"),
    ("processes_killed", "processes killed"),
    ("killed", "  by process"),
    ("claims_freed", "claims left by a killed scheduler"),
    ("redis_flushes", "Redis flushes"),
    ("requests", "provider API requests"),
    ("faults", "  of them failed"),
    ("token_requests", "token endpoint requests"),
    ("token_faults", "  of them failed"),
    ("fault_kinds", "faults by kind"),
    ("events", "events in the log"),
    ("sends", "messages sent"),
    ("sends_rewritten", "  given a Message-ID by the provider"),
    ("drafts", "drafts made"),
    ("confirmations", "confirmations"),
    ("confirmations_skipped", "  meetings no send window could confirm"),
    ("meetings", "meetings"),
    ("replies", "messages from contacts"),
    ("duplicates", "duplicates (must be 0)"),
    ("misses", "misses (must be 0)"),
    ("converge_s", "seconds to converge after the last kill"),
    ("wall_s", "wall time, seconds"),
)


def run_mode(options: Options, postgres: str, redis_url: str, quiet: bool) -> Figures:
    label = f"{options.mode} {options.provider}"

    def progress(line: str) -> None:
        if not quiet:
            print(f"[{label}] {line}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix=f"crash-{options.mode}-") as tmp:
        workdir = Path(tmp)
        if options.mode == "embedded":
            return run_scenario(
                options, workdir, f"sqlite:///{workdir / 'run.sqlite'}", None, progress
            )
        db = int(redis_url.rsplit("/", 1)[1])
        with postgres_schema(postgres, "crash") as db_url, redis_database(redis_url, db) as broker:
            return run_scenario(options, workdir, db_url, broker, progress)


def _cell(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in sorted(value.items())) or "–"
    return str(value)


def table(results: list[Figures]) -> str:
    """One column per run; rows too wide for a column (faults by kind) below the table."""
    width = max(len(label) for _, label in ROWS)
    col = max(16, *(len(r.label) for r in results))
    lines = [f"{'':{width}}  " + "  ".join(f"{r.label:>{col}}" for r in results)]
    lines.append(
        f"{'contacts / weeks':{width}}  "
        + "  ".join(f"{f'{r.contacts} / {r.weeks}':>{col}}" for r in results)
    )
    wide: list[str] = []
    for key, label in ROWS:
        cells = [_cell(getattr(r, key)) for r in results]
        if any(len(c) > col for c in cells):
            wide += [
                f"{r.label}: {label.strip()}: {c}" for r, c in zip(results, cells, strict=True)
            ]
            continue
        lines.append(f"{label:{width}}  " + "  ".join(f"{c:>{col}}" for c in cells))
    lines += wide
    for r in results:
        for problem in r.problems:
            lines.append(f"{r.label}: {problem}")
    return "\n".join(lines)


def _kill_targets(value: str) -> tuple[KillTarget, ...]:
    names = tuple(v.strip() for v in value.split(",") if v.strip())
    wrong = [n for n in names if n not in KILL_TARGETS]
    if not names or wrong:
        raise argparse.ArgumentTypeError(
            f"{value!r}: name some of {', '.join(KILL_TARGETS)}, separated by commas"
        )
    return tuple(n for n in KILL_TARGETS if n in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["embedded", "scaled", "both"], default="both")
    parser.add_argument("--provider", choices=[*get_args(ProviderName), "both"], default="both")
    parser.add_argument(
        "--kill",
        type=_kill_targets,
        default=KILL_TARGETS,
        help="what the random-instant kills hit (scaled): workers, scheduler or both",
    )
    parser.add_argument("--contacts", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--step-minutes", type=int, default=60)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument(
        "--rewrite-message-ids",
        action="store_true",
        help="the provider gives sent mail Message-IDs of its own",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args()
    modes = ["embedded", "scaled"] if args.mode == "both" else [args.mode]
    providers: list[ProviderName] = (
        list(get_args(ProviderName)) if args.provider == "both" else [args.provider]
    )
    # Every flag named like a field of Options (--fault-rate: fault_rate) sets it; mode
    # and provider may say "both", so each run sets its own.
    chosen = {
        f.name: getattr(args, f.name)
        for f in fields(Options)
        if f.name not in ("mode", "provider") and hasattr(args, f.name)
    }
    results = []
    for provider in providers:
        for mode in modes:
            options = Options(mode=mode, provider=provider, **chosen)
            results.append(run_mode(options, args.postgres_url, args.redis_url, args.json))
            if not args.json:  # each run's figures as it ends: a later one may fail
                print(table(results[-1:]), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps({r.label: r.to_json() for r in results}))
    else:
        print(table(results))
    if any(r.duplicates or r.misses for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()

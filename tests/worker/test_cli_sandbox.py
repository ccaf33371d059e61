"""Trying it without an account: `outreach sandbox` says what a client needs, and
`outreach connect sandbox` connects its accounts; the installed command, in subprocesses."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

from tests.worker.test_cli import OUTREACH
from tests.worker.world import world_env


def test_sandbox_prints_every_path_and_connect_sandbox_connects(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    saved = tmp_path / "endpoints.json"
    served = subprocess.Popen(
        [*OUTREACH, "sandbox", "--endpoints-file", str(saved)],
        env=base,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert served.stdout is not None
        endpoints = json.loads(served.stdout.readline())
        told: list[str] = []
        while not told or not told[-1].startswith("# control"):
            told.append(served.stdout.readline().rstrip("\n"))
        assert f"#   export OUTREACH_SANDBOX_ENDPOINTS={saved}" in told
        [ca] = [t for t in told if t.startswith("# Outlook emulator CA file")]
        assert Path(ca.rpartition(": ")[2]).is_file()
        assert json.loads(saved.read_text()) == endpoints
        assert saved.stat().st_mode & 0o077 == 0

        env = {**base, **world_env(tmp_path), "OUTREACH_SANDBOX_ENDPOINTS": str(saved)}

        def outreach(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*OUTREACH, *args], env=env, capture_output=True, text=True, timeout=60,
                check=False,
            )  # fmt: skip

        first = outreach("connect", "sandbox", "--json")
        assert first.returncode == 0, first.stderr
        google = json.loads(first.stdout)
        assert (google["email"], google["already"]) == (endpoints["google"]["email"], False)
        again = outreach("connect", "sandbox")
        assert "already connected" in again.stdout
        outlook = json.loads(
            outreach("connect", "sandbox", "--provider", "microsoft", "--json").stdout
        )
        assert outlook["email"] == endpoints["microsoft"]["email"]
        listed = outreach("status", "--json")
        assert listed.returncode == 0, listed.stderr
        emails = sorted(a["email"] for a in json.loads(listed.stdout)["accounts"])
        assert emails == sorted([google["email"], outlook["email"]])
        synced = outreach("sync", "--json")
        assert synced.returncode == 0, synced.stderr
        refused = outreach("connect", "sandbox", "--provider", "yahoo")
        assert refused.returncode == 2
        assert "google or microsoft" in refused.stderr
    finally:
        served.terminate()
        served.wait(timeout=30)
        if served.stdout is not None:
            served.stdout.close()


def test_demo_keep_leaves_a_world_the_other_commands_explore(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    kept = tmp_path / "demo world"
    done = subprocess.run(
        [*OUTREACH, "demo", "--keep", str(kept)],
        env={**base, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [line] = [x.strip() for x in done.stdout.splitlines() if x.strip().startswith("export ")]
    env = dict(base)
    for assignment in shlex.split(line.removeprefix("export ")):
        name, _, value = assignment.partition("=")
        env[name] = value
    assert env["OUTREACH_DATA_DIR"] == str(kept)

    def outreach(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*OUTREACH, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )

    pipeline = outreach("pipeline", "--json")
    assert pipeline.returncode == 0, pipeline.stderr
    names = {r["name"] for r in json.loads(pipeline.stdout)}
    assert {"Ada Lovelace", "Grace Hopper", "Alan Turing"} <= names
    drafts = outreach("drafts", "--json")
    assert drafts.returncode == 0, drafts.stderr
    assert [d["to"] for d in json.loads(drafts.stdout)] == ["ada@analytical.example"]
    history = outreach("history", "grace")
    assert history.returncode == 0, history.stderr
    assert "you met" in history.stdout
    assert " GMT  " in history.stdout  # the demo's zone, kept in its settings

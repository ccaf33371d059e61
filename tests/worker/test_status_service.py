"""`outreach status` and `outreach service`: honest about a stopped worker; service files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from events.clock import ManualClock
from events.ids import derive_id
from events.types import AccountConnected, AccountNeedsReconnect
from tests.worker.conftest import open_test_app, worker_env
from worker.services import heartbeat
from worker.services.contacts import ContactBook, NewContact
from worker.services.status import status

CLI = [sys.executable, "-c", "from worker.cli import main; main()"]


def test_status_shows_reconnect_stale_worker_and_coming_work(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    app = open_test_app(sqlite_url, tmp_path, clock)
    try:
        heartbeat.create_schema(app.engine)
        app.journal.record(
            AccountConnected(
                account_id="a1", provider="google", email="me@example.org", time_zone="UTC"
            ),
            event_id=derive_id("t", "a1"),
        )
        app.journal.record(
            AccountNeedsReconnect(
                account_id="a1", reason="invalid_grant", command="outreach connect google"
            ),
            event_id=derive_id("t", "a1", "reconnect"),
        )
        ContactBook(app).add(NewContact(name="Ada", emails=["ada@example.org"]), reach_out=True)
        heartbeat.beat(app.engine, "run", clock.now(), 30, 1, "due 0")
        report = status(app, queued=None)
        assert report["workers"][0]["running"]
        (account,) = report["accounts"]
        assert account["needs_reconnect"]
        assert account["command"] == "outreach connect google"
        assert any(c["kind"] == "draft_outreach" for c in report["coming_up"])
        # Three intervals without a step: the worker is not running (complaint #7).
        clock.advance(timedelta(seconds=91))
        assert not status(app, queued=None)["workers"][0]["running"]
        heartbeat.beat(app.engine, "run", clock.now(), 30, 2)
        heartbeat.stopped(app.engine, "run")
        assert not status(app, queued=None)["workers"][0]["running"]
    finally:
        app.close()


def test_status_cli_json_and_text(tmp_path: Path) -> None:
    env = {**os.environ, **worker_env(tmp_path)}
    out = subprocess.run([*CLI, "status", "--json"], env=env, capture_output=True, check=True)
    report = json.loads(out.stdout)
    assert report["accounts"] == []
    assert report["workers"] == []
    assert report["queued"] is None
    text = subprocess.run([*CLI, "status"], env=env, capture_output=True, check=True, text=True)
    assert "not running" in text.stdout


def test_service_install_print_and_uninstall(tmp_path: Path) -> None:
    env = {
        **os.environ,
        **worker_env(tmp_path),
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
    }
    printed = subprocess.run(
        [*CLI, "service", "install", "--print"], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "Restart=on-failure" in printed
    assert "<key>KeepAlive</key>" in printed
    assert "OUTREACH_SECRET_KEY" not in printed  # unit files are often world-readable
    unit = tmp_path / "xdg" / "systemd" / "user" / "outreach.service"
    assert not unit.exists()
    subprocess.run([*CLI, "service", "install"], env=env, capture_output=True, check=True)
    text = unit.read_text()
    assert "run\n" in text.split("ExecStart=")[1].splitlines()[0] + "\n"
    assert "Restart=on-failure" in text
    assert f'Environment="OUTREACH_DATA_DIR={tmp_path / "data"}"' in text
    subprocess.run([*CLI, "service", "uninstall"], env=env, capture_output=True, check=True)
    assert not unit.exists()


def test_status_lists_the_first_few_and_counts_them_all(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    app = open_test_app(sqlite_url, tmp_path, clock)
    try:
        app.journal.record(
            AccountConnected(
                account_id="a1", provider="google", email="me@example.org", time_zone="UTC"
            ),
            event_id=derive_id("t", "a1"),
        )
        book = ContactBook(app)
        for name in ("Ada", "Grace", "Alan"):
            book.add(NewContact(name=name, emails=[f"{name.lower()}@example.org"]), reach_out=True)
        every = status(app, queued=None, shown=None)
        assert len(every["coming_up"]) == 3
        report = status(app, queued=None, shown=1)
        assert report["coming_up"] == every["coming_up"][:1]
        assert report["due_within_48h"] == {"people": 3, "meetings": 0}
    finally:
        app.close()

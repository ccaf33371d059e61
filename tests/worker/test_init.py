"""`outreach init`: who the user is, written to config.toml; until then `status` says so
and nothing is prepared in the name of "Your Name"."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.worker.test_cli import Cli, cli  # noqa: F401  (the fixture)


def test_defaults_refuse_reach_out_until_init(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    config = tmp_path / "config" / "config.toml"
    config.write_text('database_url = "' + cli.db_url + '"\n')  # no profile: the defaults
    cli.ok("contacts", "add", "Ana Lima", "-e", "ana@example.com")
    status = cli.ok("status", "--json").json()
    assert status["profile"] == (
        "your name is still the default 'Your Name': run `outreach init` first"
    )
    assert "run `outreach init`" in cli.ok("status").out
    [refused] = cli.refused(("reach-out", "Ana Lima"))
    assert refused == (
        "error: your name is still the default 'Your Name': run `outreach init` first"
    )

    done = cli.ok(
        "init", "--name", "Sam Rivera", "--introduction",
        "I taught physics for eight years and am moving into UX research",
        "--signature", "Sam Rivera\\nsam@example.org", "--time-zone", "Asia/Kolkata",
        "--send-window", "9-19", "--json",
    ).json()  # fmt: skip
    assert done["send_window"] == [9, 19]
    written = tomllib.loads(config.read_text())
    # Every other setting kept; the answers in their tables.
    assert written["database_url"] == cli.db_url
    assert written["profile"] == {
        "name": "Sam Rivera",
        "headline": "I taught physics for eight years and am moving into UX research",
        "signature": "Sam Rivera\nsam@example.org",
    }
    assert (written["policy"]["time_zone"], written["policy"]["send_window_start"]) == (
        "Asia/Kolkata",
        9,
    )
    assert cli.ok("status", "--json").json()["profile"] is None
    warned = cli.ok("reach-out", "Ana Lima").out
    # Nothing says how the user knows Ana: the draft will be flagged, and they hear it now.
    assert "warning: nothing says how you know Ana Lima; the draft will be flagged" in warned


def test_init_asks_and_refuses_bad_answers(cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    asked = cli(
        "init", stdin="Ana Lima\nI run a bakery and am moving into data work\n\nUTC\n7-21\n"
    )
    assert asked.code == 0, asked.err
    assert "Your name" in asked.out
    assert "Send window" in asked.out
    profile = tomllib.loads((tmp_path / "config" / "config.toml").read_text())["profile"]
    assert profile["name"] == "Ana Lima"
    before = (tmp_path / "config" / "config.toml").read_text()
    wrong = [
        ("--time-zone", "Mars/Olympus"),
        ("--send-window", "20-8"),
        ("--name", "Your Name"),
    ]
    refusals = [cli("init", option, value) for option, value in wrong]
    assert [(r.code, r.err.strip()) for r in refusals] == [
        (2, "error: init: --time-zone: unknown time zone 'Mars/Olympus'"),
        (
            2,
            "error: init: --send-window: the start hour must come before the end hour, within 0-24",
        ),
        (2, "error: init: --name: give your own name"),
    ]
    assert (tmp_path / "config" / "config.toml").read_text() == before

"""The `outreach` command as a user runs it: the installed console script, in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from events.database import open_engine
from worker.cli.common import print_json


def _script() -> list[str]:
    beside = Path(sys.executable).with_name("outreach")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("outreach")
    if found:
        return [found]
    return [sys.executable, "-c", "from worker.cli import main; main()"]


OUTREACH = _script()


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Cli:
    """Runs `outreach` with its own config and data directories and database."""

    env: dict[str, str]
    db_url: str
    data_dir: Path

    def __call__(self, *args: str, stdin: str = "") -> Result:
        done = subprocess.run(
            [*OUTREACH, *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.code == 0, result.err
        return result

    def ok_all(self, *commands: tuple[str, ...]) -> list[Result]:
        """Run commands that must succeed side by side (reads, or writes whose order is moot)."""
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda args: self(*args), commands))
        for args, result in zip(commands, results, strict=True):
            assert result.code == 0, (args, result.err)
        return results

    def refused(self, *commands: tuple[str, ...]) -> list[str]:
        """Run commands that must fail, side by side (each process costs most of a second):
        each prints one line on stderr and exits 2, and nothing is written."""
        before = self.event_count()
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda args: self(*args), commands))
        messages = []
        for args, result in zip(commands, results, strict=True):
            assert result.code == 2, (args, result.code, result.out, result.err)
            lines = result.err.strip().splitlines()
            assert len(lines) == 1, (args, result.err)
            assert lines[0].startswith("error: "), (args, result.err)
            messages.append(lines[0])
        assert self.event_count() == before
        return messages

    def event_count(self) -> int:
        engine = open_engine(self.db_url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                return int(conn.exec_driver_sql("SELECT COUNT(*) FROM events").scalar() or 0)
        finally:
            engine.dispose()


@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    env |= {
        "OUTREACH_CONFIG_DIR": str(tmp_path / "config"),
        "OUTREACH_DATA_DIR": str(tmp_path / "data"),
        "OUTREACH_DATABASE_URL": db_url,
        "COLUMNS": "200",
    }
    # Who the user is (`outreach init` writes this; see test_init_*): nothing is prepared
    # in the name of the default "Your Name".
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        '[profile]\nname = "Sam Rivera"\nheadline = "I am moving into research"\n'
    )
    return Cli(env, db_url, tmp_path / "data")


def test_add_list_pipeline_history_rebuild(cli: Cli, tmp_path: Path) -> None:
    added = cli.ok(
        "contacts", "add", "Ada Lovelace", "-e", "ada@example.org", "--company", "Analytical",
        "--role", "Engineer", "--json",
    ).json()  # fmt: skip
    assert (added["name"], added["emails"], added["stage"]) == (
        "Ada Lovelace",
        ["ada@example.org"],
        "identified",
    )
    cli.ok("contacts", "add", "Grace Hopper", "-e", "grace@example.org",
           "--referred-by", "ada@example.org", "--reach-out")  # fmt: skip
    csv = tmp_path / "Connections.csv"
    csv.write_text(
        'Notes:\n"Some emails are missing, see https://www.linkedin.com/help"\n\n'
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Alan,Turing,https://www.linkedin.com/in/alan,,Bletchley,,30 Jun 2021\n"
    )
    summary = cli.ok("contacts", "import", str(csv), "--json").json()
    assert summary == {
        "new": 1,
        "updated": 0,
        "unchanged": 0,
        "without_email": 1,
        "skipped": [],
        "source": "linkedin",
    }

    listing, pipeline, timeline, table = cli.ok_all(
        ("contacts", "list", "--json"),
        ("pipeline", "--json"),
        ("history", "grace@example.org", "--json"),
        ("pipeline",),
    )
    listed = listing.json()
    assert [c["name"] for c in listed] == ["Ada Lovelace", "Grace Hopper", "Alan Turing"]
    grace = listed[1]
    assert (grace["referred_by"], grace["source"]) == (added["contact_id"], "referral")

    stages = {r["name"]: (r["stage"], r["next_step"]) for r in pipeline.json()}
    assert stages["Grace Hopper"] == ("to_write", "first message to prepare")
    assert stages["Alan Turing"][0] == "identified"
    assert stages["Alan Turing"][1].startswith("add an e-mail address to write to them")
    assert "Grace Hopper" in table.out
    assert "first message to prepare" in table.out

    history = timeline.json()
    assert [h["type"] for h in history] == ["contact.added", "outreach.requested"]
    assert history[0]["event"]["referred_by"] == added["contact_id"]
    assert not history[0]["forgotten"]

    rebuilt = cli.ok("projections", "rebuild", "--json").json()
    assert "pipeline" in rebuilt["rebuilt"]
    assert rebuilt["events_applied"] >= 4
    assert cli.ok("contacts", "list", "--json").json() == listed
    # The key file the first command made is private.
    if (cli.data_dir / "secret.key").exists():
        assert (cli.data_dir / "secret.key").stat().st_mode & 0o077 == 0


def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    cli: Cli, tmp_path: Path, db_url: str
) -> None:
    cli.ok("contacts", "add", "Ada Lovelace", "-e", "ada@example.org")
    broken = tmp_path / "broken.csv"
    broken.write_text('Name,Email\nGrace,grace@example.org\n"Alan Turing,alan@example.org\n')
    # Refusals that depend on what is stored run on both backends; the rest (parsing,
    # validation, settings) once, on SQLite: each process costs about a second.
    on_both = {
        ("contacts", "add", "Ada again", "-e", "ADA@example.org"): (
            "ada@example.org already belongs to Ada Lovelace"
        ),
        ("contacts", "add", "Grace", "-e", "grace@example.org", "--referred-by", "nobody"): (
            "referred by: no contact matches 'nobody'"
        ),
        ("history", "nobody"): "no contact matches 'nobody'",
        ("contacts", "import", str(broken)): f"{broken}:3: broken CSV row",
    }
    expected = (
        on_both
        if db_url.startswith("postgresql")
        else on_both
        | {
            ("contacts", "add", "Grace", "-e", "ada@example"): (
                "'ada@example' is not a valid e-mail address"
            ),
            ("contacts", "add", "Grace\nHopper", "-e", "grace@example.org"): (
                "name: contains a line break"
            ),
            ("contacts", "add", "Alan", "--reach-out"): "no e-mail address to write to",
            ("contacts", "import", str(tmp_path)): f"{tmp_path}: cannot read (Is a directory)",
            ("contacts", "import", str(tmp_path / "no.csv")): "no.csv: cannot read (No such file",
            ("reach-out", "nobody"): "no contact matches 'nobody'",
            ("projections", "rebuild", "nonsense"): "error: unknown projection 'nonsense'",
        }
    )
    for (args, want), got in zip(expected.items(), cli.refused(*expected), strict=True):
        assert want in got, (args, got)
    if db_url.startswith("postgresql"):
        return

    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[policy]\ndaily_cap = 5\n")
    (message,) = cli.refused(("contacts", "list"))
    assert f"{config}: [policy].daily_cap: unknown setting" in message
    config.write_text("[policy]\ndaily_outreach_cap = \n")
    (message,) = cli.refused(("contacts", "add", "Grace", "-e", "grace@example.org"))
    assert str(config) in message
    assert "line 2" in message
    config.unlink()

    assert [c["name"] for c in cli.ok("contacts", "list", "--json").json()] == ["Ada Lovelace"]


def test_forget(cli: Cli) -> None:
    cli.ok("contacts", "add", "Ada Lovelace", "-e", "ada@example.org", "--company", "Analytical")
    _, timeline = cli.ok_all(
        (
            "contacts",
            "add",
            "Grace Hopper",
            "-e",
            "grace@example.org",
            "--referred-by",
            "Ada Lovelace",
        ),
        ("history", "ada@example.org", "--json"),
    )
    ada_id = timeline.json()[0]["event"]["contact_id"]
    before = cli.event_count()

    declined = cli("contacts", "forget", "ada@example.org", stdin="n\n")
    assert declined.code == 1
    assert cli.event_count() == before

    cli.ok("contacts", "forget", "ada@example.org", "--yes")

    assert cli.event_count() == before + 1  # appended, nothing removed
    listing, pipeline, grace = cli.ok_all(
        ("contacts", "list", "--json"), ("pipeline", "--json"), ("history", "grace", "--json")
    )
    for out in (listing.out, pipeline.out):
        assert "Ada" not in out
        assert "ada@example.org" not in out
        assert "Analytical" not in out
    assert grace.json()[0]["event"]["referred_by"] == ada_id
    gone = cli.refused(
        ("history", "ada@example.org"),
        ("history", ada_id),
        ("contacts", "forget", "ada@example.org", "--yes"),
    )
    assert all("no contact matches" in message for message in gone)
    # By id, forgetting again finishes an interrupted run and records nothing.
    cli.ok("contacts", "forget", ada_id, "--yes")
    assert cli.event_count() == before + 1


def test_json_times_are_iso_8601(capsys: pytest.CaptureFixture[str]) -> None:
    moment = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    print_json({"start": moment, "back": date(2026, 3, 16)})
    assert json.loads(capsys.readouterr().out) == {
        "start": "2026-03-10T14:00:00+00:00",
        "back": "2026-03-16",
    }

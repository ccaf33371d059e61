"""Output a user can read: name-first tables that fit 80 columns, plain words, times in
the user's zone, history in sentences, clean --help, and JSON from every acting command."""

# The fixtures imported below are parameters of the tests, hence "redefined".

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from typer.testing import CliRunner

from tests.harness.clock_server import ClockServer
from tests.worker.test_cli import OUTREACH
from tests.worker.test_cli_drafts import Cli
from tests.worker.world import World
from worker.cli import COMMANDS
from worker.cli import app as cli_app
from worker.cli.status import ACTION_WORDS
from worker.domain.policies.actions import ActionKind
from worker.services import heartbeat
from worker.services.person import person

ADA = "ada@analytical.example"
GRACE = "grace@navy.example"


def _json(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args, "--json").stdout)


def _subcommands() -> list[list[str]]:
    found = [[name] for name in sorted(COMMANDS)]
    for group in ("contacts", "drafts", "projections", "accounts", "connect", "service"):
        out = CliRunner().invoke(cli_app, [group, "--help"], env={"COLUMNS": "200"}).stdout
        body = out.split("Commands")[-1] if "Commands" in out else ""
        found += [[group, line.split()[1]] for line in body.splitlines() if line.startswith("│ ")]
    return found


def test_help_names_no_python_types() -> None:
    for args in _subcommands():
        out = CliRunner().invoke(cli_app, [*args, "--help"], env={"COLUMNS": "120"}).stdout
        for tag in ("<bool>", "<str>", "<int>", "<path>", "LIST[STR]"):
            assert tag not in out, (args, tag)


def test_command_lists_give_each_command_one_unbroken_line() -> None:
    # A command's first sentence is what the list shows: a line break inside it showed
    # as a sentence cut in two across the list.
    for group in ([], ["contacts"], ["drafts"], ["connect"], ["accounts"], ["service"]):
        out = CliRunner().invoke(cli_app, [*group, "--help"], env={"COLUMNS": "200"}).stdout
        rows = out.split("Commands")[-1].splitlines()[1:]
        listed = [r for r in rows if r.startswith("│ ")]
        assert listed, (group, out)
        broken = [r for r in listed if r.startswith("│  ")]
        assert broken == [], group


def test_pipeline_fits_80_columns_name_first_in_plain_words(world: World, cli: Cli) -> None:
    world.outreach_sent(
        "Maximilian Alexander von Habsburg-Lothringen",
        "max@a-very-long-organisation-name.example",
        company="The International Organisation for Standardisation of Long Names",
    )
    world.add("Ada Lovelace", ADA)
    world.perform("draft_outreach")
    out = cli.ok("pipeline", COLUMNS="80").stdout
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), out
    header = next(line for line in lines if "name" in line and "stage" in line)
    assert header.index("name") < header.index("stage") < header.index("next")
    ada = next(line for line in lines if "Ada Lovelace" in line)
    assert "first message waiting" in ada  # "…for your review", cut to fit
    assert "your first message" in ada
    wide = cli.ok("pipeline", "--wide", COLUMNS="200").stdout
    assert "your first message waits for review" in wide
    assert "written to" in wide  # "sent", in words
    assert "The International Organisation" in wide


def test_next_says_the_draft_waits_rather_than_what_comes_later(world: World, cli: Cli) -> None:
    world.outreach_sent("Ada Lovelace", ADA)
    [before] = _json(cli, "pipeline")
    assert before["next_step"] == "wait for a reply; nudge after a week"
    world.later(days=8)
    world.perform("draft_nudge")
    [after] = _json(cli, "pipeline")
    assert after["next_step"] == "your reminder waits for review"
    world.user_sends(world.drafts()[0])
    [sent] = _json(cli, "pipeline")
    assert sent["next_step"] == "wait for a reply"


def test_history_in_sentences_in_the_users_zone(world: World, cli: Cli) -> None:
    world.outreach_sent("Ada Lovelace", ADA)
    world.reply(ADA, "Happy to talk!")
    out = cli.ok("history", "ada").stdout
    assert "Ada Lovelace:" in out
    assert "Mon 2 Mar 2026 09:00 GMT  added to your contacts by you as Ada Lovelace" in out
    assert "you chose to write to them" in out
    assert "a first message was prepared for your review: “" in out
    assert "your first message was sent: “" in out
    assert "they replied: “" in out
    assert "outreach.sent" not in out
    sentences = [h["sentence"] for h in _json(cli, "history", "ada")]
    assert sentences[0] == "added to your contacts by you as Ada Lovelace"
    # The person's page tells the same story in the same words, as sentences.
    page = person(world.book, "ada").moments
    assert [m.sentence for m in reversed(page)] == [s[0].upper() + s[1:] + "." for s in sentences]


@pytest.fixture
def on_world_time(world: World, cli: Cli) -> Iterator[None]:
    """Every command reads the world's clock through OUTREACH_CLOCK_URL."""
    server = ClockServer(world.clock).start()
    cli.env = {**cli.env, "OUTREACH_CLOCK_URL": server.url}
    try:
        yield
    finally:
        server.stop()


@pytest.mark.usefixtures("on_world_time")
def test_reach_out_past_the_daily_cap_says_when_and_which_setting(world: World, cli: Cli) -> None:
    config = Path(world.env["OUTREACH_CONFIG_DIR"]) / "config.toml"
    config.write_text(config.read_text() + "daily_outreach_cap = 1\n")
    cli.ok("contacts", "add", "Ada Lovelace", "-e", ADA)
    cli.ok("contacts", "add", "Grace Hopper", "-e", "grace@navy.example")
    first = _json(cli, "reach-out", "ada")
    assert (first["draft_expected"]["day"], first["draft_expected"]["today"]) == (
        "2026-03-02",
        True,
    )
    world.perform("draft_outreach")
    out = cli.ok("reach-out", "grace").stdout
    assert "today's cap of 1 first message is reached" in " ".join(out.split())
    assert "prepared on Tuesday 3 March (Europe/London)" in " ".join(out.split())
    assert f"daily_outreach_cap = 1 under [policy] in {config}" in " ".join(out.split())
    # The contact the command added carries the world's time, not the computer's.
    assert _json(cli, "contacts", "show", "grace")["added_at"].startswith("2026-03-02T09:00")


@pytest.mark.usefixtures("on_world_time")
def test_reach_out_says_what_the_first_message_waits_for(world: World, cli: Cli) -> None:
    cli.ok("contacts", "add", "Ada Lovelace", "-e", ADA, "--how", "met at PyCon")
    # A mailbox is connected, but nothing has run the worker.
    out = " ".join(cli.ok("reach-out", "ada").stdout.split())
    assert out == (
        "Ada Lovelace: their first message will be prepared for your review once the "
        "worker runs: `outreach run`"
    )
    # Asking again is no mistake: nothing new is recorded, and it says so.
    head = world.app.store.head()
    again = _json(cli, "reach-out", "ada")
    assert (again["already"], world.app.store.head()) == (True, head)
    heartbeat.create_schema(world.app.engine)
    heartbeat.beat(world.app.engine, "run", world.clock.now(), 30, 1)
    out = " ".join(
        cli.ok("contacts", "add", "Grace Hopper", "-e", GRACE, "--reach-out").stdout.split()
    )
    assert "Grace Hopper: their first message will be ready for your review in a minute" in out
    for action in world.due("draft_outreach"):
        world.runtime.perform(action.to_message())
    assert "is past that step (first message waiting for your review)" in cli.refused(
        "reach-out", "ada"
    )


def test_reach_out_before_any_mailbox_says_to_connect_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    env |= {"OUTREACH_CONFIG_DIR": str(tmp_path / "c"), "OUTREACH_DATA_DIR": str(tmp_path / "d")}

    def run(*args: str) -> str:
        done = subprocess.run(
            [*OUTREACH, *args], env=env, capture_output=True, text=True, timeout=60, check=True
        )
        return " ".join(done.stdout.split())

    run("init", "--name", "Sam Lee", "--introduction", "I teach physics", "--json")
    out = run("contacts", "add", "Ada Lovelace", "-e", ADA, "--how", "PyCon", "--reach-out")
    assert out.endswith(
        "Ada Lovelace: their first message will be prepared for your review once a mailbox "
        "is connected: `outreach connect google` or `outreach connect microsoft`"
    )


def test_acting_commands_answer_in_json(world: World, cli: Cli) -> None:
    cli.ok("contacts", "add", "Ada Lovelace", "-e", ADA)
    reached = _json(cli, "reach-out", "ada")
    assert (reached["stage"], reached["stage_words"]) == ("to_write", "first message to prepare")
    assert "no meeting in the log" in json.loads(cli("met", "ada", "--json").stderr)["error"]
    forgotten = _json(cli, "contacts", "forget", "ada", "--yes")
    assert forgotten == {"forgotten": reached["contact_id"]}


def test_a_usage_error_under_json_is_json_too(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    env |= {"OUTREACH_CONFIG_DIR": str(tmp_path / "c"), "OUTREACH_DATA_DIR": str(tmp_path / "d")}
    done = subprocess.run(
        [*OUTREACH, "contacts", "show", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    error = json.loads(done.stderr)
    assert error["exit_code"] == 2
    assert "Missing argument" in error["error"]


@pytest.mark.parametrize("args", [["pipeline", "--active", "--closed"]])
def test_contradicting_options_are_refused(world: World, cli: Cli, args: list[str]) -> None:
    assert "exclude each other" in cli.refused(*args)


@pytest.mark.usefixtures("on_world_time")
def test_status_says_what_comes_in_words_and_the_users_zone(world: World, cli: Cli) -> None:
    world.outreach_sent("Ada Lovelace", ADA)
    world.add("Grace Hopper", "grace@navy.example")
    world.perform("draft_outreach")
    world.later(days=6)
    out = cli.ok("status", COLUMNS="200").stdout
    assert "prepare a nudge" in out
    assert "draft_nudge" not in out
    assert "Mon 2 Mar 2026 09:00 GMT" in out  # Grace's draft, waiting since


def test_every_action_kind_has_words() -> None:
    # "skip" is never shown as coming: it records why something else was not done.
    assert set(get_args(ActionKind)) - {"skip"} <= set(ACTION_WORDS)

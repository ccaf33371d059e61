"""Hostile command lines: any arguments to the `outreach` commands a user types.

Each run ends with exit code 0, or a non-zero exit with a clear error (one `error:` line,
or click's usage message), never a traceback; a refused command writes nothing.
Left out: commands that run until stopped (run, worker, scheduler, sandbox), open a
browser (connect), install a service (service), or reach a mailbox (sync, drafts approve).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from events.database import open_engine
from tests.hostile.cases import fuzz, tried
from tests.hostile.strategies import CONTACT, CONTACT_NAME
from tests.worker.conftest import worker_env
from worker.cli import _register, app

_register()

_word = st.one_of(
    st.sampled_from(
        [
            CONTACT,
            CONTACT_NAME,
            "Ada\r\nBcc: victim@example.org",
            "ada@analytical.example\nBcc: x@y.org",
            "",
            "-",
            "--",
            "--json",
            "--help",
            "nobody",
            "2026-03-05 15:00",
            "tomorrow",
            "-1",
            "99999999999999999999",
            "0",
            "[bold]markup[/]",
            "../../etc/passwd",
            "/dev/null",
        ]
    ),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30),
)
_COMMANDS = [
    ["contacts", "add"],
    ["contacts", "add", "Grace Hopper", "-e"],
    ["contacts", "add", "Grace Hopper", "--company"],
    ["contacts", "import"],
    ["contacts", "list"],
    ["contacts", "forget"],
    ["reach-out"],
    ["history"],
    ["pipeline"],
    ["drafts"],
    ["drafts", "show"],
    ["drafts", "discard"],
    ["met"],
    ["notes", CONTACT_NAME, "--text"],
    ["prep"],
    ["schedule", CONTACT_NAME],
    ["schedule"],
    ["projections", "rebuild"],
    ["status"],
    ["accounts", "list"],
    ["accounts", "remove"],
    [],
]


def _events(url: str) -> int:
    engine = open_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT COUNT(*) FROM events").scalar() or 0)
    finally:
        engine.dispose()


@fuzz(max_examples=80)
@given(command=st.sampled_from(_COMMANDS), args=st.lists(_word, max_size=4))
def test_any_arguments_give_a_result_or_a_clear_error(
    command: list[str], args: list[str], tmp_path: Path, sqlite_url: str
) -> None:
    tried("cli")
    runner = CliRunner(env=worker_env(tmp_path, sqlite_url) | {"COLUMNS": "200"})
    seed = runner.invoke(app, ["contacts", "add", CONTACT_NAME, "-e", CONTACT])
    assert seed.exit_code in (0, 2), seed.output  # 2: already added by an earlier case
    before = _events(sqlite_url)
    result = runner.invoke(app, [*command, *args], input="n\n")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{command + args}: traceback instead of an error") from (
            result.exception
        )
    if result.exit_code == 0:
        return
    errors = result.stderr.strip().splitlines()
    # A failure is one line: a sentence, or (under --json) one JSON object.
    if any(line.startswith(("error: ", '{"error": ')) for line in errors):
        assert len(errors) == 1, (command + args, result.stderr)
    else:
        # click's own refusal (a usage line and what was wrong) or the help it shows for
        # a group named without a command.
        assert "Usage:" in result.output or "Error" in result.output, (command + args, result)
        assert "Traceback" not in result.output
    assert _events(sqlite_url) == before, (command + args, "wrote events and failed")

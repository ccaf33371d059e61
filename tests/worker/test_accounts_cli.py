"""`outreach accounts list|remove` and `outreach connect google`'s refusals, as typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from events.projections.accounts import AccountRow
from worker.accounts.google_connect import connect, read_client_secrets, sign_in
from worker.accounts.token_store import TokenStore
from worker.cli import accounts as _accounts  # noqa: F401 - registers the commands
from worker.cli import app as cli
from worker.cli import connect as _connect  # noqa: F401
from worker.services.app import App

from .conftest import worker_env
from .google_consent import Consent, consent  # noqa: F401 - the fixture


@pytest.fixture
def run(app: App, tmp_path: Path) -> CliRunner:
    return CliRunner(env=worker_env(tmp_path, app.settings.database_url))


def connected(app: App, consent: Consent) -> AccountRow:  # noqa: F811
    config = read_client_secrets(consent.client_secrets)
    grant = sign_in(config, open_browser=False, paste=True, prompt=consent.paste, say=consent.say)
    done = connect(app, grant, endpoints=consent.endpoints)
    return next(r for r in app.projector.rows(AccountRow) if r.account_id == done.account_id)


def test_list_shows_connected_accounts_as_a_table_and_json(
    app: App,
    consent: Consent,  # noqa: F811
    run: CliRunner,
) -> None:
    empty = run.invoke(cli, ["accounts", "list"])
    assert empty.exit_code == 0, empty.output
    assert "outreach connect google" in empty.output
    row = connected(app, consent)
    table = run.invoke(cli, ["accounts", "list"])
    assert row.account_id[:8] in table.output
    assert "connected" in table.output
    listed = json.loads(run.invoke(cli, ["accounts", "list", "--json"]).output)
    assert [(a["email"], a["status"], a["provider"]) for a in listed] == [
        ("user@sandbox.example", "connected", "google")
    ]
    # Neither the table nor the JSON carries a secret.
    for secret in consent.issued:
        assert secret not in table.output
        assert secret not in json.dumps(listed)


def test_remove_records_the_removal_and_deletes_the_token(
    app: App,
    consent: Consent,  # noqa: F811
    run: CliRunner,
) -> None:
    row = connected(app, consent)
    store = TokenStore(app.settings)
    assert store.exists(row.account_id)
    removed = run.invoke(cli, ["accounts", "remove", "user@sandbox.example"])
    assert removed.exit_code == 0, removed.output
    assert "token deleted" in removed.output
    assert not store.exists(row.account_id)
    app.projector.catch_up()
    assert [r.status for r in app.projector.rows(AccountRow)] == ["removed"]
    again = run.invoke(cli, ["accounts", "remove", row.account_id[:8]])
    assert again.exit_code == 0
    assert "already removed" in again.output
    assert sum(1 for e in app.store.read_all() if e.type == "account.removed") == 1
    # Connecting again later makes it connected, with a new token.
    connected(app, consent)
    app.projector.catch_up()
    assert [r.status for r in app.projector.rows(AccountRow)] == ["connected"]
    assert store.exists(row.account_id)


def test_removing_an_unknown_account_is_one_line_and_exit_2(run: CliRunner) -> None:
    result = run.invoke(cli, ["accounts", "remove", "nobody@example.org"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: no account matches 'nobody@example.org' (try `outreach accounts list`)"
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "no such file"), ("{oops", "not JSON (line 1"), ('{"web": {}}', "Desktop app")],
)
def test_connect_refuses_a_bad_client_secrets_file_in_one_line(
    run: CliRunner, app: App, tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "client.json"
    if content is not None:
        path.write_text(content)
    result = run.invoke(cli, ["connect", "google", "--client-secrets", str(path), "--no-browser"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {path}: ")
    assert expected in lines[0]
    assert app.store.head() == 0


def test_remove_and_its_failures_in_json(
    app: App,
    consent: Consent,  # noqa: F811
    run: CliRunner,
) -> None:
    row = connected(app, consent)
    removed = run.invoke(cli, ["accounts", "remove", "user@sandbox.example", "--json"])
    assert removed.exit_code == 0, removed.output
    assert json.loads(removed.stdout) == {
        "account_id": row.account_id,
        "email": "user@sandbox.example",
        "outcome": "removed",
    }
    again = run.invoke(cli, ["accounts", "remove", row.account_id[:8], "--json"])
    assert json.loads(again.stdout)["outcome"] == "already removed"
    unknown = run.invoke(cli, ["accounts", "remove", "nobody@example.org", "--json"])
    assert (unknown.exit_code, unknown.stdout) == (2, "")
    assert json.loads(unknown.stderr) == {
        "error": "no account matches 'nobody@example.org' (try `outreach accounts list`)",
        "kind": "user_error",
        "exit_code": 2,
    }
    # Without --json the next failure is a sentence again.
    plain = run.invoke(cli, ["accounts", "remove", "nobody@example.org"])
    assert plain.stderr.startswith("error: no account matches")

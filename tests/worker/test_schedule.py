"""`outreach schedule`: times read in the user's zone, one event however often it is run,
the meeting recorded once (the sync agrees), and one-line refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from events.clock import ManualClock
from events.projections.accounts import AccountRow
from events.projections.meetings import MeetingRow
from integrations.google import GmailProvider
from worker.accounts.google import google_provider
from worker.accounts.google_connect import connect, read_client_secrets, sign_in
from worker.cli import accounts as _accounts  # noqa: F401 - a group, so commands are named
from worker.cli import app as cli
from worker.cli import schedule as _schedule  # noqa: F401 - registers the command
from worker.runner.runtime import Runtime
from worker.services.app import App
from worker.services.contacts import ContactBook, NewContact
from worker.services.invitations import parse_when

from .conftest import worker_env
from .google_consent import Consent, consent  # noqa: F401 - the fixture

ADA = "ada@analytical.example"


@pytest.fixture
def run(app: App, tmp_path: Path, consent: Consent) -> CliRunner:  # noqa: F811
    config = read_client_secrets(consent.client_secrets)
    grant = sign_in(config, open_browser=False, paste=True, prompt=consent.paste, say=consent.say)
    connect(app, grant, endpoints=consent.endpoints)
    ContactBook(app).add(NewContact(name="Ada Lovelace", emails=[ADA]))
    env = worker_env(tmp_path, app.settings.database_url)
    # The CLI reads the real clock; the settings say the user lives in Berlin.
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text('[policy]\ntime_zone = "Europe/Berlin"\n')
    return CliRunner(env=env)


def test_when_is_read_in_the_users_zone_unless_it_says_otherwise() -> None:
    local = parse_when("2030-03-05 15:00", "Europe/Berlin")
    assert local.astimezone(UTC) == datetime(2030, 3, 5, 14, 0, tzinfo=UTC)
    assert parse_when("2030-03-05T15:00", "Europe/Berlin") == local
    offset = parse_when("2030-03-05T15:00:00+00:00", "Europe/Berlin")
    assert offset.astimezone(UTC).hour == 15
    with pytest.raises(ValueError, match="not a time"):
        parse_when("next tuesday", "UTC")


def test_schedule_invites_once_and_the_sync_records_nothing_more(
    app: App,
    run: CliRunner,
    consent: Consent,  # noqa: F811
) -> None:
    # Soon (the CLI runs on the real clock), so the calendar sync's window includes it.
    day = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=10)).date()
    args = ["schedule", "Ada", f"{day} 15:00", "--minutes", "45", "--place", "Café Central"]
    first = run.invoke(cli, [*args, "--json"])
    assert first.exit_code == 0, first.output
    made = json.loads(first.output)
    assert made["start"].startswith(f"{day}T15:00:00+0")
    assert made["time_zone"] == "Europe/Berlin"
    # Where the event is in the user's calendar; no call link for a café.
    assert made["calendar_link"].startswith("https://www.google.com/calendar/event?eid=")
    assert made["link"] == ""
    again = run.invoke(cli, args)  # a retry: same contact, same start
    assert again.exit_code == 0, again.output
    assert f"{day:%a %d %b %Y} 15:00 (Europe/Berlin)" in again.output
    assert f"in your calendar: {made['calendar_link']}" in again.output
    events = consent.sandbox.google.calendar_state()["events"]
    assert len(events) == 1
    assert [a["email"] for a in events[0]["attendees"]] == [ADA]
    assert events[0]["location"] == "Café Central"
    assert len(consent.sandbox.google.calendar_state()["invitations"]) == 1
    app.projector.catch_up()
    meetings = app.projector.rows(MeetingRow)
    assert len(meetings) == 1
    assert meetings[0].time_zone == "Europe/Berlin"
    # The calendar sync sees the event and agrees with what was recorded.
    row = next(iter(app.projector.rows(AccountRow)))
    with google_provider(app.settings, row) as provider:
        seen = provider.sync({}, {ADA}).events
    assert [e.provider_event_id for e in seen] == [made["provider_event_id"]]
    before = app.store.head()
    opened: list[GmailProvider] = []

    def provider_for(row: AccountRow) -> GmailProvider:
        opened.append(google_provider(app.settings, row))
        return opened[-1]

    runtime = Runtime(app, provider_for, renderer=None)  # type: ignore[arg-type]
    try:
        runtime.sync(row.account_id)
    finally:
        for provider in opened:
            provider.close()
    after = app.store.read_all(after_position=before)
    scheduled = [e.type for e in after if e.type.startswith("meeting.")]
    assert scheduled == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Nobody", "2030-03-05 15:00"], "no contact matches 'Nobody'"),
        (["Ada", "2020-03-05 15:00"], "WHEN: 2020-03-05 15:00 (Europe/Berlin) is in the past"),
        (["Ada", "soon"], "WHEN: 'soon' is not a time"),
        (["Ada", "2030-03-05 15:00", "--minutes", "0"], "--minutes: between 5 and 480"),
    ],
)
def test_refusals_are_one_line_with_nothing_created(
    app: App,
    run: CliRunner,
    consent: Consent,  # noqa: F811
    args: list[str],
    message: str,
) -> None:
    before = app.store.head()
    result = run.invoke(cli, ["schedule", *args])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert message in lines[0]
    assert consent.sandbox.google.calendar_state()["events"] == []
    assert app.store.head() == before


def test_without_a_connected_account_it_says_how_to_connect(
    app: App, tmp_path: Path, clock: ManualClock
) -> None:
    ContactBook(app).add(NewContact(name="Ada Lovelace", emails=[ADA]))
    result = CliRunner(env=worker_env(tmp_path, app.settings.database_url)).invoke(
        cli, ["schedule", "Ada", "2030-03-05 15:00"]
    )
    assert result.exit_code == 2
    assert "outreach connect google" in result.output

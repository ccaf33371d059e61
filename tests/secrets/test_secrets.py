"""Secrets and isolation: tokens never leave the token store in clear, secret files are
owner-only (and the long-running commands refuse to start otherwise), templates cannot
reach Python's internals or the file system or run without end, header injection is
refused, and a forgotten contact leaves no readable trace."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from integrations.google import mime
from integrations.protocol import OutgoingMessage
from tests.worker.world import World
from worker.accounts.token_store import TokenStore
from worker.cli import _register, app
from worker.domain.addresses import InvalidInput
from worker.services.contacts import NewContact
from worker.services.rendering import Renderer, TemplateProblem
from worker.services.settings import load_settings

_register()

ADA, ADA_EMAIL = "Ada Lovelace", "ada.lovelace@analytical.example"


@pytest.fixture
def world(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[World]:
    caplog.set_level(logging.DEBUG)  # every logger, every level: what a user could turn on
    w = World(tmp_path)
    try:
        yield w
    finally:
        w.close()


def _story(world: World) -> list[str]:
    """Outreach drafted and sent, a reply, an invitation, a sync; exception texts seen."""
    errors: list[str] = []
    world.outreach_sent(ADA, ADA_EMAIL)
    world.reply(ADA_EMAIL)
    world.invite(ADA_EMAIL, world.clock.now() + timedelta(days=3))
    world.later(hours=2)  # the access token expires: the next sync refreshes it
    world.sync()
    world.sandbox.google.revoke_grant()  # a refused refresh: its error text is checked too
    try:
        world.sync()
    except Exception as exc:
        errors.append(f"{exc!r} {exc}")
    errors += [str(e.get("error", "")) for e in world.events("account.sync_failed")]
    errors += [str(e.get("reason", "")) for e in world.events("account.needs_reconnect")]
    return errors


def _database_bytes(world: World) -> bytes:
    path = Path(str(world.app.engine.url.database))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_tokens_of_the_run_appear_nowhere(
    world: World, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    errors = _story(world)
    store = TokenStore(load_settings(world.env))
    token_file = store.save("sandbox-google", world.endpoints["google"]["refresh_token"])
    issuer = world.sandbox.google.tokens
    # Every token the emulator issued in this run: the refresh token and each access token.
    tokens = [*issuer._grants, *issuer._access]
    assert len(issuer._access) >= 2, "the story should have refreshed the access token"
    payloads = [json.dumps(e.payload) for e in world.app.store.read_all()]
    places = {
        "log lines": "\n".join(r.getMessage() for r in caplog.records) + caplog.text,
        "exception texts": "\n".join(errors),
        "event payloads": "\n".join(payloads),
        "database file and WAL": _database_bytes(world).decode("latin-1"),
        "token store file": token_file.read_bytes().decode("latin-1"),
    }
    assert caplog.records, "logging was captured"
    hits = [(t[:12], where) for t in tokens for where, text in places.items() if t in text]
    assert hits == []
    assert store.load("sandbox-google") == world.endpoints["google"]["refresh_token"]


def test_token_and_key_files_are_created_owner_only(tmp_path: Path) -> None:
    env = {"OUTREACH_CONFIG_DIR": str(tmp_path / "c"), "OUTREACH_DATA_DIR": str(tmp_path / "d")}
    settings = load_settings(env)  # no OUTREACH_SECRET_KEY: the key file is made
    key_file = tmp_path / "d" / "secret.key"
    token_file = TokenStore(settings).save("acc", "1//refresh")
    for path in (key_file, token_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("command", ["run", "worker"])
def test_long_running_commands_refuse_a_token_file_others_can_read(
    tmp_path: Path, command: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")} | {
        "OUTREACH_CONFIG_DIR": str(tmp_path / "c"),
        "OUTREACH_DATA_DIR": str(tmp_path / "d"),
        "OUTREACH_BROKER_URL": "redis://127.0.0.1:6379/15",
    }
    token_file = TokenStore(load_settings(env)).save("acc", "1//refresh")
    token_file.chmod(0o640)
    done = subprocess.run(
        [sys.executable, "-c", "from worker.cli import main; main()", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "readable by other users" in lines[0]
    assert f"chmod 600 {token_file}" in lines[0]


CONTEXT = {"contact": {"name": ADA, "first_name": "Ada"}, "user": {"name": "Sam"}}


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("{{ ''.__class__.__mro__ }}", "__class__"),
        ("{{ cycler.__init__.__globals__ }}", "__init__"),
        ("{{ [].__class__.__base__.__subclasses__() }}", "__class__"),
        ("{{ self._TemplateReference__context }}", "_TemplateReference__context"),
        ("{% include '/etc/passwd' %}", "'/etc/passwd', which is not a template here"),
        ("{% include '../../../../etc/passwd' %}", "not a template here"),
        ("{% for i in range(100000) %}x{% endfor %}", "above 10000"),
        (
            "{% for a in range(9000) %}{% for b in range(9000) %}{% endfor %}{% endfor %}",
            "items made by range()",
        ),
        ("{% set s = 'x' * 60 %}" + "{% for a in s %}" * 5 + "{% endfor %}" * 5, "took longer"),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "recursion too deep"),
        ("{{ 9 ** 9 ** 9 }}", "above 10000"),  # left-associative in Jinja: (9**9)**9
        ("{{ 2 ** 100000 }}", "exponent"),
        ("{{ 'x' * 1000000000 }}", "items made by range() or repetition"),
        ("{{ 'x' | center(1000000000) }}", "above 10000"),
        ("{{ '{:>1000000000}'.format('x') }}", "format width"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
    ],
)
def test_templates_cannot_escape_the_sandbox_or_run_away(
    tmp_path: Path, source: str, why: str
) -> None:
    (tmp_path / "outreach.txt.j2").write_text("Subject: hi\n\n" + source)
    with pytest.raises(TemplateProblem, match=r"outreach\.txt\.j2") as refused:
        Renderer(tmp_path).render("outreach", CONTEXT)
    assert why in str(refused.value)
    assert "\n" not in str(refused.value)


INJECTIONS = ["Ada\r\nBcc: victim@example.org", "Ada\nBcc: v@example.org", "Ada\rX: y", "A\x85B"]


@pytest.mark.parametrize("bad", INJECTIONS)
def test_header_injection_is_refused_at_add_import_and_build(
    world: World, tmp_path: Path, bad: str
) -> None:
    for contact in (
        NewContact(name=bad, emails=["grace@navy.example"]),
        NewContact(name="Grace", emails=[f"grace@navy.example{bad}"]),
        NewContact(name="Grace", emails=["grace@navy.example"], company=bad),
    ):
        with pytest.raises(InvalidInput, match=r"line break or control character|not a valid"):
            world.book.add(contact)
    csv = tmp_path / "c.csv"
    csv.write_text(f'Name,Email\n"{bad}",grace@navy.example\n', newline="")
    with pytest.raises(InvalidInput, match=r"c\.csv:2: name: contains a line break"):
        world.book.import_csv(csv)
    if "\n" in bad or "\r" in bad:
        for message in (
            OutgoingMessage(to=["g@navy.example"], subject=bad, body="b", message_id="<m@x>"),
            OutgoingMessage(to=[f"g@navy.example{bad}"], subject="s", body="b", message_id="<m@x>"),
        ):
            with pytest.raises(ValueError, match="must not contain line breaks"):
                mime.build(message, "sam@outreach.example")
    # A name that got in some other way still cannot break the rendered subject.
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "outreach.txt.j2").write_text("Subject: Hello {{ contact.name }}\n\nHi")
    # Refused either way: the injected line ends the subject line early ("must start with
    # a Subject: line and a blank line") or is a control character inside it.
    with pytest.raises(TemplateProblem, match=r"line break or control|a 'Subject:' line"):
        Renderer(tmp_path / "t").render("outreach", {"contact": {"name": bad}})
    assert world.book.all() == []


def test_forget_leaves_no_readable_trace(
    world: World, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    _story(world)
    ada = world.contact(ADA_EMAIL)
    runner = CliRunner(env=world.env | {"COLUMNS": "200"})
    history_before = runner.invoke(app, ["history", ada.contact_id, "--json"])
    assert ADA in history_before.output  # readable before, so the greps below mean something
    world.app.close()  # the CLI is the only one holding the database, as a user would run it
    forgot = runner.invoke(app, ["contacts", "forget", ADA_EMAIL, "--yes"])
    assert forgot.exit_code == 0, forgot.output
    outputs = {
        args: runner.invoke(app, list(args))
        for args in [
            ("contacts", "list", "--json"),
            ("history", ada.contact_id, "--json"),
            ("pipeline", "--json"),
            ("drafts", "--json"),
            ("status", "--json"),
            ("projections", "rebuild", "--json"),
        ]
    }
    places = {" ".join(args): r.output for args, r in outputs.items()}
    places["database file and WAL"] = _database_bytes(world).decode("latin-1")
    places["log lines"] = caplog.text
    secrets = (ADA, ADA_EMAIL, "Lovelace")
    hits = [(s, where) for s in secrets for where, text in places.items() if s in text]
    assert hits == []
    assert outputs[("contacts", "list", "--json")].exit_code == 0

"""`outreach drafts`, `met`, `notes` and `prep` as the user runs them, against a sandbox mailbox.

Most run in-process (typer's CliRunner, with the world's environment); one runs the
installed command in a subprocess against `outreach sandbox`, as a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from events.ids import derive_id
from events.projections.drafts import DraftRow
from events.types import AccountConnected
from tests.worker.test_cli import OUTREACH
from tests.worker.world import ACCOUNT, World, world_env
from worker.accounts.sandbox import SANDBOX_ENDPOINTS
from worker.cli import _register
from worker.cli import app as cli_app
from worker.services.contacts import ContactBook, NewContact
from worker.services.notes import referrals_in

ADA = "ada@analytical.example"
GRACE = "grace@navy.example"

_register()


class Cli:
    """Runs the CLI in-process with the world's environment and the sandbox's endpoints."""

    def __init__(self, world: World, tmp_path: Path) -> None:
        self.world = world
        endpoints = tmp_path / "sandbox.json"
        endpoints.write_text(json.dumps(world.endpoints) + "\n")
        self.env = {**world.env, SANDBOX_ENDPOINTS: str(endpoints), "COLUMNS": "200"}
        self.runner = CliRunner()

    def __call__(self, *args: str, **env: str) -> Result:
        return self.runner.invoke(cli_app, list(args), env={**self.env, **env})

    def ok(self, *args: str, **env: str) -> Result:
        result = self(*args, **env)
        assert result.exit_code == 0, (args, result.output, result.stderr)
        return result

    def refused(self, *args: str, **env: str) -> str:
        """The command fails with one line on stderr, exit 2, and writes nothing."""
        before = self.world.app.store.head()
        mail_before = self.world.mail()
        result = self(*args, **env)
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert lines[0].startswith("error: "), lines
        assert result.stdout == ""
        assert self.world.app.store.head() == before
        after = self.world.mail()
        assert (after["drafts"], after["sent"]) == (mail_before["drafts"], mail_before["sent"])
        return lines[0]


def _two_outreach_drafts(w: World) -> None:
    # Each says how the user knows them: a first message without it is flagged (and
    # approving it asks for --anyway, see test_drafts_etiquette).
    w.add("Ada Lovelace", ADA, company="Analytical Engines", how_we_know="met at PyCon")
    w.add("Grace Hopper", GRACE, how_we_know="the Navy alumni network")
    for action in w.due("draft_outreach"):
        assert w.runtime.perform(action.to_message()) == "done"


def _draft_to(w: World, address: str) -> DraftRow:
    [found] = [d for d in w.drafts() if d.to == address]
    return found


def _editor(tmp_path: Path, text: str, code: int = 0) -> str:
    """An $EDITOR that writes `text` into the file it is given, then exits with `code`."""
    script = tmp_path / f"editor-{derive_id(text, code)[:8]}.py"
    script.write_text(
        f"import sys\nopen(sys.argv[1], 'w', encoding='utf-8').write({text!r})\nsys.exit({code})\n"
    )
    return f"{sys.executable} {script}"


def test_list_and_show(world: World, cli: Cli) -> None:
    _two_outreach_drafts(world)
    listed = json.loads(cli.ok("drafts", "--json").stdout)
    assert sorted((d["kind"], d["to"], d["contact"]) for d in listed) == [
        ("outreach", ADA, "Ada Lovelace"),
        ("outreach", GRACE, "Grace Hopper"),
    ]
    assert json.loads(cli.ok("drafts", "list", "--json").stdout) == listed
    table = cli.ok("drafts").stdout
    assert listed[0]["draft_id"][:8] in table
    assert "Drafts waiting for review" in table

    [ada] = [d for d in listed if d["to"] == ADA]
    shown = json.loads(cli.ok("drafts", "show", ada["draft_id"][:8], "--json").stdout)
    assert (shown["status"], shown["to"], shown["edited"]) == ("pending", ADA, False)
    assert shown["current_subject"] == ada["subject"]
    assert shown["body"].startswith("Dear Ada,")
    text = cli.ok("drafts", "show", ada["draft_id"]).stdout
    assert "As it is in your mailbox now" in text
    assert f"Subject: {ada['subject']}\n\nDear Ada," in text


def test_edit_updates_the_draft_in_the_mailbox(world: World, cli: Cli, tmp_path: Path) -> None:
    _two_outreach_drafts(world)
    draft = _draft_to(world, ADA)
    editor = _editor(tmp_path, "Subject: A short question\n\nDear Ada,\n\nMay I ask?\n")
    out = cli.ok("drafts", "edit", draft.draft_id[:8], EDITOR=editor).stdout
    assert "updated" in out

    [mailed] = [d for d in world.mail()["drafts"] if d["headers"]["To"] == ADA]
    assert mailed["headers"]["Subject"] == "A short question"
    assert mailed["headers"]["Message-ID"] == draft.message_id  # approving still finds it
    assert "May I ask?" in mailed["text"]
    [updated] = world.events("draft.updated")
    assert updated["draft_id"] == draft.draft_id
    assert _draft_to(world, ADA).subject == "A short question"
    shown = json.loads(cli.ok("drafts", "show", draft.draft_id, "--json").stdout)
    assert shown["edited"] is True
    assert shown["current_subject"] == "A short question"
    assert shown["body"].split() == ["Dear", "Ada,", "May", "I", "ask?"]

    # An editor that leaves the text as it opened changes nothing.
    assert "unchanged" in cli.ok("drafts", "edit", draft.draft_id, EDITOR="true").stdout
    assert len(world.events("draft.updated")) == 1


def test_edit_refusals_change_nothing(world: World, cli: Cli, tmp_path: Path) -> None:
    _two_outreach_drafts(world)
    ref = _draft_to(world, ADA).draft_id[:8]
    good = "Subject: Fine\n\nA body.\n"
    assert "exited with 3" in cli.refused("drafts", "edit", ref, EDITOR=_editor(tmp_path, good, 3))
    injected = "Subject: Hi\nBcc: everyone@example.org\n\nA body.\n"
    assert "blank line" in cli.refused("drafts", "edit", ref, EDITOR=_editor(tmp_path, injected))
    control = "Subject: Hi\x0bthere\n\nA body.\n"
    assert "control" in cli.refused("drafts", "edit", ref, EDITOR=_editor(tmp_path, control))
    empty = "Subject: Hi\n\n   \n"
    assert "empty" in cli.refused("drafts", "edit", ref, EDITOR=_editor(tmp_path, empty))
    # No editor anywhere (an empty PATH hides sensible-editor, nano and vi): say how
    # to do without one.
    nothing = cli.refused("drafts", "edit", ref, EDITOR="", VISUAL="", PATH=str(tmp_path))
    assert "--text or --file" in nothing


def test_approve_sends_once(world: World, cli: Cli) -> None:
    _two_outreach_drafts(world)
    draft = _draft_to(world, ADA)
    assert "sent" in cli.ok("drafts", "approve", draft.draft_id[:8]).stdout
    assert "already sent" in cli.ok("drafts", "approve", draft.draft_id[:8]).stdout

    sent = [m for m in world.mail()["sent"] if m["messageId"] == draft.message_id]
    assert len(sent) == 1
    assert [d["headers"]["To"] for d in world.mail()["drafts"]] == [GRACE]
    [recorded] = world.events("outreach.sent")
    assert recorded["draft_id"] == draft.draft_id
    world.sync()  # the sync sees the sent message: it is ours, already recorded
    assert len(world.events("outreach.sent")) == 1
    assert world.contact(ADA).stage == "sent"
    assert [d["to"] for d in json.loads(cli.ok("drafts", "--json").stdout)] == [GRACE]


def test_approve_after_sending_from_the_mail_client_records_without_resending(
    world: World, cli: Cli
) -> None:
    _two_outreach_drafts(world)
    draft = _draft_to(world, ADA)
    world.sandbox.google.user_sends_draft(draft.provider_draft_id)  # not synced yet
    assert "already sent" in cli.ok("drafts", "approve", draft.draft_id).stdout
    assert len([m for m in world.mail()["sent"] if m["messageId"] == draft.message_id]) == 1
    assert len(world.events("outreach.sent")) == 1


def test_discard_deletes_the_draft(world: World, cli: Cli) -> None:
    _two_outreach_drafts(world)
    draft = _draft_to(world, ADA)
    assert "discarded" in cli.ok("drafts", "discard", draft.draft_id[:8]).stdout
    assert [d["headers"]["To"] for d in world.mail()["drafts"]] == [GRACE]
    [discarded] = world.events("draft.discarded")
    assert (discarded["draft_id"], discarded["reason"]) == (draft.draft_id, "user")
    assert "was dropped: you discarded it" in cli.refused("drafts", "discard", draft.draft_id)
    assert "was dropped: you discarded it" in cli.refused("drafts", "approve", draft.draft_id)
    world.later(hours=1)
    assert world.due("draft_outreach") == []  # nothing is prepared in its place


def test_draft_refusals(world: World, cli: Cli) -> None:
    _two_outreach_drafts(world)
    ref = _draft_to(world, ADA).draft_id[:8]
    assert "no draft matches" in cli.refused("drafts", "show", "zzzzzzzz")
    assert "no draft matches" in cli.refused("drafts", "approve", "abc")
    assert SANDBOX_ENDPOINTS in cli.refused("drafts", "approve", ref, **{SANDBOX_ENDPOINTS: ""})
    missing = cli.refused("drafts", "discard", ref, **{SANDBOX_ENDPOINTS: "/nonexistent/x"})
    assert "No such file" in missing
    # A real account's mailbox needs its tokens, which `outreach connect` stores: without
    # them the command says what to run.
    world.app.journal.record(
        AccountConnected(account_id=ACCOUNT, provider="google", email=world.email, time_zone="UTC"),
        event_id=derive_id("test", "reconnected as google"),
    )
    refused = cli.refused("drafts", "approve", ref)
    assert "no token stored" in refused
    assert "run `outreach connect google" in refused


def _met_ada(w: World) -> None:
    w.outreach_sent("Ada Lovelace", ADA, company="Analytical Engines", role="Head of Research")
    w.later(days=1)
    w.reply(ADA, "Happy to talk! Thursday works.")
    w.invite(ADA, w.clock.now().replace(hour=15) + timedelta(days=2))


def test_met_and_no_show(world: World, cli: Cli) -> None:
    _met_ada(world)
    assert "met" in cli.ok("met", "Ada Lovelace").stdout
    assert "already met" in cli.ok("met", ADA).stdout
    assert len(world.events("meeting.met")) == 1
    assert world.contact(ADA).stage == "met"
    # The worker's own "met" after the meeting finds it recorded.
    world.later(days=3)
    assert world.due("mark_met") == []

    world.perform("draft_thank_you")
    out = cli.ok("met", ADA, "--no-show").stdout
    assert "no-show" in out
    assert "outreach drafts discard" in out  # the waiting thank-you is pointed out
    assert world.contact(ADA).stage == "no_show"
    assert "already no-show" in cli.ok("met", ADA, "--no-show").stdout
    assert len(world.events("meeting.no_show")) == 1


def test_notes_from_text_and_editor(world: World, cli: Cli, tmp_path: Path) -> None:
    _met_ada(world)
    out = cli.ok(
        "notes", "Ada", "--text", "Great talk. Talk to Alan Turing <alan@bletchley.example>."
    )
    assert (
        "referral added: Alan Turing <alan@bletchley.example> (introduced by Ada Lovelace)"
        in out.stdout
    )
    alan = world.contact("alan@bletchley.example")
    assert alan.referred_by == world.contact(ADA).contact_id

    editor = _editor(
        tmp_path, "# a comment line\nAsk about the engines. Joan Clarke <joan@example.org>\n"
    )
    printed = cli.ok("notes", ADA, EDITOR=editor).stdout
    assert "referral added: Joan Clarke" in printed
    texts = [e["text"] for e in world.events("notes.recorded")]
    assert texts[1] == "Ask about the engines. Joan Clarke <joan@example.org>"


def test_met_and_notes_refusals(world: World, cli: Cli, tmp_path: Path) -> None:
    world.add("Linus Torvalds", "linus@kernel.example")
    assert "no meeting" in cli.refused("met", "Linus")
    assert "no contact matches" in cli.refused("met", "nobody@example.org")
    assert "empty" in cli.refused("notes", "Linus", "--text", "  ")
    assert "exited with 1" in cli.refused("notes", "Linus", EDITOR=_editor(tmp_path, "x", 1))
    # A mistyped address is said, not taken, and not a reason to lose the notes.
    out = cli.ok("notes", "Linus", "--text", "Talk to Alan <alan@@x>").stdout
    assert "could not read: line 1: 'alan@@x' is not a valid e-mail address" in out
    assert "referral added" not in out


def test_prep_briefing(world: World, cli: Cli) -> None:
    world.add("Ada Lovelace", ADA, how_we_know="the alumni network")
    world.perform("draft_outreach")
    world.user_sends(world.drafts()[0])
    ada = world.contact(ADA).contact_id
    world.book.add(
        NewContact(name="Grace Hopper", emails=[GRACE], company="US Navy", referred_by=ADA)
    )
    world.perform("draft_outreach")
    world.user_sends(world.drafts()[0])
    world.later(days=1)
    world.reply(GRACE, "Any friend of Ada's. Tuesday?")
    world.invite(GRACE, world.clock.now().replace(hour=16) + timedelta(days=6))

    b: dict[str, Any] = json.loads(cli.ok("prep", GRACE, "--json").stdout)
    assert (b["name"], b["company"], b["referred_by"]) == (
        "Grace Hopper",
        "US Navy",
        "Ada Lovelace",
    )
    assert b["meeting"]["when"] == "Monday 09 March 2026, 16:00 Europe/London (GMT)"
    assert b["meeting"]["minutes"] == 30
    assert [m["from"] for m in b["thread"]] == ["you", "them"]
    assert b["thread"][1]["excerpt"].startswith("Any friend of Ada's")
    assert any("introduce me" in q for q in b["questions"])
    assert any("US Navy" in q for q in b["questions"])
    assert not any("job" in q.lower() or "hiring" in q.lower() for q in b["questions"])
    assert ada != b["contact_id"]

    text = cli.ok("prep", "Grace").stdout
    assert "introduced by Ada Lovelace" in text
    assert "16:00 Europe/London (GMT)" in text
    assert "Any friend of Ada's" in text
    assert "do not ask for a job" in text


def test_approve_in_a_subprocess_against_outreach_sandbox(tmp_path: Path) -> None:
    """The installed command, with the endpoints `outreach sandbox` printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    sandbox = subprocess.Popen([*OUTREACH, "sandbox"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert sandbox.stdout is not None
        line = sandbox.stdout.readline()
        endpoints = json.loads(line)
        (tmp_path / "sandbox.json").write_text(line)
        run_env = {**env, **world_env(tmp_path), SANDBOX_ENDPOINTS: str(tmp_path / "sandbox.json")}

        from events.clock import SystemClock
        from integrations.google.provider import GmailProvider
        from worker.runner.runtime import Runtime
        from worker.services.app import open_app
        from worker.services.rendering import Renderer
        from worker.services.settings import load_settings
        from worker.services.tick import tick

        app = open_app(load_settings(run_env), SystemClock())
        provider = GmailProvider.from_sandbox(endpoints, account_id=ACCOUNT)
        try:
            app.journal.record(
                AccountConnected(
                    account_id=ACCOUNT,
                    provider="sandbox",
                    email=endpoints["google"]["email"],
                    time_zone="Europe/London",
                )
            )
            ContactBook(app).add(
                NewContact(name="Ada Lovelace", emails=[ADA], how_we_know="met at PyCon"),
                reach_out=True,
            )
            runtime = Runtime(app, lambda _a: provider, Renderer(tmp_path / "none"))
            actions: list[Any] = []
            tick(app, actions.append)
            assert [runtime.perform(a.to_message()) for a in actions] == ["done"]
        finally:
            provider.close()
            app.close()

        def outreach(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*OUTREACH, *args], env=run_env, capture_output=True, text=True, timeout=60,
                check=False,
            )  # fmt: skip

        [draft] = json.loads(outreach("drafts", "--json").stdout)
        first = outreach("drafts", "approve", draft["draft_id"][:8])
        assert first.returncode == 0, first.stderr
        again = outreach("drafts", "approve", draft["draft_id"][:8])
        assert "already sent" in again.stdout
        with urllib.request.urlopen(endpoints["control"] + "/google/state") as answer:  # noqa: S310
            state = json.loads(answer.read())["mail"]
        assert [m["headers"]["To"] for m in state["sent"]] == [ADA]
        assert state["drafts"] == []
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
        if sandbox.stdout is not None:
            sandbox.stdout.close()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Ask about the engines. Joan Clarke <joan@example.org>", "Joan Clarke"),
        ("Loved it. Talk to Alan Turing <joan@example.org>", "Alan Turing"),
        ("Great talk! Write to Alan M. Turing <joan@example.org>", "Alan M. Turing"),
    ],
)
def test_a_referral_is_named_after_the_sentence_before_it(text: str, name: str) -> None:
    assert referrals_in(text) == [(name, "joan@example.org")]


def _json_error(result: Result) -> dict[str, Any]:
    """A failure under --json: nothing on stdout, one JSON object on stderr, exit 2."""
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    error: dict[str, Any] = json.loads(result.stderr)
    assert error["exit_code"] == 2
    return error


def test_acting_commands_answer_in_json(world: World, cli: Cli, tmp_path: Path) -> None:
    _two_outreach_drafts(world)
    ada, grace = _draft_to(world, ADA), _draft_to(world, GRACE)
    new_body = "Dear Ada,\n\nA shorter note: may I ask you about your path for 20 minutes?\n"
    edited = json.loads(
        cli.ok("drafts", "edit", ada.draft_id[:8], "--text", new_body, "--json").stdout
    )
    assert edited == {"draft_id": ada.draft_id, "kind": "outreach", "to": ADA, "outcome": "updated"}
    unchanged = cli.ok("drafts", "edit", ada.draft_id, "--json", EDITOR="true").stdout
    assert json.loads(unchanged)["outcome"] == "unchanged"
    sent = json.loads(cli.ok("drafts", "approve", ada.draft_id[:8], "--anyway", "--json").stdout)
    assert (sent["draft_id"], sent["outcome"]) == (ada.draft_id, "sent")
    again = json.loads(cli.ok("drafts", "approve", ada.draft_id[:8], "--json").stdout)
    assert again["outcome"] == "already sent"
    dropped = json.loads(cli.ok("drafts", "discard", grace.draft_id[:8], "--json").stdout)
    assert (dropped["to"], dropped["outcome"]) == (GRACE, "discarded")
    assert [m["headers"]["To"] for m in world.mail()["sent"]] == [ADA]

    # Failures: JSON on stderr, the same exit code as without --json, nothing done.
    assert (
        "was dropped: you discarded it"
        in _json_error(cli("drafts", "approve", grace.draft_id, "--json"))["error"]
    )
    assert (
        "no draft matches" in _json_error(cli("drafts", "discard", "zzzzzzzz", "--json"))["error"]
    )
    both = _json_error(cli("drafts", "edit", ada.draft_id, "--text", "x", "--file", "y", "--json"))
    assert both["error"] == "drafts edit: give --text or --file, not both"
    missing = _json_error(
        cli("drafts", "edit", ada.draft_id, "--file", str(tmp_path / "no"), "--json")
    )
    assert missing["error"].startswith("drafts edit: cannot read")
    shown = _json_error(cli("drafts", "show", "zzzzzzzz", "--json"))
    assert shown["kind"] == "user_error"
    assert cli("drafts", "show", "zzzzzzzz").stderr.startswith("error: no draft matches")

"""`outreach drafts edit` on the mailbox's text and `outreach notes` as the user runs them:
in-process CLI against the sandbox, the editor driven by a script as $EDITOR."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.worker.test_cli_drafts import ADA, Cli, _draft_to, _two_outreach_drafts
from tests.worker.world import World


def _appending_editor(tmp_path: Path, line: str) -> str:
    """An $EDITOR that checks the header comment, then adds `line` at the end of the body."""
    script = tmp_path / f"append-{abs(hash(line))}.py"
    script.write_text(
        "import sys\n"
        "path = sys.argv[1]\n"
        "text = open(path, encoding='utf-8').read()\n"
        "if not text.startswith('# Edit this draft to'):\n"
        "    sys.exit(3)\n"
        f"open(path, 'w', encoding='utf-8').write(text.rstrip('\\n') + '\\n' + {line!r} + '\\n')\n"
    )
    return f"{sys.executable} {script}"


def _mailed_text(world: World, address: str) -> str:
    [mailed] = [d for d in world.mail()["drafts"] if d["headers"]["To"] == address]
    return str(mailed["text"])


def test_edit_twice_keeps_the_first_edit(world: World, cli: Cli, tmp_path: Path) -> None:
    _two_outreach_drafts(world)
    ref = _draft_to(world, ADA).draft_id[:8]
    cli.ok("drafts", "edit", ref, EDITOR=_appending_editor(tmp_path, "P.S. First thought."))
    cli.ok("drafts", "edit", ref, EDITOR=_appending_editor(tmp_path, "P.S. Second thought."))
    text = _mailed_text(world, ADA)
    assert "P.S. First thought." in text
    assert "P.S. Second thought." in text
    assert "# Edit this draft" not in text  # the header never reaches the mailbox
    assert [e["by"] for e in world.events("draft.updated")] == ["user", "user"]


def test_edit_opens_what_the_user_changed_in_their_mail_client(
    world: World, cli: Cli, tmp_path: Path
) -> None:
    _two_outreach_drafts(world)
    draft = _draft_to(world, ADA)
    world.sandbox.google.user_edits_draft(draft.provider_draft_id, "Dear Ada,\nMy own words.")
    shown = json.loads(cli.ok("drafts", "show", draft.draft_id[:8], "--json").stdout)
    assert shown["edited"] is True
    assert "My own words." in shown["body"]
    cli.ok("drafts", "edit", draft.draft_id[:8], EDITOR=_appending_editor(tmp_path, "Sam"))
    text = _mailed_text(world, ADA)
    assert "My own words." in text
    assert text.rstrip().endswith("Sam")


def test_text_and_file_replace_the_body_without_an_editor(
    world: World, cli: Cli, tmp_path: Path
) -> None:
    _two_outreach_drafts(world)
    draft = _draft_to(world, ADA)
    cli.ok("drafts", "edit", draft.draft_id[:8], "--text", "Dear Ada,\n\nShort and sweet.")
    assert "Short and sweet." in _mailed_text(world, ADA)
    [mailed] = [d for d in world.mail()["drafts"] if d["headers"]["To"] == ADA]
    assert mailed["headers"]["Subject"] == draft.subject  # the subject stays
    body = tmp_path / "body.txt"
    body.write_text("Dear Ada,\n\nFrom a file.\n", encoding="utf-8")
    cli.ok("drafts", "edit", draft.draft_id[:8], "--file", str(body))
    assert "From a file." in _mailed_text(world, ADA)
    both = cli.refused("drafts", "edit", draft.draft_id[:8], "--text", "x", "--file", str(body))
    assert "not both" in both
    # Without an editor anywhere, the error names the way around it.
    none = cli.refused("drafts", "edit", draft.draft_id, EDITOR="", VISUAL="", PATH=str(tmp_path))
    assert "--text or --file" in none


def _form_editor(tmp_path: Path, answers: dict[str, str], free: str) -> str:
    """An $EDITOR filling in the notes form's labelled lines and adding free text."""
    script = tmp_path / "notes-editor.py"
    script.write_text(
        "import sys\n"
        "path = sys.argv[1]\n"
        "lines = open(path, encoding='utf-8').read().split('\\n')\n"
        f"answers = {answers!r}\n"
        "out = [l + ' ' + answers[l] if l in answers else l for l in lines]\n"
        f"open(path, 'w', encoding='utf-8').write('\\n'.join(out) + {free!r})\n"
    )
    return f"{sys.executable} {script}"


def test_notes_in_the_editor_form(world: World, cli: Cli, tmp_path: Path) -> None:
    world.add("Ada Lovelace", ADA)
    editor = _form_editor(
        tmp_path,
        {"Takeaway:": "Your point about users stayed with me.", "Keep in touch:": "yes"},
        "Talk to Lena Fischer <lena@example.org>.\n",
    )
    out = cli.ok("notes", "ada", EDITOR=editor).stdout
    assert "notes on Ada Lovelace recorded" in out
    assert "referral added: Lena Fischer" in out
    [notes] = world.events("notes.recorded")
    assert notes["takeaway"] == "Your point about users stayed with me."
    assert notes["keep_in_touch"] is True
    assert "Lena Fischer <lena@example.org>" in notes["text"]
    assert "#" not in notes["text"]


def test_notes_options_and_refusals(world: World, cli: Cli) -> None:
    world.add("Ada Lovelace", ADA)
    cli.ok("notes", "ada", "--takeaway", "Start small", "--keep-in-touch", "no")
    [notes] = world.events("notes.recorded")
    assert (notes["takeaway"], notes["keep_in_touch"]) == ("Start small.", False)
    out = cli.ok("notes", "ada", "--outcome", "read Inspired").stdout
    assert "outcome recorded" in out
    assert [o["text"] for o in world.events("outcome.recorded")] == ["read Inspired"]
    assert len(world.events("notes.recorded")) == 1  # an outcome alone is not new notes
    assert "yes or no" in cli.refused("notes", "ada", "--keep-in-touch", "maybe")
    assert "between 1 and 104" in cli.refused("notes", "ada", "--every", "0")
    # Closing the editor without saving records nothing.
    assert "nothing written" in cli.refused("notes", "ada", EDITOR="true")

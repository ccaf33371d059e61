"""A "no" by email, recorded with `outreach close --declined`: one gracious reply waits for
review in their thread, and nothing else is ever prepared for them (no times, no nudge,
no keep-in-touch), whatever the worker does in the weeks after."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.worker.test_cli_drafts import Cli
from tests.worker.world import World
from worker.domain.etiquette import check
from worker.services.contacts import NewContact

ADA = "ada@analytical.example"
NO = "Thank you for thinking of me, but I have to pass: this term is far too busy."


def _settle(world: World, contact_id: str = "") -> list[str]:
    """Do what is due; the kinds done (for `contact_id` only, when given)."""
    done: list[str] = []
    for action in world.due():
        assert world.runtime.perform(action.to_message()) == "done", action
        if action.contact_id == contact_id or not contact_id:
            done.append(action.kind)
    return done


def _sent_to(world: World, address: str) -> int:
    return sum(m["headers"]["To"] == address for m in world.mail()["sent"])


def test_a_no_gets_one_thank_you_for_review_and_nothing_after(world: World, tmp_path: Path) -> None:
    cli = Cli(world, tmp_path)
    ada = world.outreach_sent("Ada Lovelace", ADA, how_we_know="met at PyCon")
    # She pointed the user to someone else although she could not talk herself.
    world.book.add(
        NewContact(name="Mary Somerville", emails=["mary@example.org"], referred_by=ada.contact_id)
    )
    world.reply(ADA, NO)
    out = cli.ok("close", ADA, "--declined").stdout
    assert "will wait for your review" in out
    assert "nothing else will be sent" in out

    assert "draft_decline_thanks" in _settle(world)
    [draft] = [d for d in world.drafts() if d.to == ADA]
    assert (draft.kind, draft.findings) == ("decline_thanks", [])
    shown = json.loads(cli.ok("drafts", "show", draft.draft_id[:8], "--json").stdout)
    body = shown["body"]
    assert body.startswith("Dear Ada,\n\nThank you for taking the time to reply")
    assert "suggesting I speak with Mary Somerville" in body
    assert "?" not in body
    assert "Sam Rivera" in body
    # In her thread, as a reply: not a new conversation.
    assert shown["current_subject"].startswith("Re: ")
    [in_mailbox] = [m for m in world.mail()["drafts"] if m["headers"]["To"] == ADA]
    assert in_mailbox["headers"]["In-Reply-To"] == world.contact(ADA).last_message_id
    assert "thank-you for their answer waits for review" in cli.ok("pipeline").stdout

    cli.ok("drafts", "approve", draft.draft_id[:8])
    assert world.events("decline_thanks.sent")
    sent_before = _sent_to(world, ADA)
    for _ in range(10):  # ten weeks: past every nudge and keep-in-touch cadence
        world.later(days=7)
        assert _settle(world, ada.contact_id) == []
    assert [d for d in world.drafts() if d.to == ADA] == []
    assert _sent_to(world, ADA) == sent_before
    # Reopened and closed again: thanks for a "no" is said once.
    cli.ok("reopen", ADA)
    cli.ok("close", ADA, "--declined")
    assert "draft_decline_thanks" not in _settle(world)


def test_a_contact_never_written_to_gets_no_reply(world: World, tmp_path: Path) -> None:
    cli = Cli(world, tmp_path)
    world.book.add(NewContact(name="Grace Hopper", emails=["grace@navy.example"]))
    out = cli.ok("close", "grace@navy.example", "--declined").stdout
    assert "review" not in out
    assert "draft_decline_thanks" not in [a.kind for a in world.due()]


@pytest.mark.parametrize(
    "line",
    [
        "If you change your mind, I would still love 15 minutes.",
        "Would you know anyone else I could talk to?",
        "Let me know if things calm down later in the year.",
    ],
)
def test_a_thanks_for_a_no_that_asks_again_is_flagged(line: str) -> None:
    body = f"Dear Ada,\n\nThank you for letting me know. {line}\n\nBest,\nSam"
    assert check("decline_thanks", "Re: Hello", body) == [
        "asks for something: after a no, thank them and ask nothing"
    ]
    assert check("decline_thanks", "Re: Hello", "Dear Ada,\n\nAll the best.\n") == [
        "does not thank them"
    ]

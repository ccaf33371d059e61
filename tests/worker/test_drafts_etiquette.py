"""The etiquette check at review: a flagged draft shows its findings in `drafts` and
`drafts show`, and `approve` asks for --anyway; a draft still holding a template marker
is never sent, --anyway or not."""

from __future__ import annotations

import json
from pathlib import Path

from tests.worker.test_cli_drafts import ADA, GRACE, Cli, _draft_to, _editor
from tests.worker.world import World

NO_HOW = "does not say how you know of them"


def test_a_flagged_first_contact_needs_anyway(world: World, cli: Cli) -> None:
    world.add("Ada Lovelace", ADA, company="Analytical Engines")  # nothing on how we know
    world.add("Grace Hopper", GRACE, how_we_know="met at PyCon")
    for action in world.due("draft_outreach"):
        assert world.runtime.perform(action.to_message()) == "done"
    ada, grace = _draft_to(world, ADA), _draft_to(world, GRACE)
    assert (ada.findings, grace.findings) == ([NO_HOW], [])

    listed = {d["to"]: d for d in json.loads(cli.ok("drafts", "--json").stdout)}
    assert (listed[ADA]["findings"], listed[GRACE]["findings"]) == ([NO_HOW], [])
    table = cli.ok("drafts").stdout
    assert "1 finding" in table
    assert "needs a look" in table
    shown = cli.ok("drafts", "show", ada.draft_id[:8]).stdout
    assert f"check:         {NO_HOW}" in shown

    refused = cli.refused("drafts", "approve", ada.draft_id[:8])
    assert refused == (
        f"error: draft {ada.draft_id[:8]} {NO_HOW}: edit it (`outreach drafts edit "
        f"{ada.draft_id[:8]}`) or send it as it is with `outreach drafts approve "
        f"{ada.draft_id[:8]} --anyway`"
    )
    assert "sent" in cli.ok("drafts", "approve", grace.draft_id[:8]).stdout
    assert "sent" in cli.ok("drafts", "approve", ada.draft_id[:8], "--anyway").stdout
    assert world.contact(ADA).stage == "sent"


def test_an_edit_fixing_the_finding_clears_it(
    world: World,
    cli: Cli,
    tmp_path: Path,
) -> None:
    world.add("Ada Lovelace", ADA)
    world.perform("draft_outreach")
    ada = _draft_to(world, ADA)
    fixed = (
        "Subject: Grace Hopper suggested I get in touch\n\nDear Ada,\n\nGrace Hopper suggested "
        "I reach out to you. I am Sam Rivera, a teacher moving into research.\n\nWould you "
        "have 15 to 30 minutes to tell me about your path?\n\nSam Rivera\n"
    )
    cli.ok("drafts", "edit", ada.draft_id[:8], EDITOR=_editor(tmp_path, fixed))
    assert _draft_to(world, ADA).findings == []
    assert "sent" in cli.ok("drafts", "approve", ada.draft_id[:8]).stdout


def test_a_template_marker_is_never_sent(world: World, cli: Cli, tmp_path: Path) -> None:
    world.add("Ada Lovelace", ADA, how_we_know="met at PyCon")
    world.perform("draft_outreach")
    ada = _draft_to(world, ADA)
    stub = (
        "Subject: Hello\n\nDear Ada,\n\nI am Sam Rivera. We met at PyCon. [Add a line about "
        "your project.] Would you have 15 to 30 minutes to tell me about your path?\n"
    )
    cli.ok("drafts", "edit", ada.draft_id[:8], EDITOR=_editor(tmp_path, stub))
    for anyway in ((), ("--anyway",)):
        refused = cli.refused("drafts", "approve", ada.draft_id[:8], *anyway)
        assert refused == (
            f'error: draft {ada.draft_id[:8]} still holds a bracketed reminder: "[Add a line '
            f'about your project.]": fill it in or take it out (`outreach drafts edit '
            f"{ada.draft_id[:8]}`)"
        )

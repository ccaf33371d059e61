"""`pipeline` pages and filters in SQL (issue 17): the pages put together are the whole
list in the same order, filters keep their meaning, and a contact is found by address,
id prefix or name without reading every row."""

# The fixtures imported below are parameters of the tests, hence "redefined".

from __future__ import annotations

import json
from typing import Any

from tests.worker.test_cli_drafts import Cli
from tests.worker.world import World


def _json(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args, "--json").stdout)


def test_pages_put_together_are_the_whole_pipeline(world: World, cli: Cli) -> None:
    # Added together (one import moment shared), so the order falls to the names.
    for name in ("Émile Zola", "ada Byron", "Zoë Adams", "Bob Marley", "Carl Sagan"):
        cli.ok("contacts", "add", name, "-e", f"{name.split()[1].lower()}_x@example.org")
    cli.ok("close", "Bob", "--not-now")
    everyone = [r["name"] for r in _json(cli, "pipeline")]
    assert len(everyone) == 5
    pages = [
        [r["name"] for r in _json(cli, "pipeline", "--limit", "2", "--offset", str(at))]
        for at in (0, 2, 4, 6)
    ]
    assert pages[0] + pages[1] + pages[2] == everyone
    assert (len(pages[0]), len(pages[2]), pages[3]) == (2, 1, [])
    assert [r["name"] for r in _json(cli, "pipeline", "--closed")] == ["Bob Marley"]
    assert "Bob Marley" not in [r["name"] for r in _json(cli, "pipeline", "--active")]
    assert [r["name"] for r in _json(cli, "pipeline", "--active", "--limit", "1")] == [
        next(n for n in everyone if n != "Bob Marley")
    ]
    assert _json(cli, "pipeline", "--stage", "replied") == []
    # The underscore in the address is a character, not a LIKE wildcard.
    assert _json(cli, "contacts", "show", "SAGAN_X@example.org")["name"] == "Carl Sagan"
    assert "no contact matches" in cli.refused("contacts", "show", "saganx@example.org")
    assert _json(cli, "contacts", "show", "emile")["name"] == "Émile Zola"

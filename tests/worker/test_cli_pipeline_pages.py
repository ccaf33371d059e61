"""`pipeline` pages and filters in SQL (issue 17): the pages put together are the whole
list in the same order, filters keep their meaning, and a contact is found by address,
id prefix or name without reading every row."""

# The fixtures imported below are parameters of the tests, hence "redefined".

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.worker.test_cli_drafts import Cli
from tests.worker.world import World
from worker.services.contacts import ContactBook, NewContact


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


def test_pages_end_inside_a_moment_of_adding_or_between_two(world: World) -> None:
    """Those added at one moment (an import) are ordered by name, which SQL cannot do as
    Python lower-cases: a page ending among them reads all of that moment."""
    book = ContactBook(world.app)
    start = world.clock.now()
    moments = [0, 0, 0, 1, 1, 2, 3, 3, 3, 3]
    names = ["yann T", "Ana L", "émile Z", "Kim G", "al B", "Zoë A", "bo C", "Ög D", "Ed E", "x F"]
    for n, (hours, name) in enumerate(zip(moments, names, strict=True)):
        world.clock.set(start + timedelta(hours=hours))
        book.add(NewContact(name=name, emails=[f"p{n}@example.org"]))
    everyone = [c.contact_id for c in book.all()]
    assert [c.contact_id for c in book.page()] == everyone
    for size in (1, 2, 3, 4, 7):
        pages = [book.page(limit=size, offset=at) for at in range(0, len(names) + size, size)]
        assert [c.contact_id for page in pages for c in page] == everyone, f"pages of {size}"

"""Hostile templates: the user's overrides in <config dir>/templates/ of any content.

A render gives a subject without line breaks and a body, or refuses with TemplateProblem
naming the template; never another exception (an actor would crash on it instead of
recording a failed action), and never longer than the renderer's time limit.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from hypothesis import given

from tests.hostile.cases import fuzz, tried
from tests.hostile.strategies import templates
from worker.services.rendering import KINDS, MAX_SECONDS, Renderer, TemplateProblem


def _person(name: str) -> dict[str, Any]:
    first = name.split()[0]
    return {"name": name, "first_name": first, "company": "Analytical", "role": "Engineer"}


# The keys worker.services.effects gives every template.
CONTEXT: dict[str, Any] = {
    "user": {
        "name": "Sam Rivera",
        "headline": "Exploring",
        "introduction": "I am Sam Rivera. Exploring.",
        "signature": "",
        "signed": "Sam Rivera",
        "email": "s@x.org",
    },
    "outreach": {
        "subject": "A question about your path",
        "reason": "other",
        "how_we_know": "We met at PyCon.",
        "about_their_path": "about your path",
    },
    "contact": _person("Ada Lovelace") | {"how_we_know": "", "email": "ada@x.org"},
    "referrer": None,
    "about": None,
    "meeting": None,
    "referrals": [],
    "takeaway": "",
    "how_it_went": "",
    "outcome": "",
    "met_through_them": [],
    "thread_subject": "A short conversation",
    "nudge_number": 1,
}


@fuzz(max_examples=150)
@given(source=templates())
def test_any_template_renders_or_is_refused_in_time(source: str, tmp_path: Path) -> None:
    tried("template")
    (tmp_path / "outreach.txt.j2").write_text(source, encoding="utf-8", errors="surrogatepass")
    started = time.monotonic()
    problem: TemplateProblem | None = None
    try:
        rendered = Renderer(tmp_path).render("outreach", CONTEXT)
    except TemplateProblem as refused:
        problem = refused
    if problem is not None:
        # One line naming the file (with its path when the error has a line number).
        assert str(problem).startswith("template "), problem
        assert "outreach.txt.j2" in str(problem), problem
    else:
        assert "\r" not in rendered.subject
        assert "\n" not in rendered.subject
    assert time.monotonic() - started < MAX_SECONDS + 3


def test_packaged_templates_still_render() -> None:
    """The limits leave the real templates alone."""
    meeting = {"when": "Thursday 5 March at 15:00 UTC", "day": "Thursday 5 March"}
    context = CONTEXT | {
        "meeting": meeting
        | {"length": "30 minutes", "minutes": 30, "place": "", "link": "", "where": ""},
        "about": _person("Grace Hopper"),
        "referrer": _person("Grace Hopper"),
        "times": {
            "offered": ["Thursday 5 March at 15:00 UTC"],
            "minutes": 30,
            "place": "",
            "note": "",
        },
        "suggested": ["Alan Turing"],
    }
    for kind in KINDS:
        tried("template")
        rendered = Renderer(None).render(kind, context)
        assert rendered.subject
        assert rendered.body.strip()

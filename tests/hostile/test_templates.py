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
    "user": {"name": "Sam Rivera", "headline": "Exploring", "signature": "", "email": "s@x.org"},
    "contact": _person("Ada Lovelace") | {"how_we_know": "", "email": "ada@x.org"},
    "referrer": None,
    "about": None,
    "meeting": None,
    "referrals": [],
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
    meeting = {"date": "Thursday 05 March 2026", "time": "15:00", "time_zone": "UTC, UTC"}
    context = CONTEXT | {
        "meeting": meeting | {"contact_time": "", "minutes": 30, "place": "Video call"},
        "about": _person("Grace Hopper"),
        "referrer": _person("Grace Hopper"),
    }
    for kind in KINDS:
        tried("template")
        rendered = Renderer(None).render(kind, context)
        assert rendered.subject
        assert rendered.body.strip()

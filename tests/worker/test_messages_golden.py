"""Golden messages: what the reader receives, for every template and every way a contact
came in (LinkedIn, a CSV, by hand, a referral, a referral from notes; with and without
company, role and "how we know"), and confirmations in US, European and Indian zones
with a place, a link, or neither.

Each text is compared with tests/golden/<case>.txt, read and approved by a person as
something they would send unchanged. Every one also passes the etiquette check and
holds no template marker. Run with OUTREACH_WRITE_GOLDEN=1 to rewrite the files after a
deliberate wording change (then read every changed file before committing).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from worker.domain import meeting_time
from worker.domain.etiquette import CheckedKind, check
from worker.domain.markers import find_markers
from worker.domain.settings import Policy, Profile
from worker.services import message_context
from worker.services.rendering import KINDS, Renderer, TemplateProblem

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
PROFILE = Profile(
    name="Sam Rivera",
    headline="I taught high-school physics for eight years and am moving into UX research",
    signature="Sam Rivera\nsam.rivera@example.org",
)
MAYA = ContactRow(contact_id="maya", name="Maya Patel", emails=["maya@example.com"])


def _contact(source: str, **fields: Any) -> ContactRow:
    return ContactRow(
        contact_id=f"c-{source}",
        name="Ana Lima",
        emails=["ana@example.com"],
        source=source,
        **fields,
    )


# Every way a contact reaches the first message, with and without the optional facts.
SOURCES: dict[str, tuple[ContactRow, ContactRow | None]] = {
    "linkedin": (
        _contact(
            "linkedin",
            company="Fabrikam, Inc.",
            role="Senior UX Researcher",
            how_we_know="LinkedIn connection since 28 Nov 2022",
        ),
        None,
    ),
    "linkedin-bare": (_contact("linkedin", how_we_know="LinkedIn connection"), None),
    "csv-alumni": (
        _contact("csv", company="Contoso", how_we_know="the Northfield University alumni network"),
        None,
    ),
    "csv-no-how": (_contact("csv", company="Contoso", role="Design Lead"), None),
    "manual-met": (
        _contact("manual", role="Research Manager", how_we_know="met at the PyData Berlin meetup"),
        None,
    ),
    "manual-talk": (
        _contact(
            "manual",
            company="Northwind Traders",
            how_we_know="your talk on usability testing at UX Camp",
        ),
        None,
    ),
    "manual-bare": (_contact("manual"), None),
    "referral": (
        _contact(
            "referral",
            company="Fabrikam, Inc.",
            role="Product Designer",
            referred_by="maya",
            how_we_know="she said you moved from teaching into product design too",
        ),
        MAYA,
    ),
    "referral-no-how": (_contact("referral", referred_by="maya"), MAYA),
    "notes-referral": (
        _contact(
            "referral",
            referred_by="maya",
            how_we_know="introduced by Maya Patel: your work on accessible design at Contoso",
        ),
        MAYA,
    ),
    "notes-referral-bare": (
        _contact("referral", referred_by="maya", how_we_know="introduced by Maya Patel"),
        MAYA,
    ),
}
# Without any "how we know", the draft is flagged, never sent silently vague.
FLAGGED = {"csv-no-how", "manual-bare"}
NO_HOW = "does not say how you know of them"


@dataclass
class Case:
    kind: CheckedKind | str
    contact: ContactRow
    referrer: ContactRow | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    meeting: MeetingRow | None = None
    policy: Policy = field(default_factory=Policy)


def _render(case: Case) -> tuple[str, list[str]]:
    context = message_context.base(
        PROFILE, "sam.rivera@example.org", case.contact, "A question about your path"
    )
    if case.referrer is not None:
        context["referrer" if case.kind == "outreach" else "about"] = message_context.person(
            case.referrer
        )
        context["outreach"] = message_context.outreach(case.contact, case.referrer)
    if case.meeting is not None:
        context["meeting"] = message_context.meeting(case.meeting, case.policy)
    context.update(case.extra)
    rendered = Renderer(None).render(case.kind, context)
    text = f"Subject: {rendered.subject}\n\n{rendered.body}"
    return text, check(case.kind, rendered.subject, rendered.body, user_name=PROFILE.name)


def _meeting(zone: str, *, place: str = "", link: str = "") -> MeetingRow:
    # Friday 4 December 2026, 18:00 UTC: 1:00 PM in New York.
    start = datetime(2026, 12, 4, 18, 0, tzinfo=ZoneInfo("UTC"))
    return MeetingRow(
        meeting_id="m1",
        contact_id="c",
        start=start.isoformat(),
        end=start.replace(minute=30).isoformat(),
        time_zone=zone,
        place=place or None,
        link=link or None,
    )


def _cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for source, (contact, referrer) in SOURCES.items():
        cases[f"outreach-{source}"] = Case("outreach", contact, referrer)
    ana, _ = SOURCES["linkedin"]
    cases["nudge-1"] = Case("nudge", ana, extra={"nudge_number": 1})
    cases["nudge-2"] = Case("nudge", ana, extra={"nudge_number": 2})
    cases["thank-you-notes"] = Case(
        "thank_you",
        ana,
        extra={
            "takeaway": "Your advice to run five small interviews before any big study "
            "is the first thing I am going to try",
            "referrals": ["Daniel Ortiz"],
        },
    )
    cases["thank-you-two-referrals"] = Case(
        "thank_you", ana, extra={"referrals": ["Daniel Ortiz", "Priya Shah"]}
    )
    cases["thank-you-no-notes"] = Case("thank_you", ana)
    new_york = Policy(time_zone="America/New_York")
    cases["referrer-thanks"] = Case(
        "referrer_thanks",
        MAYA,
        referrer=ana,
        meeting=_meeting("America/New_York"),
        policy=new_york,
    )
    cases["referrer-thanks-in-words"] = Case(
        "referrer_thanks",
        MAYA,
        referrer=ana,
        meeting=_meeting("America/New_York"),
        policy=new_york,
        extra={"how_it_went": "she gave me a much clearer picture of what research teams look for"},
    )
    cases["keep-in-touch-outcome"] = Case(
        "keep_in_touch",
        ana,
        extra={"outcome": "read Just Enough Research", "met_through_them": ["Daniel Ortiz"]},
    )
    cases["keep-in-touch-question"] = Case("keep_in_touch", ana)
    cases["keep-in-touch-bare"] = Case("keep_in_touch", SOURCES["manual-bare"][0])
    cases["decline-thanks"] = Case("decline_thanks", ana, extra={"suggested": []})
    cases["decline-thanks-suggested"] = Case(
        "decline_thanks", ana, extra={"suggested": ["Daniel Ortiz", "Priya Shah"]}
    )
    zones = {
        "us": ("America/Los_Angeles", "Blue Bottle Coffee, 300 Webster Street, Oakland"),
        "europe": ("Europe/Berlin", "the café at Kulturbrauerei, Schönhauser Allee 36, Berlin"),
        "india": ("Asia/Kolkata", "Third Wave Coffee, 12th Main Road, Indiranagar, Bengaluru"),
    }
    for name, (zone, place) in zones.items():
        cases[f"confirmation-{name}-place"] = Case(
            "confirmation",
            ana,
            meeting=_meeting(zone, place=place),
            policy=new_york,
        )
        cases[f"confirmation-{name}-link"] = Case(
            "confirmation",
            ana,
            meeting=_meeting(zone, link="https://meet.google.com/abc-defg-hij"),
            policy=new_york,
        )
        cases[f"confirmation-{name}-neither"] = Case(
            "confirmation_ask", ana, meeting=_meeting(zone), policy=new_york
        )
    cases["confirmation-same-zone"] = Case(
        "confirmation",
        ana,
        meeting=_meeting("America/New_York", place="the Starbucks at 5th Avenue and 42nd Street"),
        policy=new_york,
    )
    cases["confirmation-india-user-europe"] = Case(
        "confirmation",
        ana,
        meeting=_meeting("Asia/Kolkata", link="https://teams.microsoft.com/l/meetup-join/19%3a1"),
        policy=Policy(time_zone="Europe/London"),
    )
    for name, zone, place, hour in (
        ("us", "America/Los_Angeles", "Blue Bottle Coffee, 300 Webster Street, Oakland", 18),
        ("india", "Asia/Kolkata", "", 13),  # 8:00 AM in New York, 6:30 PM in Kolkata
    ):
        start = datetime(2026, 12, 4, hour, 0, tzinfo=ZoneInfo("UTC"))
        offered = [start + timedelta(days=n, hours=n) for n in range(3)]
        cases[f"propose-times-{name}"] = Case(
            "propose_times",
            ana,
            extra={
                "times": {
                    "offered": [meeting_time.when(t, zone, "America/New_York") for t in offered],
                    "minutes": 30,
                    "place": place,
                    "note": zone == "Asia/Kolkata",
                }
            },
        )
    return cases


CASES = _cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_message_reads_as_approved(name: str) -> None:
    text, findings = _render(CASES[name])
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("OUTREACH_WRITE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert find_markers(text) == []
    expected = [NO_HOW] if name.removeprefix("outreach-") in FLAGGED else []
    assert findings == expected


def test_every_template_and_source_is_covered() -> None:
    """Each kind of message is among the golden cases, and every source reaches one."""
    assert {c.kind for c in CASES.values()} == set(KINDS)
    assert {c.contact.source for c in CASES.values()} == {"linkedin", "csv", "manual", "referral"}
    assert len(list(GOLDEN.glob("*.txt"))) == len(CASES)


_EVERY_KIND_EXTRA: dict[str, dict[str, Any]] = {
    "nudge": {"nudge_number": 2},
    "thank_you": {"takeaway": "Start with five small interviews", "referrals": ["Dan Ortiz"]},
    "keep_in_touch": {"outcome": "read Just Enough Research"},
    "decline_thanks": {"suggested": ["Dan Ortiz"]},
    "propose_times": {
        "times": {
            "offered": ["Friday, December 4 at 10:00 AM PT"],
            "minutes": 30,
            "place": "",
            "note": "",
        }
    },
}


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("kind", sorted(set(KINDS) - {"outreach"}))
def test_every_template_reads_well_for_every_source(kind: str, source: str) -> None:
    """Beyond the golden texts: each kind, for a contact from each path, is English
    without a marker or a finding (the first contact is covered above, flags and all)."""
    contact, referrer = SOURCES[source]
    place = "Blue Bottle Coffee, 300 Webster Street, Oakland"
    meeting = _meeting("America/Los_Angeles", place="" if kind == "confirmation_ask" else place)
    case = Case(
        kind,
        contact,
        referrer=referrer or MAYA,
        meeting=meeting,
        policy=Policy(time_zone="America/New_York"),
        extra=_EVERY_KIND_EXTRA.get(kind, {}),
    )
    text, findings = _render(case)
    assert find_markers(text) == []
    assert findings == []
    assert ".." not in text.replace("...", "")
    assert "  " not in text


def test_a_template_holding_a_marker_is_refused_at_render(tmp_path: Path) -> None:
    (tmp_path / "thank_you.txt.j2").write_text(
        "Subject: Thanks\n\nDear {{ contact.first_name }},\n\n[What stayed with you.]\n"
    )
    ana, _ = SOURCES["linkedin"]
    context = message_context.base(PROFILE, "sam@example.org", ana, "Hello")
    with pytest.raises(TemplateProblem) as refused:
        Renderer(tmp_path).render("thank_you", context)
    assert str(refused.value) == (
        "template thank_you.txt.j2: the message still holds a bracketed reminder: "
        '"[What stayed with you.]"'
    )

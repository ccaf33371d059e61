"""The etiquette check, the marker check and the first-contact wording, on their own."""

from __future__ import annotations

import pytest

from worker.domain.etiquette import check
from worker.domain.markers import find_markers
from worker.domain.wording import Known, how_we_know, sentence, subject

GOOD_FIRST = (
    "Dear Ana,\n\nI am Sam Rivera. I am moving into UX research. We met at PyCon.\n\n"
    "Would you have 15 to 30 minutes for a short conversation? I would love to hear "
    "about your path.\n\nSam Rivera\n"
)


def test_a_good_first_contact_has_no_finding() -> None:
    assert check("outreach", "A question", GOOD_FIRST, user_name="Sam Rivera") == []


@pytest.mark.parametrize(
    "line",
    [
        "Are you hiring for your team?",
        "I am looking for a job in research.",
        "Could you refer me for the open position?",
        "I would appreciate a referral to a role on your team.",
        "Do you have any openings?",
    ],
)
def test_asking_for_a_job_is_found(line: str) -> None:
    findings = check("outreach", "Hi", GOOD_FIRST + line, user_name="Sam Rivera")
    assert findings == ["reads as asking for a job or a referral to a role; ask for advice"]


def test_a_resume_sent_unasked_is_found() -> None:
    body = GOOD_FIRST + "I have attached my résumé."
    assert check("nudge", "Re: Hi", body) == ["mentions a résumé: offer it only if they ask"]
    assert check("outreach", "Hi", body, user_name="Sam Rivera") == [
        "mentions a résumé: offer it only if they ask"
    ]


def test_a_first_contact_missing_who_how_and_ask_says_each() -> None:
    assert check("outreach", "Hi", "Dear Ana,\n\nHello.\n", user_name="Sam Rivera") == [
        "does not say who you are (your name and a line about you)",
        "does not say how you know of them",
        "does not ask for 15 to 30 minutes to hear about their path",
    ]


def test_a_confirmation_without_place_zone_or_changes_says_so() -> None:
    assert check("confirmation", "Re: Hi", "See you Friday, December 4 at 10:00.") == [
        "does not say the time zone",
        "does not say where (a place or a call link)",
        'does not say "if anything changes, let me know"',
    ]


def test_markers_are_named() -> None:
    text = "Thank you. [What stayed with you from the conversation.] {{ x }} TODO"
    assert find_markers(text) == [
        'a bracketed reminder: "[What stayed with you from the conversation.]"',
        'an unrendered template tag: "{{ x }}"',
        'a stub word: "TODO"',
    ]
    assert find_markers("See [1] and the notes [sic].") == []
    assert check("thank_you", "Re", text)[0].startswith("holds a bracketed reminder")


def test_how_we_know_never_claims_more_than_was_said() -> None:
    linkedin = Known(how="LinkedIn connection since 28 Nov 2022", source="linkedin")
    assert how_we_know(linkedin) == "We are connected on LinkedIn."
    assert how_we_know(Known(how="met at PyCon 2024.")) == "We met at PyCon 2024."
    assert how_we_know(Known(how="via the alumni network")) == (
        "I know of you through the alumni network."
    )
    referral = Known(how="she says you hire career changers", referrer="Maya Patel")
    assert how_we_know(referral) == (
        "Maya Patel suggested I reach out to you. She says you hire career changers."
    )
    notes = Known(how="introduced by Maya Patel", source="referral")
    assert how_we_know(notes) == "Maya Patel suggested I reach out to you."
    assert how_we_know(Known()) == ""


def test_no_second_stop_and_subjects_follow_the_reason() -> None:
    assert sentence("I work at Fabrikam, Inc.") == "I work at Fabrikam, Inc."
    assert sentence("i work at Contoso") == "I work at Contoso."
    assert subject(Known(referrer="Maya Patel")) == "Maya Patel suggested I get in touch"
    assert subject(Known(how="class of 2019 at Northfield")).startswith("From a fellow alum")
    assert subject(Known(how="your keynote at UX Camp")).startswith("Your talk")
    assert subject(Known(), "Fabrikam, Inc.") == "A question about your path at Fabrikam, Inc."

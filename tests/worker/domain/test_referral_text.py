"""Reading the people named in meeting notes, in the ways people write them."""

from __future__ import annotations

import pytest

from worker.domain.referral_text import FoundReferral, read_referrals


@pytest.mark.parametrize(
    "text",
    [
        "Talk to Lena Fischer <lena@contoso.example> about platforms.",
        "Lena Fischer (lena@contoso.example) runs the platform team.",
        "Also: Lena Fischer - lena@contoso.example",
        "Lena Fischer – lena@contoso.example",
        "lena@contoso.example (Lena Fischer) knows hiring.",
        "Write to Lena Fischer lena@contoso.example soon.",
        "She suggested Lena Fischer, lena@contoso.example.",
    ],
)
def test_a_name_with_its_address(text: str) -> None:
    reading = read_referrals(text)
    assert reading.found == [FoundReferral("Lena Fischer", "lena@contoso.example", 1)]
    assert reading.unread == []


@pytest.mark.parametrize(
    ("text", "name", "company"),
    [
        ("Raj at Tailspin, no email yet.", "Raj", "Tailspin"),
        ("You should talk to Raj Patel at Tailspin.", "Raj Patel", "Tailspin"),
        ("Ask Priya to introduce you to Raj.", "Raj", None),
        ("She will introduce me to José Álvarez from Contoso", "José Álvarez", "Contoso"),
    ],
)
def test_a_name_without_an_address_is_an_open_referral(
    text: str, name: str, company: str | None
) -> None:
    assert read_referrals(text).found == [FoundReferral(name, None, 1, company)]


def test_what_cannot_be_read_is_said_not_dropped() -> None:
    reading = read_referrals("Contact raj@tailspin (typo?)\n\nthen maybe hr@contoso.example.")
    assert reading.found == []
    assert reading.unread == [
        "line 1: 'raj@tailspin' is not a valid e-mail address (not taken as a referral)",
        "line 3: hr@contoso.example has no name beside it (not taken)",
    ]


def test_the_contact_themself_and_repeats_are_not_referrals() -> None:
    text = (
        "Met Ada Lovelace today. Talk to Raj Patel <raj@tailspin.example>.\n"
        "Raj will answer quickly. Talk to Raj about the team.\n"
        "Meet Ada again in spring."
    )
    reading = read_referrals(text, not_them=["Ada Lovelace", "Ada"])
    assert reading.found == [FoundReferral("Raj Patel", "raj@tailspin.example", 1)]


def test_a_sentence_before_the_name_is_not_part_of_it() -> None:
    reading = read_referrals("Loved the engines. Great talk! Write to Alan M. Turing <a@x.org>")
    assert [r.name for r in reading.found] == ["Alan M. Turing"]

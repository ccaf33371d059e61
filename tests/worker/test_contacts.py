"""The contact book: adding, finding, choosing to reach out; bad input writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.projections.referrals import ReferralRow
from events.types import MeetingScheduled
from worker.domain.addresses import InvalidInput
from worker.services.app import App
from worker.services.contacts import ContactBook, DuplicateContact, NewContact, UnknownContact


def test_add_referral_and_reach_out(book: ContactBook) -> None:
    ada = book.add(
        NewContact(
            name="  Ada Lovelace ",
            emails=["Ada@Analytical.EXAMPLE"],
            company="Analytical Engines",
            role="Engineer",
        )
    )
    grace = book.add(
        NewContact(name="Grace Hopper", emails=["grace@navy.example"], referred_by="ada lovelace"),
        reach_out=True,
    )

    assert ada.name == "Ada Lovelace"
    assert ada.emails == ["Ada@analytical.example"]  # the domain is case-insensitive, not the rest
    assert (ada.stage, ada.source) == ("identified", "manual")
    assert (grace.referred_by, grace.source, grace.stage) == (
        ada.contact_id,
        "referral",
        "to_write",
    )

    assert book.reach_out("ada@analytical.example").stage == "to_write"
    assert [r.name for r in book.all()] == ["Ada Lovelace", "Grace Hopper"]
    assert book.resolve(ada.contact_id[:6]).contact_id == ada.contact_id
    assert book.resolve("GRACE@navy.example").contact_id == grace.contact_id


def test_ambiguous_reference_names_the_candidates(book: ContactBook) -> None:
    book.add(NewContact(name="Ada Lovelace", emails=["ada@example.org"]))
    book.add(NewContact(name="Ada Byron", emails=["byron@example.org"]))
    with pytest.raises(UnknownContact, match=r"'Ada' is ambiguous: Ada Byron .*, Ada Lovelace"):
        book.resolve("Ada")


BAD_CONTACTS = [
    pytest.param(
        NewContact(name="Ada", emails=["ada@example"]),
        InvalidInput,
        r"^contact: email: 'ada@example' is not a valid e-mail address$",
        id="malformed-address",
    ),
    pytest.param(
        NewContact(name="Ada", emails=["ada@example.org\nBcc: all@example.org"]),
        InvalidInput,
        r"^contact: email: contains a line break",
        id="header-injection-in-address",
    ),
    pytest.param(
        NewContact(name="Ada\nLovelace", emails=["ada@example.org"]),
        InvalidInput,
        r"^contact: name: contains a line break",
        id="name-with-line-break",
    ),
    pytest.param(
        NewContact(name="   ", emails=["ada@example.org"]),
        InvalidInput,
        r"^contact: name: must not be empty$",
        id="empty-name",
    ),
    pytest.param(
        NewContact(name="Someone", emails=["EXISTING@example.org"]),
        DuplicateContact,
        r"^contact: existing@example\.org already belongs to Existing Person \(",
        id="duplicate-of-existing",
    ),
    pytest.param(
        NewContact(name="Twice", emails=["twice@example.org", "Twice@example.org"]),
        DuplicateContact,
        r"twice@example\.org already belongs to Twice",
        id="same-address-twice",
    ),
    pytest.param(
        NewContact(name="Grace", emails=["grace@example.org"], referred_by="nobody"),
        InvalidInput,
        r"^contact: referred by: no contact matches 'nobody'",
        id="unknown-referrer",
    ),
]


@pytest.mark.parametrize(("new", "error", "message"), BAD_CONTACTS)
def test_bad_contact_writes_nothing(
    book: ContactBook, app: App, new: NewContact, error: type[Exception], message: str
) -> None:
    book.add(NewContact(name="Existing Person", emails=["existing@example.org"]))
    head = app.store.head()

    with pytest.raises(error, match=message) as caught:
        book.add(new, reach_out=True)

    assert "\n" not in str(caught.value)
    assert app.store.head() == head
    assert [r.name for r in book.all()] == ["Existing Person"]


def test_reach_out_needs_an_address_and_happens_once(book: ContactBook, app: App) -> None:
    head = app.store.head()
    with pytest.raises(InvalidInput, match="--reach-out: the contact has no e-mail address"):
        book.add(NewContact(name="Alan Turing"), reach_out=True)
    assert app.store.head() == head

    book.add(NewContact(name="Alan Turing"))
    with pytest.raises(InvalidInput, match="Alan Turing: no e-mail address to write to"):
        book.reach_out("Alan Turing")
    book.add(NewContact(name="Ada Lovelace", emails=["ada@example.org"]), reach_out=True)
    head = app.store.head()
    # Choosing someone already chosen changes nothing.
    assert book.reach_out("ada@example.org").stage == "to_write"
    assert app.store.head() == head


def test_unknown_contact(book: ContactBook) -> None:
    with pytest.raises(UnknownContact, match=r"no contact matches 'nobody'"):
        book.resolve("nobody")


def test_a_merge_moves_meetings_and_introductions_as_a_rebuild_would(book: ContactBook) -> None:
    """Caught up a few events at a time (the views load only the rows those events name),
    a merge moves the merged-away contact's meetings, the people they introduced and the
    introduction itself to the contact kept; rebuilding from the log says the same."""
    app = book.app
    king = book.add(NewContact(name="Ada King", emails=["ada.king@mail.example"]))
    ada = book.add(NewContact(name="Ada Lovelace", emails=["ada@analytical.example"]))
    grace = book.add(
        NewContact(name="Grace Hopper", emails=["grace@navy.example"], referred_by=ada.contact_id)
    )
    start = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
    app.journal.record(
        MeetingScheduled(
            contact_id=ada.contact_id,
            meeting_id="m1",
            account_id="acct",
            provider_event_id="ev1",
            start=start,
            end=start + timedelta(minutes=30),
            time_zone="Europe/London",
        )
    )
    book.merge("Ada King", "Ada Lovelace")

    def moved() -> tuple[str | None, str | None, str | None]:
        views = app.projector
        meeting = views.get(MeetingRow, "m1")
        referred = views.get(ContactRow, grace.contact_id)
        referral = views.get(ReferralRow, grace.contact_id)
        assert meeting is not None
        assert referred is not None
        assert referral is not None
        return meeting.contact_id, referred.referred_by, referral.referrer_id

    app.projector.catch_up()
    assert moved() == (king.contact_id, king.contact_id, king.contact_id)
    app.projector.rebuild()
    assert moved() == (king.contact_id, king.contact_id, king.contact_id)

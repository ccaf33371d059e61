"""Mail servers' reports arriving in a real mailbox, on Gmail and on Outlook: a bounce
without In-Reply-To (most have none) marks the address and stops the nudges, a delay
notice marks nothing, a spam complaint is no reply. The reports are real ones from
tests/data/bounces with the failed address swapped for a contact's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from events.projections.pipeline import stage_words
from tests.faults.worlds import FaultWorld, OutlookFaultWorld, open_world
from tests.faults.worlds import _trust_only_given_ca as _trust_only_given_ca
from worker.services.history import sentences

DATA = Path(__file__).resolve().parents[1] / "data" / "bounces"
ADA = "ada@analytical.example"
GRACE = "grace@navy.example"
LIN = "lin@corp.example"
KIM = "kim@oldcorp.example"


@pytest.fixture(params=["google", "outlook"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FaultWorld]:
    yield from open_world(request.param, tmp_path)


def report(name: str, swaps: dict[str, str]) -> bytes:
    raw = (DATA / name).read_bytes()
    for old, new in swaps.items():
        assert old.encode() in raw, (name, old)
        raw = raw.replace(old.encode(), new.encode())
    assert b"in-reply-to" not in raw.lower()  # what the sync has to do without
    return raw


def arrives(world: FaultWorld, raw: bytes) -> None:
    """A mail server delivers `raw` to the user's mailbox; the worker syncs."""
    if isinstance(world, OutlookFaultWorld):
        world.emulator.deliver_mime(raw)
    else:
        world.sandbox.google.deliver_raw(raw)
    world.sync()


def test_a_bounce_marks_the_address_a_delay_marks_nothing_a_complaint_closes_the_contact(
    world: FaultWorld,
) -> None:
    for name, address in (("Ada", ADA), ("Grace", GRACE), ("Lin", LIN), ("Kim", KIM)):
        world.outreach_sent(name, address)

    # Postfix's report, naming Ada's address and nothing of our thread.
    arrives(world, report("flufl/postfix_02.txt", {"yyyyy@digicool.com": ADA}))
    # A relay still trying to reach Grace ("Action: delayed").
    arrives(world, report("flufl/dsn_05.txt", {"userx@example.cz": GRACE}))
    # Lin's mailbox provider forwards their spam complaint (ARF).
    arrives(world, report("written/complaint_arf_abuse.eml", {"ada@analytical.example": LIN}))
    # Office 365 cannot deliver to the address Kim's mail is forwarded to: only the quoted
    # Message-ID of our outreach ties the report to Kim.
    ours = world.contact(KIM).last_message_id
    assert ours
    arrives(
        world,
        report(
            "written/bounce_office365_ndr.eml",
            {
                "lin@oldcorp.example": "kim.k@forwarded.example",
                "<outreach.lin.1@sender.example>": f"<{ours.strip('<>')}>",
            },
        ),
    )

    assert world.contact(ADA).bounced
    assert world.contact(KIM).bounced
    assert not world.contact(GRACE).bounced
    assert not world.contact(LIN).bounced
    assert all(world.contact(a).replied_at is None for a in (ADA, GRACE, LIN, KIM))
    # Lin called our message spam: no answer, and nothing more goes to them (the user
    # sees why, and may reopen the contact).
    assert world.contact(LIN).closed == "complained"
    assert "reported your message as spam" in stage_words(world.contact(LIN))
    assert [world.contact(a).closed for a in (ADA, GRACE, KIM)] == [None, None, None]
    lin = world.contact(LIN)
    said = [s["sentence"] for s in sentences(world.book, world.book.history(lin))]
    assert "they reported your message as spam: closed, nothing more goes to them" in said
    received = {(e["contact_id"], e["kind"]) for e in world.events("reply.received")}
    assert received == {
        (world.contact(ADA).contact_id, "bounce"),
        (world.contact(KIM).contact_id, "bounce"),
    }

    # Weeks later Grace is nudged as if nothing had come; Ada, Kim and Lin are not.
    world.later(days=30)
    nudged = {a.contact_id for a in world.due("draft_nudge")}
    assert nudged == {world.contact(GRACE).contact_id}


def test_a_bounce_that_arrived_before_the_first_sync_is_found_by_it(world: FaultWorld) -> None:
    """Connected after the outreach went out and bounced: the first pass searches the
    tracked addresses' mail, which a report is not (it names them only in its body)."""
    for name, address in (("Ada Lovelace", ADA), ("Grace Hopper", GRACE)):
        world.add(name, address)
        world.perform("draft_outreach")
    for draft in world.drafts():  # sent from the mail client; the worker has not synced
        if isinstance(world, OutlookFaultWorld):
            world.emulator.send_draft_in_outlook(draft.provider_draft_id)
        else:
            world.sandbox.google.user_sends_draft(draft.provider_draft_id)
    world.later(hours=1)
    raw = report("flufl/postfix_02.txt", {"yyyyy@digicool.com": ADA})
    if isinstance(world, OutlookFaultWorld):
        world.emulator.deliver_mime(raw)
    else:
        world.sandbox.google.deliver_raw(raw)
    world.later(hours=1)

    world.sync()  # the first pass

    assert world.contact(ADA).outreach_sent_at
    assert world.contact(ADA).bounced
    assert not world.contact(GRACE).bounced
    assert world.contact(ADA).replied_at is None
    world.later(days=30)
    nudged = {a.contact_id for a in world.due("draft_nudge")}
    assert nudged == {world.contact(GRACE).contact_id}

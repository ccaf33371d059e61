"""A revoked grant marks the account the action went through, not just any account."""

from __future__ import annotations

from events.ids import derive_id
from events.projections.accounts import AccountRow
from events.types import AccountConnected, OutreachSent
from tests.worker.world import ACCOUNT, ZONE, World
from worker.services.contacts import NewContact

OTHER = "sandbox-second"


def test_revoked_grant_marks_the_contacts_own_account(world: World) -> None:
    world.app.journal.record(
        AccountConnected(
            account_id=OTHER, provider="sandbox", email="second@sandbox.example", time_zone=ZONE
        ),
        event_id=derive_id("test", "second account"),
    )
    ada = world.book.add(NewContact(name="Ada Lovelace", emails=["ada@analytical.example"]))
    world.app.journal.record(
        OutreachSent(
            contact_id=ada.contact_id,
            message_id="<first@second.example>",
            account_id=OTHER,
            sent_at=world.clock.now(),
            subject="Hello",
        )
    )
    world.later(days=8)  # the nudge is due, and every access token has expired
    world.sandbox.google.revoke_grant()
    nudge = world.one_due("draft_nudge")

    outcome = world.runtime.perform(nudge.to_message())

    assert outcome.startswith("waiting")
    world.app.projector.catch_up()
    status = {a.account_id: a.status for a in world.app.projector.rows(AccountRow)}
    assert status == {ACCOUNT: "connected", OTHER: "needs_reconnect"}
    assert world.drafts() == []

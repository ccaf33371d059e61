"""A first sync in the foreground: progress page by page, resumable after an interruption."""

from __future__ import annotations

from events.projections.accounts import AccountRow
from integrations.google.provider import GmailProvider
from integrations.protocol import Provider
from tests.worker.world import ACCOUNT, World
from worker.cli.sync import sync_account
from worker.runner.runtime import Runtime, SyncProgress
from worker.services.contacts import NewContact
from worker.services.rendering import Renderer


def small_pages(world: World) -> Runtime:
    """A runtime whose provider fetches five messages a page, one page per call."""
    provider = GmailProvider.from_sandbox(
        world.endpoints, account_id=ACCOUNT, page_size=5, pages_per_sync=1
    )
    world._opened.append(provider)

    def provider_for(_account: AccountRow) -> Provider:
        return provider

    return Runtime(app=world.app, provider_for=provider_for, renderer=Renderer())


def test_first_sync_shows_progress_and_resumes_where_it_stopped(world: World) -> None:
    world.book.add(NewContact(name="Ada Lovelace", emails=["ada@analytical.example"]))
    for n in range(23):
        world.sandbox.google.deliver_message(
            sender="ada@analytical.example", subject=f"Note {n}", body="Hello"
        )
    world.sandbox.google.seed_mailbox(40)  # strangers: never fetched
    runtime = small_pages(world)

    # Interrupted after one page: that page is recorded, the cursor kept.
    runtime.sync(ACCOUNT, max_pages=1)
    assert len(world.events("reply.received")) == 5

    seen: list[SyncProgress] = []
    total = sync_account(runtime, ACCOUNT, lambda p: seen.append(SyncProgress(**vars(p))))
    assert total.complete
    assert [p.pages for p in seen] == list(range(1, len(seen) + 1))  # one update a page
    assert seen[-1].messages >= 18
    # Every message of Ada's recorded once across both runs; none of the strangers'.
    assert len(world.events("reply.received")) == 23
    assert sync_account(runtime, ACCOUNT, lambda _p: None).recorded == 0

"""A sandbox account whose endpoints file is gone (the sandbox stopped, the file deleted)
is a setup problem the user sees in status, asked again after a pause: not a traceback on
every pass of the worker."""

from __future__ import annotations

from pathlib import Path

from events.projections.accounts import AccountRow
from tests.worker.world import World
from worker.accounts.run_providers import ProviderFactory
from worker.accounts.sandbox import SANDBOX_ENDPOINTS
from worker.domain.policies.actions import Action
from worker.runner.runtime import Runtime
from worker.services.rendering import Renderer


def _runtime_without_endpoints(world: World, tmp_path: Path) -> Runtime:
    env = {**world.env, SANDBOX_ENDPOINTS: str(tmp_path / "gone.json")}
    return Runtime(
        app=world.app,
        provider_for=ProviderFactory(world.app, env),
        renderer=Renderer(tmp_path / "none"),
    )


def test_sync_records_the_missing_endpoints_file_and_pauses(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        runtime = _runtime_without_endpoints(world, tmp_path)
        assert runtime.sync(world.account_id) == 0
        world.app.projector.catch_up()
        row = world.app.projector.get(AccountRow, world.account_id)
        assert row is not None
        assert row.last_error is not None
        assert "gone.json" in row.last_error
        assert SANDBOX_ENDPOINTS in row.last_error
        assert row.retry_at is not None
        # Within the pause the next pass neither calls nor records again.
        runtime.sync(world.account_id)
        assert len(world.events("account.sync_failed")) == 1
    finally:
        world.close()


def test_an_action_waits_for_the_sandbox_instead_of_failing(tmp_path: Path) -> None:
    world = World(tmp_path)
    try:
        world.add("Ada Lovelace", "ada@example.com")
        action: Action = world.one_due("draft_outreach")
        runtime = _runtime_without_endpoints(world, tmp_path)
        answer = runtime.perform(action.to_message())
        assert answer.startswith("waiting: ")
        assert "gone.json" in answer
        assert world.drafts() == []
        assert len(world.events("account.sync_failed")) == 1
    finally:
        world.close()

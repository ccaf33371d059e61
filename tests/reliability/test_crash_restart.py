"""The crash-and-restart harness, short: two simulated weeks of twenty-odd contacts with
10 % of provider requests failing (the token endpoint's too) and five SIGKILL moments, on
the sandbox's Gmail account and on its Outlook account (the Microsoft Graph emulator,
signed in through MSAL): on the embedded default (also with the provider giving sent
mail Message-IDs of its own), and on PostgreSQL + Redis with two workers and the
scheduler killed (Redis flushed twice). The long run is
`bench/crash_restart.py`; both call `tests/harness/crash_scenario.py`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from integrations.google.provider import GmailProvider
from integrations.microsoft import OutlookProvider
from integrations.protocol import OutgoingMessage, TransientProviderError
from integrations.sandbox import Sandbox
from tests.harness.crash_scenario import START, Figures, Options, run_scenario
from tests.harness.far_ends import ProviderName
from tests.harness.lockstep import redis_database
from tests.worker.world import World
from worker.runner.runtime import Runtime
from worker.runner.scaled import action_locks

# Three-hour steps: a third of the steps of hourly ones, so each mode stays near a minute.
# Token requests fail 3 % of the time (10 % in the benchmark): each failure on Google's
# costs real seconds (google-auth's own retries), and a few show the point.
FAST: dict[str, Any] = {
    "contacts": 20,
    "weeks": 2,
    "kills": 5,
    "seed": 3,
    "step_minutes": 180,
    "token_fault_rate": 0.03,
}
PROVIDERS: list[ProviderName] = ["google", "microsoft"]


def passed(figures: Figures) -> None:
    assert figures.problems == []
    assert (figures.duplicates, figures.misses) == (0, 0)
    assert figures.converged
    assert figures.kills >= FAST["kills"]
    # The run exercised what it claims to: faults (at the token endpoint too), kills
    # while a change was served, confirmations, meetings and replies.
    assert 0.05 < figures.faults / figures.requests < 0.15
    assert figures.token_faults >= 1
    assert any(kind.startswith("token ") for kind in figures.fault_kinds)
    assert figures.kills_mid_action >= 1
    assert figures.confirmations >= 1
    assert figures.meetings >= 1
    assert figures.replies >= 1


@pytest.fixture
def own_redis_url(redis_url: str) -> Iterator[str]:
    """Database 13, this test's own: the harness flushes it mid-run and cuts off its
    clients, which must not touch other tests' databases (15, 14)."""
    with redis_database(redis_url, 13) as url:
        yield url


@pytest.mark.timeout(240)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_embedded_run_killed_and_faulted_sends_nothing_twice_and_misses_nothing(
    tmp_path: Path, provider: ProviderName
) -> None:
    figures = run_scenario(
        Options(mode="embedded", provider=provider, **FAST),
        tmp_path,
        f"sqlite:///{tmp_path / 'run.sqlite'}",
    )
    passed(figures)
    assert figures.provider == provider


@pytest.mark.timeout(240)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_with_message_ids_rewritten_by_the_provider_nothing_is_sent_twice_or_missed(
    tmp_path: Path, provider: ProviderName
) -> None:
    """Whether Gmail and Exchange keep the Message-ID the worker gives a message is not
    documented: with every sent message given one of the provider's own, the worker finds
    its earlier sends (and knows the user's) by its own mark, through the same kills."""
    figures = run_scenario(
        Options(mode="embedded", provider=provider, rewrite_message_ids=True, **FAST),
        tmp_path,
        f"sqlite:///{tmp_path / 'run.sqlite'}",
    )
    passed(figures)
    assert figures.sends_rewritten == figures.sends > 0


@pytest.mark.timeout(240)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_workers_and_scheduler_killed_and_redis_flushed_send_nothing_twice_and_miss_nothing(
    tmp_path: Path, postgres_schema_url: str, own_redis_url: str, provider: ProviderName
) -> None:
    figures = run_scenario(
        Options(mode="scaled", provider=provider, kill=("workers", "scheduler"), **FAST),
        tmp_path,
        postgres_schema_url,
        own_redis_url,
    )
    passed(figures)
    assert figures.redis_flushes == 2
    assert figures.killed.get("worker", 0) >= 2
    assert figures.killed.get("scheduler", 0) >= 1


def test_a_draft_made_just_before_a_crash_is_found_instead_of_made_again() -> None:
    """Regression: the worker killed after Gmail created a draft but before the log
    recorded it ran the action again on restart and left two drafts with one Message-ID
    (found by the harness's kills while the sandbox served drafts.create)."""
    message = OutgoingMessage(
        to=["ada@analytical.example"],
        subject="Hello",
        body="Would you have 20 minutes?",
        message_id="<action-1@sandbox.example>",
    )
    with Sandbox(seed=1, start=START) as sandbox:
        with GmailProvider.from_sandbox(sandbox.endpoints()) as before_the_crash:
            first = before_the_crash.create_draft(message)
        with GmailProvider.from_sandbox(sandbox.endpoints()) as after_the_restart:
            again = after_the_restart.create_draft(message)
        drafts = sandbox.google.mail_state()["drafts"]
    assert again == first
    assert [d["messageId"] for d in drafts] == [message.message_id]


@pytest.mark.parametrize("kind", ["server_error", "unavailable"])
def test_a_token_endpoint_failing_on_outlook_is_a_pause_not_a_crash(kind: str) -> None:
    """Regression: Entra ID's /token answering 500 or 503 made MSAL raise its own
    MsalServiceError, which escaped the adapter as an unhandled exception: the action
    crashed instead of pausing the account, and Dramatiq's retries (seconds apart) held
    up a scaled-out run (found by the harness's token faults on Outlook)."""
    with (
        Sandbox(seed=1, start=START) as sandbox,
        OutlookProvider.from_sandbox(sandbox.endpoints(), sandbox) as provider,
    ):
        sandbox.faults.add("microsoft", "identity.token", kind, times=1)
        with pytest.raises(TransientProviderError, match="token refresh failed"):
            provider.tokens.access_token(force_refresh=True)


class Hesitant:
    """The sandbox provider, pausing before each draft it creates: widens the moment
    between looking for the draft and creating it, where two runs could both miss it."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider

    def __getattr__(self, name: str) -> Any:
        return getattr(self.provider, name)

    def create_draft(self, message: OutgoingMessage) -> Any:
        time.sleep(0.3)
        return self.provider.create_draft(message)


def test_one_action_run_by_two_processes_at_once_makes_one_draft(
    tmp_path: Path, own_redis_url: str
) -> None:
    """Regression: a redelivery racing its first run in another process (Redis flushed
    and the next tick queuing the action again) could make a second draft; each process
    serialised its own runs only. Two runtimes stand for two processes here."""
    world = World(tmp_path)
    client = redis.Redis.from_url(own_redis_url)
    try:
        world.add("Ada Lovelace", "ada@analytical.example")
        action = world.one_due("draft_outreach")
        runtimes = [
            Runtime(
                app=world.app,
                provider_for=lambda account: Hesitant(world.provider_for(account)),
                renderer=world.runtime.renderer,
                action_lock=action_locks(client),
            )
            for _ in range(2)
        ]
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def run(runtime: Runtime) -> None:
            barrier.wait()
            outcomes.append(runtime.perform(action.to_message()))

        threads = [threading.Thread(target=run, args=(r,)) for r in runtimes]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(outcomes) == ["already done", "done"]
        assert len(world.mail()["drafts"]) == 1
    finally:
        client.close()
        world.close()

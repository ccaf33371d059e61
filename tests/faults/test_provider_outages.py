"""Throttling, 5xx and dropped connections that last twenty minutes, on Gmail and Outlook.

While they last the worker backs off (no retry storm, no request before a Retry-After
elapses) and `outreach status` says so; after, it converges to the outcome of the same
story without the fault, each fact and message exactly once.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from tests.faults.worlds import (
    FaultWorld,
    Outcome,
    finish_the_story,
    set_the_scene,
    things_happen,
)

OUTAGE_MIN = 20
#: Tries in all per call before the adapter gives up (integrations/retry.py's default).
ATTEMPTS = 5
#: Sync passes a twenty-minute outage may cost: the worker's pause doubles from one
#: minute (worker/runtime.py), so passes start at about 1, 2, 4, 8 and 16 minutes in.
PASSES = 5
LONG_RETRY_AFTER = 300.0  # beyond the 120 s the adapters sleep through themselves

# (kind, Retry-After given by the injected fault, what the status's error names)
GOOGLE = [
    ("rate_limit", LONG_RETRY_AFTER, "429"),
    ("rate_limit", None, "429"),  # Gmail's 429 for concurrent requests carries none
    ("rate_limit_403", None, "403 userRateLimitExceeded"),
    ("server_error", None, "500"),
    ("unavailable", None, "503"),
    ("drop", None, "connection failed"),
]
OUTLOOK = [
    ("rate_limit", LONG_RETRY_AFTER, "429"),
    ("concurrency_limit", LONG_RETRY_AFTER, "429"),
    ("server_error", None, "500"),
    ("unavailable", None, "503"),  # Graph's 503 says Retry-After: 1
    ("drop", None, "connection"),
]
CASES = [pytest.param("google", *case, id=f"google-{case[0]}-{case[1]}") for case in GOOGLE] + [
    pytest.param("outlook", *case, id=f"outlook-{case[0]}-{case[1]}") for case in OUTLOOK
]


def request_bound(world: FaultWorld, kind: str, retry_after: float | None) -> int:
    """The most requests the outage may cost."""
    if retry_after is not None and retry_after > 120:
        # One request per Retry-After, never sooner: at most one per five minutes.
        return OUTAGE_MIN * 60 // int(retry_after)
    per_call = ATTEMPTS * (2 if kind == "drop" else 1)  # httplib2 reopens a socket once
    return PASSES * per_call


@pytest.mark.parametrize(("world", "kind", "retry_after", "shown"), CASES, indirect=["world"])
def test_outage_backs_off_shows_in_status_and_converges(
    world: FaultWorld, expected: Outcome, kind: str, retry_after: float | None, shown: str
) -> None:
    set_the_scene(world)
    before = world.requests()
    world.fail(kind, retry_after=retry_after)
    things_happen(world)
    started = world.clock.now()
    asked_at: list[tuple[datetime, int]] = []
    for _ in range(OUTAGE_MIN):
        outcomes = world.step()
        asked_at.append((world.clock.now(), world.requests() - before))
        account = world.account_status()
        # (1) While it lasts, status names the problem and says the worker is waiting.
        assert account["state"] == "backing_off", account
        assert shown in account["last_error"]
        assert account["backing_off_until"] > world.clock.now().isoformat()
        assert all(o.startswith(("waiting", "already done")) for o in outcomes), outcomes
    during = world.requests() - before
    # (2) No retry storm: bounded, and a long Retry-After is honoured between passes.
    assert 0 < during <= request_bound(world, kind, retry_after), (during, asked_at)
    if retry_after is not None and retry_after > 120:
        assert_waited_out(asked_at, started, retry_after)
    assert world.status_json()["backing_off_until"] is not None  # the CLI says it too
    # (3) Healed, the worker converges: each fact and message once, as without the fault.
    world.heal()
    world.steps(minutes=35)
    assert world.account_status()["state"] == "ok"
    assert finish_the_story(world) == expected


def assert_waited_out(
    asked_at: list[tuple[datetime, int]], started: datetime, retry_after: float
) -> None:
    """Each new request came at least `retry_after` after the one before it."""
    last_at, last_count = started, 0
    for at, count in asked_at:
        if count > last_count:
            assert last_count == 0 or at - last_at >= timedelta(seconds=retry_after), (
                at,
                last_at,
            )
            last_at, last_count = at, count


@pytest.mark.parametrize("world", ["google", "outlook"], indirect=True)
def test_status_says_ok_again_once_an_idle_mailbox_syncs_after_an_outage(
    world: FaultWorld,
) -> None:
    """Nothing arrives after the outage, so no cursor moves: the recovery itself clears
    the error, recorded once, not on every later sync."""
    set_the_scene(world)
    world.steps(minutes=3)
    world.fail("server_error")
    world.step()
    assert world.account_status()["state"] == "backing_off"
    world.heal()
    world.steps(minutes=5)  # past the one-minute pause: the next sync succeeds
    account = world.status_json()
    assert (account["state"], account["last_error"]) == ("ok", None)
    world.steps(minutes=10)
    assert len(world.events("account.sync_recovered")) == 1
    assert world.account_status()["state"] == "ok"


@pytest.mark.parametrize("world", ["google", "outlook"], indirect=True)
def test_foreground_sync_says_the_account_is_backing_off(world: FaultWorld) -> None:
    set_the_scene(world)
    world.fail("rate_limit", retry_after=LONG_RETRY_AFTER)
    world.step()
    until = world.account_status()["backing_off_until"]
    before = world.requests()
    text = world.cli("sync")
    assert f"backing off until {until}" in text
    assert "429" in text
    [entry] = json.loads(world.cli("sync", "--json"))
    assert (entry["backing_off_until"], entry["pages"]) == (until, 0)
    assert "429" in entry["reason"]
    # Named explicitly, the account could not be synced: a script learns it (EX_TEMPFAIL).
    assert "backing off" in world.cli("sync", world.account_email(), exit_code=75)
    assert world.requests() == before  # the pause is honoured: nothing was asked

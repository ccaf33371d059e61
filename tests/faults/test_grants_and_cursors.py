"""A revoked grant, and sync cursors the provider no longer honours, met by the worker."""

from __future__ import annotations

import pytest

from tests.faults.worlds import FaultWorld, Outcome, finish_the_story, set_the_scene, things_happen

COMMANDS = {
    "google": "outreach connect google user@sandbox.example",
    "outlook": "outreach connect microsoft",
}


def test_status_names_the_reconnect_command_whole_in_80_columns(world: FaultWorld) -> None:
    set_the_scene(world)
    world.revoke()
    world.steps(minutes=3)
    text = world.cli("status", columns=80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80, text
    assert "…" not in text, text  # no cell cut short
    assert f"    {COMMANDS[world.name]}" in lines, text  # whole, ready to copy
    # The account's row of the table (the command is on a line of its own below it).
    # The table row (indented), not the line naming the problem below the table.
    [row] = [line for line in lines if line.startswith(f"  {world.account_email()} ")]
    assert "needs reconnect" in row
    assert world.status_json()["command"] == COMMANDS[world.name]


def test_revoked_grant_asks_to_reconnect_once_and_resumes_after(
    world: FaultWorld, expected: Outcome
) -> None:
    set_the_scene(world)
    requests, tokens = world.requests(), world.tokens()
    world.revoke()
    things_happen(world)
    world.steps(minutes=30)
    account = world.account_status()
    # (1) Status names the fix, in JSON and in the table.
    assert account["state"] == "needs_reconnect"
    assert account["command"] == COMMANDS[world.name]
    assert world.status_json()["command"] == COMMANDS[world.name]
    assert f"    {COMMANDS[world.name]}\n" in world.status_cli()  # on a line of its own
    # (2) Half an hour of steps cost one refused refresh and the one call that found the
    # token dead; nothing more until the user reconnects.
    assert world.tokens() - tokens <= 1
    assert world.requests() - requests <= 1
    assert world.events("account.needs_reconnect") != []
    # (3) Reconnected, the worker resumes from its cursors: each fact once.
    world.reconnect()
    world.steps(minutes=3)
    assert world.account_status()["state"] == "ok"
    assert finish_the_story(world) == expected


# Faults the adapters absorb within one pass: a full resync for an expired cursor, a
# throttled batch part fetched again alone. Each kept up for ten minutes.
ABSORBED = [
    pytest.param("google", "gmail.users.history.list", "history_expired", id="google-history"),
    pytest.param("google", "calendar.events.list", "sync_token_expired", id="google-calendar"),
    pytest.param("google", "gmail.users.messages.get", "batch_part_429", id="google-batch-429"),
    pytest.param("outlook", "graph.messages.delta", "delta_expired", id="outlook-mail-delta"),
    pytest.param("outlook", "graph.calendarView.delta", "delta_expired", id="outlook-cal-delta"),
]


@pytest.mark.parametrize(("world", "method", "kind"), ABSORBED, indirect=["world"])
def test_absorbed_faults_cost_one_resync_per_pass_and_never_loop(
    world: FaultWorld, expected: Outcome, method: str, kind: str
) -> None:
    set_the_scene(world)
    world.steps(minutes=2)
    before = world.requests()
    world.steps(minutes=5)
    idle = (world.requests() - before) / 5  # what a quiet pass costs
    things_happen(world)
    before = world.requests()
    for _ in range(10):
        # The cursor (or a batch part) fails once in every pass: the emulator's expiry
        # faults answer any matching call, the full resync's too, so they come one a pass.
        world.sandbox.faults.add(world.provider_key, method, kind, times=1)
        world.step()
        # Nothing for the user to do: status shows no problem while the cursors expire.
        account = world.account_status()
        assert (account["state"], account["last_error"]) == ("ok", None)
    per_pass = (world.requests() - before) / 10
    # A full resync of a small mailbox each pass, bounded: never a loop of resyncs.
    assert per_pass <= idle + 12, (idle, per_pass)
    assert finish_the_story(world) == expected

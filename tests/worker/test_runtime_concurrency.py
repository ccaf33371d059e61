"""The same action delivered twice at the same moment is still done once."""

from __future__ import annotations

import threading

from tests.worker.world import World


def test_two_threads_running_one_outreach_action_make_one_draft(world: World) -> None:
    world.add("Ada Lovelace", "ada@analytical.example")
    action = world.one_due("draft_outreach")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        outcomes.append(world.runtime.perform(action.to_message()))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["already done", "done"]
    drafts = [d for d in world.mail()["drafts"] if "ada@analytical.example" in str(d["headers"])]
    assert len(drafts) == 1
    assert len(world.events("outreach.drafted")) == 1

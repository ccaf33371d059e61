"""An answer about times the worker cannot read as one offered time, and a "no": the
pipeline and the daily summary tell the user, with the start of what they wrote; the
user schedules the time they read; a "no" is only ever suggested for `outreach close`."""

from __future__ import annotations

from events.projections.meetings import MeetingRow
from events.projections.pipeline import next_step
from tests.worker.world import World
from worker.domain.policies.summary import daily_summary
from worker.services.invitations import invite, plan, scheduling_account
from worker.services.tick import load_summary_snapshot

ADA = "ada@analytical.example"
LONG = (
    "Thanks so much for the options! None of those quite work with my travel, but could "
    "we do Thursday the 12th at 4pm instead? Otherwise the week after is wide open."
)


def summary_body(w: World) -> str:
    now = w.clock.now()
    found = daily_summary(load_summary_snapshot(w.app, now), now, w.app.settings.policy)
    assert found is not None
    return found.body


def test_an_answer_proposing_another_time_is_shown_and_the_typed_time_scheduled(
    world: World,
) -> None:
    w = world
    w.outreach_sent("Ada Lovelace", ADA)
    w.reply(ADA, "Happy to talk! When suits you?")
    w.perform("draft_times")
    [draft] = [d for d in w.drafts() if d.kind == "propose_times"]
    w.user_sends(draft)
    assert next_step(w.contact(ADA)) == "times offered: wait for their answer"
    w.later(hours=2)
    w.reply(ADA, LONG)
    w.perform("read_times_answer")
    [answer] = w.events("times.answered")
    assert answer["outcome"] == "unclear"  # nothing guessed

    step = next_step(w.contact(ADA))
    assert step.startswith('they answered about times: "Thanks so much for the options!')
    assert "…" in step  # a short excerpt
    assert "Otherwise the week after" not in step
    assert f"outreach schedule {ADA} WHEN" in step
    body = summary_body(w)
    assert "Answers about times:\n- Ada Lovelace: they answered about times" in body

    # The user reads "Thursday the 12th at 4pm" and types it.
    person, request = plan(w.app, ADA, "2026-03-12 16:00", minutes=30)
    account = scheduling_account(w.app)
    invite(w.app, w.provider_for(account), account, person, request)
    w.app.projector.catch_up()
    assert w.contact(ADA).stage == "scheduled"
    [meeting] = w.app.projector.rows(MeetingRow)
    assert meeting.start == "2026-03-12T16:00:00+00:00"
    assert "they answered about times" not in next_step(w.contact(ADA))


def test_a_no_is_suggested_for_closing_never_closed(world: World) -> None:
    w = world
    w.outreach_sent("Ada Lovelace", ADA)
    w.reply(ADA, "Thanks for thinking of me, but I'll have to pass for now.")
    outcome = w.runtime.perform(w.one_due("draft_times").to_message())
    assert "no" in outcome  # skipped, saying why
    assert not [d for d in w.drafts() if d.kind == "propose_times"]  # no times offered
    row = w.contact(ADA)
    assert row.closed is None
    assert next_step(row) == (
        "their answer reads as a no: \"Thanks for thinking of me, but I'll have to pass "
        f'for now."; if so, outreach close {ADA} --declined'
    )
    assert f"outreach close {ADA} --declined" in summary_body(w)
    w.later(days=1)
    assert not w.due("draft_times")  # read once: nothing offered later either
    assert w.contact(ADA).closed is None

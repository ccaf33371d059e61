"""Outlook delta sync: its cost on an unchanged mailbox, expired tokens, replays, paging,
delivery reports, the calendar window and time zones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integrations.microsoft.errors import DeltaExpired
from integrations.microsoft.sync import CALENDAR_WINDOW, DRAFTS_CURSOR
from integrations.protocol import EventRequest
from tests.integrations.contract import BERLIN, CONTACT, outgoing, sync_all

from .conftest import OutlookEnv


def _request(env: OutlookEnv, days: int = 3) -> EventRequest:
    start = (env.now + timedelta(days=days)).astimezone(BERLIN).replace(hour=10, minute=0)
    return EventRequest(
        summary="Informational interview",
        start=start,
        end=start + timedelta(minutes=30),
        time_zone="Europe/Berlin",
        attendees=[CONTACT],
        request_id=f"meeting-{days}",
    )


def test_an_unchanged_mailbox_costs_three_requests(env: OutlookEnv) -> None:
    env.emulator.set_sent_copy_delay(0)  # else the copy reaching Sent Items is a change
    env.provider.send_message(outgoing(1))
    env.provider.create_event(_request(env))
    batch = sync_all(env.provider, {}, {CONTACT})
    assert DRAFTS_CURSOR in batch.cursors
    env.sandbox.accounting.reset()
    again = env.provider.sync(batch.cursors, {CONTACT})
    assert (again.messages, again.events, again.drafts_gone) == ([], [], [])
    assert env.graph_requests() == 3
    assert env.graph_requests("graph.messages.delta") == 2
    assert env.graph_requests("graph.calendarView.delta") == 1
    # Drafts are asked again once the interval has passed, even with nothing changed.
    env.sandbox.clock.advance(timedelta(minutes=16))
    env.sandbox.accounting.reset()
    env.provider.sync(again.cursors, {CONTACT})
    assert env.graph_requests() == 4


def test_a_draft_deleted_alone_is_reported_within_the_interval(env: OutlookEnv) -> None:
    draft = env.provider.create_draft(outgoing(2))
    batch = sync_all(env.provider, {}, {CONTACT})
    env.emulator.delete_draft_in_outlook(draft.provider_draft_id)
    assert env.provider.sync(batch.cursors, {CONTACT}).drafts_gone == []
    env.sandbox.clock.advance(timedelta(minutes=15))
    later = env.provider.sync(batch.cursors, {CONTACT})
    assert [d.provider_draft_id for d in later.drafts_gone] == [draft.provider_draft_id]


def test_drafts_made_only_to_send_are_not_reported_gone(env: OutlookEnv) -> None:
    env.emulator.set_sent_copy_delay(0)
    batch = sync_all(env.provider, {}, {CONTACT})
    env.provider.send_message(outgoing(3))
    later = sync_all(env.provider, batch.cursors, {CONTACT})
    assert later.drafts_gone == []
    assert [m.message_id for m in later.messages] == [outgoing(3).message_id]


def test_expired_delta_tokens_cost_one_full_resync_each(env: OutlookEnv) -> None:
    env.emulator.set_sent_copy_delay(0)
    env.provider.send_message(outgoing(4))
    env.emulator.deliver(CONTACT, "Hello", "Hi")
    batch = sync_all(env.provider, {}, {CONTACT})
    env.emulator.expire_delta_tokens()
    env.sandbox.accounting.reset()
    later = env.provider.sync(batch.cursors, {CONTACT})
    assert env.provider.resyncs == {
        "graph.inbox": 1,
        "graph.sentitems": 1,
        "graph.calendar": 1,
        "graph.drafts": 1,  # asked because the mail folders came back with items
    }
    # Each expired resource: one refused request, one fresh start, and never more.
    assert env.graph_requests() == 8
    assert sorted(m.subject for m in later.messages) == ["Coffee chat?", "Hello"]
    assert env.provider.sync(later.cursors, {CONTACT}).messages == []


def test_a_fresh_start_that_is_refused_is_not_retried_in_a_loop(env: OutlookEnv) -> None:
    batch = sync_all(env.provider, {}, {CONTACT})
    env.sandbox.faults.add("microsoft", "graph.messages.delta", "delta_expired", times=50)
    env.sandbox.accounting.reset()
    with pytest.raises(DeltaExpired):
        env.provider.sync(batch.cursors, {CONTACT})
    assert env.graph_requests("graph.messages.delta") == 2
    assert env.provider.resyncs == {"graph.inbox": 1}


def test_a_replayed_round_is_not_reported_twice(env: OutlookEnv) -> None:
    batch = sync_all(env.provider, {}, {CONTACT})
    env.emulator.deliver(CONTACT, "First", "One")
    later = env.provider.sync(batch.cursors, {CONTACT})
    assert [m.subject for m in later.messages] == ["First"]
    env.emulator.replay_next_delta("inbox")
    env.emulator.deliver(CONTACT, "Second", "Two")
    # The round is repeated (First again) and carries on to what is new (Second).
    replayed = env.provider.sync(later.cursors, {CONTACT})
    assert [m.subject for m in replayed.messages] == ["Second"]
    assert env.provider.sync(replayed.cursors, {CONTACT}).messages == []


def test_a_large_first_sync_pages_and_resumes(env: OutlookEnv) -> None:
    env.emulator.seed(30)
    for n in range(5):
        env.emulator.deliver(CONTACT, f"Note {n}", "Hi")
    small = env.another(page_size=10, pages_per_sync=2)
    first = small.sync({}, {CONTACT})
    assert first.incomplete
    batch = sync_all(small, first.cursors, {CONTACT})
    seen = sorted(m.subject for m in first.messages + batch.messages)
    assert seen == [f"Note {n}" for n in range(5)]
    assert not batch.incomplete


def test_a_first_sync_over_several_calls_asks_the_rest_only_at_its_ends(
    env: OutlookEnv,
) -> None:
    env.emulator.seed(95)
    env.emulator.deliver(CONTACT, "Hello", "Hi")
    small = env.another(page_size=10, pages_per_sync=2)
    env.sandbox.accounting.reset()
    batch = sync_all(small, {}, {CONTACT})
    assert [m.subject for m in batch.messages] == ["Hello"]
    # 10 Inbox pages and 1 Sent Items page, over five calls; Drafts once at the start;
    # the calendar at the start and at the end. Asked at every call, the caught-up
    # folders would have cost 3 more requests per call.
    assert env.graph_requests("graph.messages.delta") == 10 + 1 + 1
    assert env.graph_requests("graph.calendarView.delta") == 2


def test_auto_replies_and_bounces_keep_their_headers(env: OutlookEnv) -> None:
    sent = env.provider.send_message(outgoing(5))
    batch = sync_all(env.provider, {}, {CONTACT})
    env.emulator.deliver_out_of_office(sent.message_id)
    env.emulator.deliver_bounce(sent.message_id)
    later = sync_all(env.provider, batch.cursors, {CONTACT})
    auto, bounce = later.messages
    assert auto.headers["auto-submitted"] == "auto-replied"
    assert auto.in_reply_to == sent.message_id
    assert auto.thread_id == sent.thread_id
    # The bounce comes from postmaster, not the contact: kept as a delivery report.
    assert bounce.from_address.startswith("postmaster@")
    assert bounce.headers["content-type"].startswith("multipart/report")
    assert bounce.in_reply_to == sent.message_id


def test_events_are_seen_in_their_own_zone_whatever_graph_renders(env: OutlookEnv) -> None:
    new_york = env.another(time_zone="America/New_York")
    request = _request(env)
    event_id = new_york.create_event(request).provider_event_id
    [seen] = sync_all(new_york, {}, {CONTACT}).events
    assert seen.provider_event_id == event_id
    assert seen.start == request.start
    assert seen.start is not None
    assert seen.start.utcoffset() == timedelta(hours=1)
    assert seen.time_zone == "Europe/Berlin"
    assert seen.location == ""
    assert seen.summary == "Informational interview"


def test_cancelled_and_declined_events_are_reported(env: OutlookEnv) -> None:
    start = env.now + timedelta(days=2)
    invite_id = env.contact.invite(CONTACT, "Lunch", start, start + timedelta(hours=1), "UTC")
    batch = sync_all(env.provider, {}, {CONTACT})
    env.emulator.cancel_event(invite_id)
    [cancelled] = sync_all(env.provider, batch.cursors, {CONTACT}).events
    assert cancelled.status == "cancelled"


def test_the_calendar_window_is_renewed_once_it_lags_a_week(env: OutlookEnv) -> None:
    batch = sync_all(env.provider, {}, {CONTACT})
    window = batch.cursors[CALENDAR_WINDOW]
    env.sandbox.clock.advance(timedelta(days=6))
    later = sync_all(env.provider, batch.cursors, {CONTACT})
    assert later.cursors[CALENDAR_WINDOW] == window
    far = env.now + timedelta(days=184)  # beyond the first window, inside the renewed one
    env.contact.invite(CONTACT, "Far away", far, far + timedelta(hours=1), "UTC")
    env.sandbox.clock.advance(timedelta(days=2))
    renewed = sync_all(env.provider, later.cursors, {CONTACT})
    assert renewed.cursors[CALENDAR_WINDOW] != window
    assert [e.summary for e in renewed.events] == ["Far away"]


# @removed is not "cancelled", and leaving Drafts is not "discarded" ------------------------
def test_a_meeting_moved_out_of_the_window_is_rescheduled_not_cancelled(
    env: OutlookEnv,
) -> None:
    """Graph's calendar delta says @removed for an event moved outside the window too."""
    start = env.now + timedelta(days=5)
    event_id = env.contact.invite(CONTACT, "Coffee", start, start + timedelta(hours=1), "UTC")
    batch = sync_all(env.provider, {}, {CONTACT})
    far = env.now + timedelta(days=200)  # past the window frozen in the delta token
    env.emulator.reschedule(event_id, far, far + timedelta(hours=1))
    later = sync_all(env.provider, batch.cursors, {CONTACT})
    [seen] = [e for e in later.events if e.provider_event_id == event_id]
    assert seen.status == "confirmed"
    assert seen.start == far


def test_a_deleted_meeting_is_reported_cancelled(env: OutlookEnv) -> None:
    event_id = env.provider.create_event(_request(env)).provider_event_id
    batch = sync_all(env.provider, {}, {CONTACT})
    env.provider.graph.call("DELETE", f"/me/events/{event_id}", what="graph.events.delete")
    later = sync_all(env.provider, batch.cursors, {CONTACT})
    assert [(e.provider_event_id, e.status) for e in later.events] == [(event_id, "cancelled")]


def test_a_draft_sent_from_outlook_waiting_in_the_outbox_is_not_discarded(
    env: OutlookEnv,
) -> None:
    """Sent drafts wait in the Outbox before their copy reaches Sent Items."""
    env.emulator.set_sent_copy_delay(30 * 60)
    draft = env.provider.create_draft(outgoing(40))
    deleted = env.provider.create_draft(outgoing(41))
    batch = sync_all(env.provider, {}, {CONTACT})
    env.emulator.send_draft_in_outlook(draft.provider_draft_id)
    env.emulator.delete_draft_in_outlook(deleted.provider_draft_id)
    env.sandbox.clock.advance(timedelta(minutes=16))  # Drafts is due again
    meanwhile = sync_all(env.provider, batch.cursors, {CONTACT})
    assert [d.provider_draft_id for d in meanwhile.drafts_gone] == [deleted.provider_draft_id]
    assert meanwhile.messages == []  # still in the Outbox
    env.sandbox.clock.advance(timedelta(minutes=16))
    later = sync_all(env.provider, meanwhile.cursors, {CONTACT})
    assert [m.message_id for m in later.messages if m.sent_by_user] == [draft.message_id]
    assert later.drafts_gone == []


def test_sent_copies_carry_no_internet_headers_and_nothing_needs_them(env: OutlookEnv) -> None:
    env.emulator.set_sent_copy_delay(0)
    first = env.provider.send_message(outgoing(50))
    assert first.thread_id
    reply_id = env.contact.reply(first.thread_id, CONTACT, "Sure.")
    batch = sync_all(env.provider, {}, {CONTACT})
    follow = env.provider.send_message(outgoing(51, thread_id=first.thread_id))
    listed = env.provider.graph.get(
        "/me/mailFolders/sentitems/messages",
        what="graph.messages.list",
        params={"$select": "id,internetMessageHeaders"},
    )
    assert [m.get("internetMessageHeaders") or [] for m in listed["value"]] == [[], []]
    later = sync_all(env.provider, batch.cursors, {CONTACT})
    [mine] = later.messages
    assert (mine.message_id, mine.thread_id, mine.to) == (
        follow.message_id,
        first.thread_id,
        [CONTACT],
    )
    assert mine.sent_by_user
    assert reply_id  # the reply was received with its headers: in the first batch
    assert [m.in_reply_to for m in batch.messages if not m.sent_by_user] == [first.message_id]


def test_an_online_meeting_reports_its_join_link_and_the_users_answer(env: OutlookEnv) -> None:
    """onlineMeeting.joinUrl is the link a confirmation gives; the user's own
    responseStatus says whether they accepted the invitation yet."""
    start = env.now + timedelta(days=2)
    join = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0"
    env.emulator.invite(CONTACT, "Call", start, start + timedelta(minutes=30), "UTC", join_url=join)
    [seen] = sync_all(env.provider, {}, {CONTACT}).events
    assert seen.link == join
    assert seen.attendees[env.provider.email.lower()] == "needsAction"

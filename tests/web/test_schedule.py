"""Inviting someone from their page in real Chromium: at a time offered to them (the one
they chose already chosen) or at a time typed; the calendar holds exactly that event with
them invited, the log the meeting; by keyboard alone; axe-clean; refused without CSRF."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.web.conftest import ADA, PageWorld, screenshots_dir
from tests.web.test_browser import _axe_problems, _enter_on, _notice, _press
from tests.worker.world import ZONE

Browser = webdriver.Chrome
LONDON = ZoneInfo(ZONE)


def _events(world: PageWorld) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = world.sandbox.google.calendar_state()["events"]
    return found


def _attendees(event: dict[str, Any]) -> list[str]:
    return [str(a["email"]) for a in event.get("attendees", [])]


def _start(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(event["start"]["dateTime"]).replace("Z", "+00:00"))


def _offered_and_chosen(world: PageWorld) -> list[datetime]:
    """Ada replied, three times were offered in the thread, and she chose the second."""
    world.outreach_sent("Ada Lovelace", ADA)
    world.later(hours=1)
    world.reply(ADA, "Happy to talk! When suits you?")
    world.perform("draft_times")
    [draft] = [d for d in world.drafts() if d.kind == "propose_times"]
    world.user_sends(draft)
    world.later(hours=2)
    world.reply(ADA, "The second one works for me. Looking forward to it!")
    world.perform("read_times_answer")
    cid = world.contact(ADA).contact_id
    [offer] = [e for e in world.events("times.offered") if e["contact_id"] == cid]
    return [datetime.fromisoformat(s) for s in offer["starts"]]


def test_invite_at_the_time_they_chose_by_keyboard(
    world: PageWorld, browser_on: Browser, tmp_path: Path
) -> None:
    starts = _offered_and_chosen(world)
    before = len(_events(world))
    browser_on.get(f"{world.url}/people/{world.contact(ADA).contact_id}")
    assert _axe_problems(browser_on) == []
    section = browser_on.find_element(By.CSS_SELECTOR, "section[aria-labelledby='sched-h']")
    radios = section.find_elements(By.CSS_SELECTOR, "input[name='offered']")
    assert [r.get_attribute("value") for r in radios] == ["1", "2", "3"]
    assert [r.is_selected() for r in radios] == [False, True, False]
    assert "(the one they chose)" in section.text
    assert "They chose time 2 of those offered." in browser_on.find_element(By.ID, "main").text
    browser_on.execute_script("arguments[0].scrollIntoView()", section)
    browser_on.save_screenshot(str(screenshots_dir(tmp_path) / "schedule-wide.png"))
    # Keyboard alone: Tab to the button under the offered times, Enter.
    _enter_on(browser_on, "button", "Invite at this time")
    assert "Invited Ada Lovelace for" in _notice(browser_on)
    [event] = _events(world)[before:]
    assert _attendees(event) == [ADA]
    assert _start(event) == starts[1]
    [scheduled] = world.events("meeting.scheduled")
    assert scheduled["start"] == starts[1]
    assert scheduled["contact_id"] == world.contact(ADA).contact_id
    # Now on record: the page shows the meeting to prepare for.
    assert "The meeting" in browser_on.find_element(By.ID, "brief").text


def test_invite_at_a_time_typed(world: PageWorld, browser_on: Browser) -> None:
    world.outreach_sent("Ada Lovelace", ADA)
    browser_on.get(f"{world.url}/people/{world.contact(ADA).contact_id}")
    section = browser_on.find_element(By.CSS_SELECTOR, "section[aria-labelledby='sched-h']")
    assert section.find_elements(By.CSS_SELECTOR, "input[name='offered']") == []
    when = (
        (world.clock.now() + timedelta(days=3))
        .astimezone(LONDON)
        .replace(hour=15, minute=30, second=0, microsecond=0)
    )
    # A date and time field takes its parts typed in the browser's locale (en-US here).
    field = browser_on.find_element(By.ID, "sched-when")
    field.send_keys(f"{when:%m%d%Y}", Keys.TAB, f"{when:%I%M%p}")
    assert field.get_attribute("value") == f"{when:%Y-%m-%dT%H:%M}"
    minutes = browser_on.find_element(By.ID, "sched-minutes")
    minutes.clear()
    minutes.send_keys("45")
    browser_on.find_element(By.ID, "sched-place").send_keys("The British Library, Euston Road")
    _press(section, ".//button[.='Invite']")
    assert "Invited Ada Lovelace for" in _notice(browser_on)
    [event] = _events(world)
    assert _attendees(event) == [ADA]
    assert _start(event) == when
    assert event["location"] == "The British Library, Euston Road"
    [scheduled] = world.events("meeting.scheduled")
    assert scheduled["end"] - scheduled["start"] == timedelta(minutes=45)


def test_a_time_in_the_past_is_refused_in_one_line(world: PageWorld, browser_on: Browser) -> None:
    world.outreach_sent("Ada Lovelace", ADA)
    browser_on.get(f"{world.url}/people/{world.contact(ADA).contact_id}")
    field = browser_on.find_element(By.ID, "sched-when")
    gone = (world.clock.now() - timedelta(days=2)).astimezone(LONDON)
    field.send_keys(f"{gone:%m%d%Y}", Keys.TAB, "1000AM")
    _press(browser_on, "//section[@aria-labelledby='sched-h']//button[.='Invite']")
    assert "is in the past" in _notice(browser_on)
    assert _events(world) == []
    assert world.events("meeting.scheduled") == []


def test_scheduling_needs_the_csrf_token(world: PageWorld) -> None:
    world.outreach_sent("Ada Lovelace", ADA)
    cid = world.contact(ADA).contact_id
    when = (world.clock.now() + timedelta(days=3)).astimezone(LONDON)
    http = world.http()
    http.get(world.served.sign_in_url(), timeout=10)
    refused = http.post(
        f"{world.url}/people/{cid}/schedule",
        data={"when": f"{when:%Y-%m-%dT10:00}", "minutes": "30"},
        allow_redirects=False,
        timeout=10,
    )
    assert refused.status_code == 403
    assert _events(world) == []
    assert world.events("meeting.scheduled") == []


def test_an_offered_time_booked_since_is_refused(world: PageWorld, browser_on: Browser) -> None:
    starts = _offered_and_chosen(world)
    # After her answer was read, the user books the time she chose for something else.
    world.sandbox.google.user_adds_event(
        summary="Team lunch", start=starts[1], end=starts[1] + timedelta(hours=1)
    )
    before = len(_events(world))
    browser_on.get(f"{world.url}/people/{world.contact(ADA).contact_id}")
    _press(browser_on, "//button[.='Invite at this time']")
    assert "that time is no longer free in your calendar" in _notice(browser_on)
    assert len(_events(world)) == before
    assert world.events("meeting.scheduled") == []

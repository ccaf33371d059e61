"""Today shows the first few of each list and links to the rest, a page at a time, in
real Chromium: with many drafts waiting and many introductions open, the page stays short,
every item is reachable, and the list pages pass axe and work by keyboard."""

from __future__ import annotations

import re
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By

from tests.web.conftest import PageWorld, screenshots_dir
from tests.web.test_browser import _axe_problems, _enter_on, _follow, _notice
from worker.services.contacts import NewContact
from worker.services.today import LIST_PAGE, PAGE, SHOWN

Browser = webdriver.Chrome


def _section(browser: Browser, heading: str) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, f"section[aria-labelledby='{heading}']").text)


def _introduced(browser: Browser) -> list[str]:
    """The people shown as introduced, in order."""
    items = browser.find_elements(By.CSS_SELECTOR, "main ul.plain li")
    found = []
    for li in items:
        said = re.search(r"suggested (.+)\.$", li.text)
        if said:
            found.append(said[1])
    return found


def test_introductions_a_few_on_today_all_a_page_at_a_time(
    world: PageWorld, browser_on: Browser, tmp_path: Path
) -> None:
    grace = world.book.add(NewContact(name="Grace Hopper", emails=["grace@navy.example"]))
    count = LIST_PAGE + 3
    names = [f"Person {i:03d}" for i in range(count)]
    for name in reversed(names):
        world.book.add(NewContact(name=name, referred_by=grace.contact_id))
    browser_on.get(world.url + "/")
    today = _section(browser_on, "ref-h")
    assert f"Introductions to follow up ({count})" in today
    assert _introduced(browser_on) == names[:SHOWN]  # by name
    assert f"{count - SHOWN} more" in today
    _follow(browser_on.find_element(By.LINK_TEXT, f"Show all {count} introductions"))
    assert _axe_problems(browser_on) == []
    assert _introduced(browser_on) == names[:LIST_PAGE]
    assert "Page 1 of 2" in browser_on.find_element(By.CSS_SELECTOR, "nav.pager").text
    browser_on.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    browser_on.save_screenshot(str(screenshots_dir(tmp_path) / "introductions-wide.png"))
    # The next page by keyboard alone.
    _enter_on(browser_on, "a", "Next page")
    assert browser_on.current_url.endswith("/today/introductions?page=2")
    assert _introduced(browser_on) == names[LIST_PAGE:]
    assert "Page 2 of 2" in browser_on.find_element(By.CSS_SELECTOR, "nav.pager").text
    # A page past the end shows the last one.
    browser_on.get(world.url + "/today/introductions?page=40")
    assert _introduced(browser_on) == names[LIST_PAGE:]


def test_drafts_a_few_on_today_the_rest_on_their_pages_and_sent_from_there(
    world: PageWorld, browser_on: Browser
) -> None:
    count = PAGE + 2
    for i in range(count):
        world.add(f"Person {i:02d}", f"person{i:02d}@example.org", how_we_know="a meetup")
        # One first message a day (the daily cap): each prepared on its own day.
        world.perform("draft_outreach")
        world.later(days=1)
    waiting = world.drafts()
    assert len(waiting) == count
    browser_on.get(world.url + "/")
    assert len(browser_on.find_elements(By.CSS_SELECTOR, "article.draft")) == SHOWN
    assert f"Messages waiting for you ({count})" in _section(browser_on, "drafts-h")
    _follow(browser_on.find_element(By.LINK_TEXT, f"Show all {count} messages waiting"))
    assert len(browser_on.find_elements(By.CSS_SELECTOR, "article.draft")) == PAGE
    assert _axe_problems(browser_on) == []
    _follow(browser_on.find_element(By.LINK_TEXT, "Next page"))
    assert browser_on.current_url.endswith("/today/drafts?page=2")
    drafts = browser_on.find_elements(By.CSS_SELECTOR, "article.draft")
    assert len(drafts) == count - PAGE
    # The oldest first: the last page holds the newest; sending one comes back here.
    assert "Person 11" in drafts[-1].text
    _follow(drafts[-1].find_element(By.XPATH, ".//button[normalize-space()='Send']"))
    assert "Sent to person11@example.org" in _notice(browser_on)
    assert browser_on.current_url.endswith("/today/drafts?page=2")
    assert len(browser_on.find_elements(By.CSS_SELECTOR, "article.draft")) == 1
    [sent] = world.mail()["sent"]
    assert sent["headers"]["To"] == "person11@example.org"

"""The page in real Chromium: what a user does there reaches the mailbox and the log as the
command line would; hostile text stays text; every page passes axe-core and works by keyboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from integrations.google.provider import GmailProvider
from tests.web.conftest import ADA, GRACE, SIZES, PageWorld, screenshots_dir
from tests.worker.world import ACCOUNT
from worker.services.contacts import NewContact
from worker.services.drafts import DraftReview, editor_text
from worker.services.rendering import Renderer

Browser = webdriver.Chrome
HOW = "We met at the Women in Computing meetup in Leeds"

#: Markup, script and template syntax in the places people's text reaches the page.
HOSTILE = (
    "<script>alert('name')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(2)>",
    "{{ 7 * 7 }} {% raw %}",
    "javascript:alert(3)",
    "</textarea><b id=injected>bold</b>",
)


def _follow(element: WebElement) -> None:
    """Click a button or link and wait for the page it leads to."""
    browser = element.parent
    old = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 15).until(staleness_of(old))
    # The old page gone is not the new one loaded: an element found while it still
    # loads can belong to a document about to be replaced ("Node with given id does
    # not belong to the document", seen once in a full run).
    WebDriverWait(browser, 15).until(
        lambda b: b.execute_script("return document.readyState") == "complete"
    )


def _press(scope: Browser | WebElement, xpath: str) -> None:
    _follow(scope.find_element(By.XPATH, xpath))


def _draft_form(browser: Browser) -> WebElement:
    return browser.find_element(By.CSS_SELECTOR, "article.draft form")


def _notice(browser: Browser) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, ".notices").text)


def _sent(world: PageWorld) -> list[dict[str, Any]]:
    """The sandbox mailbox's sent messages, their text with the line ends a page shows."""
    found: list[dict[str, Any]] = world.mail()["sent"]
    return [{**m, "text": m["text"].replace("\r\n", "\n")} for m in found]


def test_send_a_draft_sends_exactly_that_message(world: PageWorld, browser: Browser) -> None:
    world.outreach_draft("Ada Lovelace", ADA, company="Analytical Engines", how_we_know=HOW)
    [draft] = world.drafts()
    browser.delete_all_cookies()
    browser.get(world.served.sign_in_url())
    form = _draft_form(browser)
    shown = form.find_element(By.NAME, "body").get_attribute("value") or ""
    subject = form.find_element(By.NAME, "subject").get_attribute("value")
    assert "Analytical Engines" in shown
    _press(form, ".//button[normalize-space()='Send']")
    assert "Sent to ada@analytical.example" in _notice(browser)
    [sent] = _sent(world)
    assert sent["headers"]["To"] == ADA
    assert sent["headers"]["Subject"] == subject
    assert sent["text"].strip() == shown.strip()
    assert world.drafts(None)[0].status == "sent"
    assert world.mail()["drafts"] == []
    assert "Nothing waits for your review" in browser.page_source
    assert draft.draft_id not in browser.page_source


def test_edit_then_send_sends_the_edit(world: PageWorld, browser_on: Browser) -> None:
    world.outreach_draft("Ada Lovelace", ADA, how_we_know=HOW)
    browser_on.get(world.url + "/")
    form = _draft_form(browser_on)
    body = form.find_element(By.NAME, "body")
    body.clear()
    body.send_keys("Dear Ada,\n\nA shorter note, in my own words.\n\nSam")
    subject = form.find_element(By.NAME, "subject")
    subject.clear()
    subject.send_keys("Fifteen minutes about your path?")
    _press(form, ".//button[normalize-space()='Send']")
    # The edit is saved, but it no longer says who Sam is nor asks for a short call:
    # the etiquette check holds it until the user chooses to send it as it is.
    assert "edit it" in _notice(browser_on)
    assert _sent(world) == []
    findings = browser_on.find_element(By.CSS_SELECTOR, ".findings").text
    assert "Before you send" in findings
    form = _draft_form(browser_on)
    assert "in my own words" in (form.find_element(By.NAME, "body").get_attribute("value") or "")
    form.find_element(By.NAME, "anyway").click()
    _press(form, ".//button[normalize-space()='Send']")
    assert "Sent to" in _notice(browser_on)
    [sent] = _sent(world)
    assert sent["headers"]["Subject"] == "Fifteen minutes about your path?"
    assert sent["text"].strip() == "Dear Ada,\n\nA shorter note, in my own words.\n\nSam"
    assert len(world.events("draft.updated")) == 1


def test_save_then_discard(world: PageWorld, browser_on: Browser) -> None:
    world.outreach_draft("Ada Lovelace", ADA, how_we_know=HOW)
    browser_on.get(world.url + "/")
    body = _draft_form(browser_on).find_element(By.NAME, "body")
    body.send_keys(Keys.CONTROL, Keys.END)
    body.send_keys("\nP.S. I read your notes on the engine.")
    _press(_draft_form(browser_on), ".//button[.='Save changes']")
    assert "Saved in your mailbox" in _notice(browser_on)
    # Read back from the mailbox: the page shows the saved text.
    shown = _draft_form(browser_on).find_element(By.NAME, "body").get_attribute("value") or ""
    assert "P.S. I read your notes on the engine." in shown
    [mailbox] = world.mail()["drafts"]
    assert "P.S. I read your notes on the engine." in mailbox["text"]
    _press(_draft_form(browser_on), ".//button[.='Discard']")
    assert "Discarded" in _notice(browser_on)
    assert world.mail()["drafts"] == []
    assert _sent(world) == []


def test_notes_make_the_thank_you(world: PageWorld, browser_on: Browser) -> None:
    world.met("Grace Hopper", GRACE, company="US Navy")
    browser_on.get(world.url + "/")
    assert "You met Grace Hopper" in browser_on.find_element(By.TAG_NAME, "main").text
    form = browser_on.find_element(By.CSS_SELECTOR, "form[action$='/notes']")
    form.find_element(By.NAME, "takeaway").send_keys(
        "Debugging is a habit of asking what the machine actually did"
    )
    form.find_element(By.NAME, "people").send_keys("Alan Turing <alan@bletchley.example>")
    form.find_element(By.NAME, "keep_in_touch").click()
    _press(form, ".//button[.='Save notes']")
    notice = _notice(browser_on)
    assert "Notes on Grace Hopper recorded" in notice
    assert "Added Alan Turing" in notice
    assert world.contact("alan@bletchley.example").referred_by == world.contact(GRACE).contact_id
    # The worker prepares the thank-you from the notes; the page shows it for review.
    world.perform("draft_thank_you")
    browser_on.get(world.url + "/")
    body = _draft_form(browser_on).find_element(By.NAME, "body").get_attribute("value") or ""
    assert "Debugging is a habit of asking what the machine actually did." in body
    assert "Alan" in body
    assert "Grace Hopper suggested Alan Turing" in browser_on.find_element(By.TAG_NAME, "main").text


def test_close_takes_a_person_off_the_active_board(world: PageWorld, browser_on: Browser) -> None:
    world.add("Ada Lovelace", ADA, company="Analytical Engines")
    world.add("Grace Hopper", GRACE)
    browser_on.get(f"{world.url}/people")
    _follow(browser_on.find_element(By.LINK_TEXT, "Ada Lovelace"))
    browser_on.find_element(By.ID, "c-declined").click()
    browser_on.find_element(By.ID, "c-note").send_keys("Not hiring juniors this year")
    _press(browser_on, "//button[.='Close']")
    assert "Ada Lovelace is closed" in _notice(browser_on)
    assert world.contact(ADA).closed == "declined"
    browser_on.get(f"{world.url}/people")
    closed = browser_on.find_element(By.CSS_SELECTOR, "section[aria-labelledby='col-closed']")
    assert "Ada Lovelace" in closed.text
    for column in browser_on.find_elements(By.CSS_SELECTOR, "section.column"):
        if column.get_attribute("aria-labelledby") != "col-closed":
            assert "Ada Lovelace" not in column.text
    assert "Grace Hopper" in browser_on.find_element(By.CSS_SELECTOR, ".board").text
    # Reopen from the person's page.
    _follow(browser_on.find_element(By.LINK_TEXT, "Ada Lovelace"))
    _press(browser_on, "//button[.='Reopen']")
    assert world.contact(ADA).closed is None


def test_reach_out_from_a_persons_page_says_what_the_message_waits_for(
    world: PageWorld, browser_on: Browser
) -> None:
    world.book.add(NewContact(name="Ada Lovelace", emails=[ADA], how_we_know=HOW))
    browser_on.get(f"{world.url}/people")
    _follow(browser_on.find_element(By.LINK_TEXT, "Ada Lovelace"))
    _press(browser_on, "//button[.='Reach out']")
    # A mailbox is connected; nothing runs the worker beside this page.
    assert _notice(browser_on) == (
        "Ada Lovelace: their first message will be prepared for your review once the "
        "worker runs: `outreach run`."
    )
    assert world.contact(ADA).stage == "to_write"


def test_import_a_linkedin_export(world: PageWorld, browser_on: Browser, tmp_path: Path) -> None:
    export = tmp_path / "Connections.csv"
    export.write_text(
        "Notes:\n"
        '"When exporting your connection data, you may notice that some of the email '
        'addresses are missing."\n\n'
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Katherine,Johnson,https://www.linkedin.com/in/kjohnson,kj@nasa.example,NASA,"
        "Mathematician,12 Jan 2024\n"
        "Dorothy,Vaughan,https://www.linkedin.com/in/dvaughan,,NASA,Supervisor,3 Feb 2024\n"
    )
    browser_on.get(f"{world.url}/people")
    browser_on.find_element(By.ID, "import-file").send_keys(str(export))
    _press(browser_on, "//button[.='Import']")
    report = browser_on.find_element(By.TAG_NAME, "main").text
    assert "2 new" in report
    assert "1 without an address" in report
    assert {c.name for c in world.book.all()} == {"Katherine Johnson", "Dorothy Vaughan"}
    _follow(browser_on.find_element(By.LINK_TEXT, "See everyone"))
    assert "Katherine Johnson" in browser_on.find_element(By.CSS_SELECTOR, ".board").text
    # The same file again adds nobody.
    browser_on.find_element(By.ID, "import-file").send_keys(str(export))
    _press(browser_on, "//button[.='Import']")
    assert "0 new" in browser_on.find_element(By.TAG_NAME, "main").text
    assert len(world.book.all()) == 2


def _inert(browser: Browser) -> None:
    """Nothing the hostile text said became markup or ran."""
    with pytest.raises(NoAlertPresentException):
        _ = browser.switch_to.alert.text
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert browser.find_elements(By.CSS_SELECTOR, "img[src='x'], #injected, main svg[onload]") == []
    assert browser.execute_script("return window.__pwned === undefined")


def test_hostile_names_and_bodies_render_inert(world: PageWorld, browser_on: Browser) -> None:
    # Mail from a contact: a hostile subject and body in the reply, then in a draft.
    world.outreach_sent("Ada Lovelace", ADA, how_we_know=HOW)
    world.later(days=1)
    world.sandbox.google.deliver_message(
        sender=ADA,
        subject="Re: " + HOSTILE[0],
        body="Happy to talk! " + HOSTILE[5] + " " + HOSTILE[1],
        in_reply_to=world.contact(ADA).last_message_id,
    )
    world.sync()
    world.outreach_draft("Grace Hopper", GRACE, how_we_know=HOW)
    [draft] = world.drafts()
    provider = GmailProvider.from_sandbox(world.endpoints, account_id=ACCOUNT)
    try:
        review = DraftReview(
            world.app, lambda _a: provider, Renderer(world.app.settings.config_dir)
        )
        review.edit(draft, editor_text(HOSTILE[1], "\n".join(HOSTILE)))
    finally:
        provider.close()
    # People's names and details as they may come from an import.
    for i, text in enumerate(HOSTILE):
        world.book.add(NewContact(name=f"{text} {i}", company=text, role=text, how_we_know=text))
    ada = world.contact(ADA).contact_id
    pages = ("/", "/people", f"/people/{ada}", "/progress", "/people?q=%3Cscript")
    for path in pages:
        browser_on.get(world.url + path)
        _inert(browser_on)
    browser_on.get(f"{world.url}/people/{ada}")
    text = browser_on.find_element(By.TAG_NAME, "main").text
    assert HOSTILE[0] in text  # the reply's subject, as text
    assert "Happy to talk! </textarea><b id=injected>bold</b>" in text
    browser_on.get(world.url + "/people")
    board = browser_on.find_element(By.CSS_SELECTOR, ".board").text
    for i, hostile in enumerate(HOSTILE):
        assert f"{hostile} {i}" in board
    browser_on.get(world.url + "/")
    form = _draft_form(browser_on)
    assert form.find_element(By.NAME, "subject").get_attribute("value") == HOSTILE[1]
    body = form.find_element(By.NAME, "body").get_attribute("value") or ""
    assert body.strip() == "\n".join(HOSTILE)


# --- accessibility, keyboard and screenshots ----------------------------------------------


def _axe_problems(browser: Browser) -> list[str]:
    axe = Axe(browser)
    axe.inject()
    results = axe.run()
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _focusable(browser: Browser) -> list[WebElement]:
    found: list[WebElement] = browser.find_elements(
        By.CSS_SELECTOR, "main a[href], main button, main input, main textarea, main summary"
    )
    return [e for e in found if e.is_displayed()]


def _tab_order(browser: Browser, limit: int = 400) -> list[WebElement]:
    """The elements Tab visits, from the top of a freshly loaded page, until it comes round."""
    seen: list[WebElement] = []
    for _ in range(limit):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        current = browser.switch_to.active_element
        if seen and current == seen[0]:
            break
        seen.append(current)
    return seen


def _enter_on(browser: Browser, tag: str, text: str) -> None:
    """Tab from the top of the page to the `tag` showing `text` and press Enter on it, as
    a user without a mouse does; wait for the page it leads to."""
    for element in _tab_order(browser):
        if element.tag_name == tag and element.text == text:
            old = browser.find_element(By.TAG_NAME, "html")
            element.send_keys(Keys.ENTER)
            WebDriverWait(browser, 15).until(staleness_of(old))
            return
    pytest.fail(f"Tab never reached the {tag} {text!r}")


def _story_for_pages(world: PageWorld) -> str:
    """People at several stages, a draft waiting, notes to write; returns a person's id."""
    world.met("Grace Hopper", GRACE, company="US Navy", role="Rear Admiral")
    world.add("Alan Turing", "alan@bletchley.example", company="Bletchley Park")
    world.perform("draft_outreach")
    world.add("Katherine Johnson", "kj@nasa.example", company="NASA")
    return world.contact(GRACE).contact_id


def test_every_page_is_accessible_and_works_by_keyboard(
    world: PageWorld, browser_on: Browser, tmp_path: Path
) -> None:
    grace = _story_for_pages(world)
    shots = screenshots_dir(tmp_path)
    pages = {
        "today": "/",
        "people": "/people",
        "person": f"/people/{grace}",
        "progress": "/progress",
    }
    for label, path in pages.items():
        for size, (width, height) in SIZES.items():
            browser_on.set_window_size(width, height)
            browser_on.get(world.url + path)
            assert _axe_problems(browser_on) == [], (label, size)
            browser_on.execute_script("window.scrollTo(0, 0)")
            browser_on.save_screenshot(str(shots / f"{label}-{size}.png"))
        browser_on.set_window_size(*SIZES["wide"])
        browser_on.get(world.url + path)
        reached = _tab_order(browser_on)
        # A radio group is one Tab stop; the arrow keys move within it.
        groups = {e.get_attribute("name") for e in reached if e.get_attribute("type") == "radio"}
        missing = [
            (e.get_attribute("outerHTML") or "")[:120]
            for e in _focusable(browser_on)
            if e not in reached
            and not (e.get_attribute("type") == "radio" and e.get_attribute("name") in groups)
        ]
        assert missing == [], (label, missing)
        assert reached[0].get_attribute("class") == "skip"  # the first Tab offers the skip link
    browser_on.delete_all_cookies()
    browser_on.get(world.url + "/")
    assert _axe_problems(browser_on) == []
    browser_on.save_screenshot(str(shots / "signed-out-wide.png"))


def test_send_by_keyboard_alone(world: PageWorld, browser_on: Browser) -> None:
    world.outreach_draft("Ada Lovelace", ADA, how_we_know=HOW)
    browser_on.get(world.url + "/")
    _enter_on(browser_on, "button", "Send")
    assert "Sent to" in _notice(browser_on)
    assert len(_sent(world)) == 1

"""The web page's test world: the worker's World (app, sandbox mailbox, Gmail account) with
the page served over real HTTP by waitress, and one real Chromium per test module."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from events.projections.accounts import AccountRow
from integrations.google.provider import GmailProvider
from integrations.protocol import Provider
from tests.worker.world import ACCOUNT, World
from worker.web.server import Served, serve

ADA = "ada@analytical.example"
GRACE = "grace@navy.example"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: Chromium's own background connections, refused on a closed network, are turned off.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
SIZES = {"wide": (1280, 800), "phone": (390, 844)}


class PageWorld(World):
    """A World whose page is served; the page builds its own provider per request."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path)
        self.served: Served = serve(
            self.app, "127.0.0.1", 0, fixed_port=True, providers=self.page_provider
        ).start()
        self._sessions: list[requests.Session] = []

    def http(self) -> requests.Session:
        """An HTTP client for the page, closed with the world."""
        session = requests.Session()
        self._sessions.append(session)
        return session

    def page_provider(self, _account: AccountRow) -> Provider:
        return GmailProvider.from_sandbox(self.endpoints, account_id=ACCOUNT)

    @property
    def url(self) -> str:
        return self.served.url

    def close(self) -> None:
        for session in self._sessions:
            session.close()
        self.served.stop()
        super().close()

    # --- the story ------------------------------------------------------------------

    def outreach_draft(self, name: str, email: str, **extra: str) -> None:
        self.add(name, email, **extra)
        for action in self.due("draft_outreach"):
            assert self.runtime.perform(action.to_message()) == "done"

    def met(self, name: str, email: str, **extra: str) -> None:
        """Written to, replied, a meeting, and the meeting over (marked met by the worker)."""
        self.outreach_sent(name, email, **extra)
        self.later(days=1)
        self.reply(email, "Happy to talk! Thursday works.")
        self.invite(email, self.clock.now().replace(hour=15) + timedelta(days=2))
        self.later(days=2, hours=8)
        self.perform("mark_met")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[PageWorld]:
    w = PageWorld(tmp_path)
    try:
        yield w
    finally:
        w.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """One headless Chromium for the module. A missing browser fails the tests: `.ci/run`
    installs Debian's chromium and chromium-driver."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            pytest.fail(f"{path} is missing: apt-get install -y chromium chromium-driver")
    profile = tempfile.mkdtemp(prefix="outreach-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_window_size(*SIZES["wide"])
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser_on(browser: webdriver.Chrome, world: PageWorld) -> webdriver.Chrome:
    """The module's browser, signed in to this test's page, at the wide size."""
    browser.set_window_size(*SIZES["wide"])
    browser.delete_all_cookies()
    browser.get(world.served.sign_in_url())
    assert browser.current_url == f"{world.url}/"
    return browser


def screenshots_dir(tmp: Path) -> Path:
    """Where the browser tests save screenshots: OUTREACH_SCREENSHOTS (docs/screenshots to
    refresh the README's), else the test's temporary directory."""
    chosen = os.environ.get("OUTREACH_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp
    folder.mkdir(parents=True, exist_ok=True)
    return folder

"""Fixtures for the worker: settings and an opened app on each backend, and the contact book."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from events.clock import ManualClock
from worker.app import App, open_app
from worker.contacts import ContactBook
from worker.settings import Settings, load_settings

SECRET = "a test secret of enough length"


def worker_env(tmp_path: Path, db_url: str | None = None) -> dict[str, str]:
    """The environment a test run of the worker sees: its own config and data directories."""
    env = {
        "OUTREACH_CONFIG_DIR": str(tmp_path / "config"),
        "OUTREACH_DATA_DIR": str(tmp_path / "data"),
        "OUTREACH_SECRET_KEY": SECRET,
    }
    if db_url is not None:
        env["OUTREACH_DATABASE_URL"] = db_url
    return env


def open_test_app(db_url: str, tmp_path: Path, clock: ManualClock) -> App:
    """Open the app on `db_url` with settings read from a test environment."""
    return open_app(load_settings(worker_env(tmp_path, db_url)), clock)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings for `db_url` (each backend), with a fixed secret and temporary directories."""
    return load_settings(worker_env(tmp_path, db_url))


@pytest.fixture
def app(settings: Settings, clock: ManualClock) -> Iterator[App]:
    """The opened application on each backend, closed after the test."""
    opened = open_app(settings, clock)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def book(app: App) -> ContactBook:
    return ContactBook(app)

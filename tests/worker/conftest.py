"""Fixtures for the worker: settings and an opened app on each backend, and the contact book."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from events.clock import ManualClock
from tests.harness.lockstep import lockstep_env
from worker.services.app import App, open_app
from worker.services.contacts import ContactBook
from worker.services.settings import Settings, load_settings

if TYPE_CHECKING:
    from tests.worker.test_cli_drafts import Cli
    from tests.worker.world import World

# The same environment the lockstep driver gives its subprocesses.
worker_env = lockstep_env


def _profiled(tmp_path: Path, db_url: str) -> dict[str, str]:
    """The test environment, with a profile: nothing is prepared in the name of the
    default "Your Name" (`outreach init` writes this for a user)."""
    env = worker_env(tmp_path, db_url)
    config = Path(env["OUTREACH_CONFIG_DIR"]) / "config.toml"
    if not config.exists():
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text('[profile]\nname = "Sam Rivera"\n')
    return env


def open_test_app(db_url: str, tmp_path: Path, clock: ManualClock) -> App:
    """Open the app on `db_url` with settings read from a test environment."""
    return open_app(load_settings(_profiled(tmp_path, db_url)), clock)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings for `db_url` (each backend), with a fixed secret and temporary directories."""
    return load_settings(_profiled(tmp_path, db_url))


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


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A worker on SQLite with the sandbox's Gmail account connected (tests/worker/world.py)."""
    # Imported here: world.py itself imports this module's worker_env.
    from tests.worker.world import World

    w = World(tmp_path)
    try:
        yield w
    finally:
        w.close()


@pytest.fixture
def cli(world: World, tmp_path: Path) -> Cli:
    """The command line run in-process against `world` (tests/worker/test_cli_drafts.py)."""
    from tests.worker.test_cli_drafts import Cli

    return Cli(world, tmp_path)

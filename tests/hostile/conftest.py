"""Reports the hostile cases tried per input kind in pytest's terminal summary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from events.clock import ManualClock
from tests.hostile.cases import TRIED
from tests.worker.conftest import open_test_app
from worker.services.app import App


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TRIED:
        return
    terminalreporter.section("hostile input: cases tried")
    for kind, count in sorted(TRIED.items()):
        terminalreporter.write_line(f"{kind:<24} {count:>7}")
    # csv.imported counts the csv cases that got past every check: not added again.
    total = sum(n for kind, n in TRIED.items() if kind != "csv.imported")
    terminalreporter.write_line(f"{'total':<24} {total:>7}")


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: ManualClock) -> Iterator[App]:
    """The opened application on each backend (as the worker tests open it), closed after."""
    opened = open_test_app(db_url, tmp_path, clock)
    try:
        yield opened
    finally:
        opened.close()

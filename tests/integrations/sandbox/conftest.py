"""Fixtures for the sandbox emulator tests: a started Sandbox and real Google clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from integrations.sandbox import Sandbox

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=7, start=START) as running:
        yield running

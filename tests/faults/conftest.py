"""Fixtures for the fault tests: a worker world on each provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.worlds import FaultWorld, Outcome, open_world, play_without_faults
from tests.faults.worlds import _trust_only_given_ca as _trust_only_given_ca


@pytest.fixture
def google(tmp_path: Path) -> Iterator[FaultWorld]:
    yield from open_world("google", tmp_path)


@pytest.fixture
def outlook(tmp_path: Path) -> Iterator[FaultWorld]:
    yield from open_world("outlook", tmp_path)


@pytest.fixture(params=["google", "outlook"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FaultWorld]:
    yield from open_world(request.param, tmp_path)


_baselines: dict[str, Outcome] = {}


def without_faults(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """The fault-free outcome on `provider`, played once per session. Per provider only
    because the reply's subject prefix is the contact's mail client's ("Re:" from Gmail,
    "RE:" from Outlook); both hold the same facts (play_without_faults checks them)."""
    if provider not in _baselines:
        _baselines[provider] = play_without_faults(provider, tmp_path_factory.mktemp(provider))
    return _baselines[provider]


@pytest.fixture
def expected(world: FaultWorld, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """What `world`'s story must end with: the outcome of the same story without faults."""
    return without_faults(world.name, tmp_path_factory)

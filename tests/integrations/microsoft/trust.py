"""The fixture every test that runs MSAL against the emulator needs."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _trust_only_given_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    # requests lets these variables override a session's `verify` wherever it reads the
    # environment; MSAL must trust the emulator's CA, which only the given bundle names.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)

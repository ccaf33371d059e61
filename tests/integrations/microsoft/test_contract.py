"""Outlook mail and calendar held to the provider contract, on the sandbox emulator."""

from __future__ import annotations

from tests.integrations.contract import ProviderContract


class TestOutlookProviderContract(ProviderContract):
    """Every contract test, with `provider_env` from this package's conftest."""

"""The Google emulator: OAuth token endpoint, Gmail v1 and Calendar v3 on one loopback port."""

from __future__ import annotations

from integrations.sandbox.google.emulator import GoogleEmulator

__all__ = ["GoogleEmulator"]

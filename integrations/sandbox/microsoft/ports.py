"""What the Microsoft emulator needs from the shared sandbox base: a clock, faults, accounting."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

PROVIDER = "microsoft"


class Clock(Protocol):
    """The simulated clock (`integrations.sandbox.clock.SimClock` fits)."""

    def now(self) -> datetime: ...


class Fault(Protocol):
    """One injected fault: what goes wrong, and for how long a client should wait."""

    @property
    def kind(self) -> str: ...

    @property
    def retry_after(self) -> float | None: ...

    @property
    def delay_s(self) -> float | None: ...


class Faults(Protocol):
    """The fault plan (`integrations.sandbox.faults.FaultPlan` fits)."""

    def take(self, provider: str, method: str) -> Fault | None: ...


class Accounting(Protocol):
    """Per-method request counting (`integrations.sandbox.accounting.Accounting` fits)."""

    def record(self, provider: str, account: str, method: str) -> None: ...

    def total(
        self, provider: str | None = None, account: str | None = None, method: str | None = None
    ) -> int: ...

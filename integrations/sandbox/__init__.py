"""Local emulators of Gmail, Google Calendar and Microsoft Graph, driven by one control API.

`Sandbox` wires one clock, one fault plan and one accounting into every emulator and
serves them on loopback ports; `endpoints()` says where each one listens.
"""

from __future__ import annotations

import importlib
import logging
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from integrations.sandbox.accounting import Accounting
from integrations.sandbox.clock import SimClock
from integrations.sandbox.control import ControlServer
from integrations.sandbox.faults import FaultPlan
from integrations.sandbox.http import Handler

log = logging.getLogger(__name__)


class Emulator(Protocol):
    """What the Sandbox needs from a provider emulator."""

    control_handler: Handler

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def endpoints(self) -> dict[str, Any]: ...


def _microsoft(clock: SimClock, faults: FaultPlan, accounting: Accounting) -> Emulator | None:
    # The Microsoft emulator is built in parallel; the sandbox works without it.
    try:
        module = importlib.import_module("integrations.sandbox.microsoft")
        factory = module.MicrosoftEmulator
    except (ImportError, AttributeError):
        log.info("Microsoft emulator not available; serving Google only")
        return None
    emulator: Emulator = factory(clock, faults, accounting)
    return emulator


class Sandbox:
    """Every emulator plus the control server, started and stopped together.

    Parameters:
        seed: makes ids, tokens and probabilistic faults reproducible.
        start: the simulated clock's first reading (defaults to now).
    """

    def __init__(self, seed: int = 0, start: datetime | None = None) -> None:
        from integrations.sandbox.google import GoogleEmulator

        self.clock = SimClock(start)
        self.faults = FaultPlan(seed)
        self.accounting = Accounting()
        self.google = GoogleEmulator(self.clock, self.faults, self.accounting, seed=seed)
        self.microsoft = _microsoft(self.clock, self.faults, self.accounting)
        self.control = ControlServer(self.clock, self.faults, self.accounting)
        self.control.mount("/google", self.google.control_handler)
        if self.microsoft is not None:
            self.control.mount("/microsoft", self.microsoft.control_handler)

    def start(self) -> Sandbox:
        self.google.start()
        if self.microsoft is not None:
            self.microsoft.start()
        self.control.start()
        return self

    def stop(self) -> None:
        self.control.stop()
        if self.microsoft is not None:
            self.microsoft.stop()
            # The Microsoft emulator keeps its test CA in a TemporaryDirectory it does not
            # clean up on stop(); left to the garbage collector it warns (an error in tests).
            certs = getattr(self.microsoft, "_certs_dir", None)
            if certs is not None:
                certs.cleanup()
        self.google.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def endpoints(self) -> dict[str, Any]:
        """Where everything listens, plus the credentials a client needs:
        gmail, calendar, google_token_uri, google{...}, graph, microsoft_authority,
        microsoft{...} (None when the Microsoft emulator is absent) and control."""
        found: dict[str, Any] = {"graph": None, "microsoft_authority": None, "microsoft": None}
        found.update(self.google.endpoints())
        if self.microsoft is not None:
            found.update(self.microsoft.endpoints())
        found["control"] = self.control.url
        return found


__all__ = ["Accounting", "FaultPlan", "Sandbox", "SimClock"]

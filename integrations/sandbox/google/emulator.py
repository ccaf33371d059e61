"""GoogleEmulator: serves OAuth, Gmail and Calendar, and exposes the story-driving API."""

from __future__ import annotations

from typing import Any

from integrations.sandbox.accounting import Accounting
from integrations.sandbox.clock import SimClock
from integrations.sandbox.faults import FaultPlan
from integrations.sandbox.http import LoopbackServer, Request, Response, json_response


class GoogleEmulator:
    """Placeholder until the Gmail and Calendar surfaces land."""

    def __init__(
        self, clock: SimClock, faults: FaultPlan, accounting: Accounting, *, seed: int = 0
    ) -> None:
        self.clock = clock
        self.faults = faults
        self.accounting = accounting
        self._server = LoopbackServer(self.handle, name="google")

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def handle(self, request: Request) -> Response:
        return json_response(404, {"error": {"code": 404, "message": "Not Found"}})

    def control_handler(self, request: Request) -> Response:
        return json_response(404, {"error": "no such route"})

    def endpoints(self) -> dict[str, Any]:
        base = self._server.url
        return {
            "gmail": base,
            "calendar": base + "calendar/v3/",
            "google_token_uri": base + "token",
            "google": {},
        }

"""The contact side of a story, for Google: control routes mounted at /google and the
Python calls behind them (deliver replies, auto-replies, bounces; drive the calendar)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from integrations.sandbox.http import Request, Response, json_response

if TYPE_CHECKING:
    from integrations.sandbox.google.emulator import GoogleEmulator


class GoogleControl:
    """Routes under /google on the control server."""

    def __init__(self, emulator: GoogleEmulator) -> None:
        self.emulator = emulator

    def handle(self, request: Request) -> Response:
        return json_response(404, {"error": f"no control route {request.path}"})

    def state(self, email: str | None = None) -> dict[str, Any]:
        return {}

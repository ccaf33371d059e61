"""The control API: a separate loopback server that drives clock, faults, accounting and
whatever routes each provider emulator mounts (the contact side of a story)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from integrations.sandbox.accounting import Accounting
from integrations.sandbox.clock import SimClock
from integrations.sandbox.faults import FaultPlan
from integrations.sandbox.http import Handler, LoopbackServer, Request, Response, json_response

log = logging.getLogger(__name__)


class ControlError(Exception):
    """A control request that cannot be carried out; becomes {"error": message}."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def control_error(status: int, message: str) -> Response:
    """The control API's error shape."""
    return json_response(status, {"error": message})


def json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object ({} when empty); ControlError when it is not one."""
    try:
        body = request.json()
    except ValueError:
        raise ControlError(400, "body is not valid JSON") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ControlError(400, "body must be a JSON object")
    return body


class ControlServer:
    """Serves the generic routes and dispatches /<prefix>/... to mounted handlers.

    Parameters:
        clock, faults, accounting: the shared sandbox state the generic routes drive.
    """

    def __init__(self, clock: SimClock, faults: FaultPlan, accounting: Accounting) -> None:
        self.clock = clock
        self.faults = faults
        self.accounting = accounting
        self._mounts: dict[str, Handler] = {}
        self._server = LoopbackServer(self.handle, name="control", error=control_error)

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def mount(self, prefix: str, handler: Handler) -> None:
        """Route every request under `prefix` (e.g. "/google") to `handler`; the handler sees
        the path with the prefix removed ("/google/messages" → "/messages")."""
        self._mounts["/" + prefix.strip("/")] = handler

    def handle(self, request: Request) -> Response:
        try:
            for prefix, handler in self._mounts.items():
                if request.path == prefix or request.path.startswith(prefix + "/"):
                    return handler(request.with_path(request.path[len(prefix) :] or "/"))
            return self._generic(request)
        except ControlError as exc:
            return control_error(exc.status, exc.message)

    def _generic(self, request: Request) -> Response:
        route = (request.method, request.path.rstrip("/") or "/")
        if route == ("GET", "/health"):
            return json_response(200, {"ok": True, "mounted": sorted(self._mounts)})
        if route == ("GET", "/clock"):
            return self._clock()
        if route == ("POST", "/clock/advance"):
            seconds = _number(json_body(request), "seconds")
            self.clock.advance(timedelta(seconds=seconds))
            return self._clock()
        if route == ("POST", "/clock/set"):
            at = json_body(request).get("at")
            try:
                self.clock.set(datetime.fromisoformat(str(at)))
            except ValueError:
                raise ControlError(400, "'at' must be an ISO 8601 time") from None
            return self._clock()
        if route == ("GET", "/faults"):
            return json_response(200, {"rules": [r.to_json() for r in self.faults.rules()]})
        if route == ("POST", "/faults"):
            return self._add_fault(json_body(request))
        if route == ("DELETE", "/faults"):
            self.faults.clear()
            return json_response(200, {"rules": []})
        if route == ("GET", "/accounting"):
            return json_response(200, self.accounting.snapshot())
        if route == ("DELETE", "/accounting"):
            self.accounting.reset()
            return json_response(200, self.accounting.snapshot())
        return control_error(404, f"no control route {request.method} {request.path}")

    def _clock(self) -> Response:
        return json_response(200, {"now": self.clock.now().isoformat()})

    def _add_fault(self, body: dict[str, Any]) -> Response:
        try:
            rule_id = self.faults.add(
                str(body.get("provider")),
                str(body.get("method", "*")),
                str(body.get("kind")),
                times=_optional(body, "times", int),
                probability=_optional(body, "probability", float),
                retry_after=_optional(body, "retry_after", float),
                delay_s=_optional(body, "delay_s", float),
            )
        except (TypeError, ValueError) as exc:
            raise ControlError(400, str(exc)) from None
        return json_response(201, {"id": rule_id})


def _number(body: dict[str, Any], name: str) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(400, f"'{name}' must be a number")
    return float(value)


def _optional(body: dict[str, Any], name: str, kind: type[int] | type[float]) -> Any:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"'{name}' must be a number")
    return kind(value)

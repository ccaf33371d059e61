"""What a Graph route gets to work with: the request, the caller's mailbox, its Prefer
headers and the simulated time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrations.sandbox.http import Request

from .errors import GraphError, bad_request
from .odata import Preferences
from .state import Mailbox


@dataclass
class Call:
    request: Request
    mailbox: Mailbox
    prefs: Preferences
    now: datetime
    base: str  # the Graph root, ending in /v1.0

    def json_object(self, required: bool = True) -> dict[str, Any]:
        """The body as a JSON object; Graph's 400s for anything else."""
        if not self.request.body.strip():
            if required:
                raise bad_request("Empty Payload. JSON content expected.", "ErrorInvalidRequest")
            return {}
        try:
            body = self.request.json()
        except ValueError:
            raise GraphError(
                400,
                "BadRequest",
                "Unable to read JSON request payload. Please ensure "
                "Content-Type header is set and payload is of valid JSON format.",
            ) from None
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "The request payload must be a JSON object.")
        return body

    def link(self, path: str) -> str:
        return f"{self.base}{path}"


def graph_time(moment: datetime | None) -> str | None:
    """Graph's UTC timestamp form for message and event metadata."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None

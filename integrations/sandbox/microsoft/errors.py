"""Error bodies shaped like Microsoft Graph's and Entra ID's, and the exception that carries
them out of a route."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from integrations.sandbox.http import Request, Response, json_response


class GraphError(Exception):
    """A Graph error answer: HTTP status, error code, message, extra headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def bad_request(message: str, code: str = "BadRequest") -> GraphError:
    return GraphError(400, code, message)


def not_found(message: str = "The specified object was not found in the store.") -> GraphError:
    return GraphError(404, "ErrorItemNotFound", message)


def graph_error_response(error: GraphError, request: Request, now: datetime) -> Response:
    request_id = str(uuid.uuid4())
    body = {
        "error": {
            "code": error.code,
            "message": error.message,
            "innerError": {
                "date": now.strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": request.headers.get("client-request-id") or request_id,
            },
        }
    }
    headers = {
        "request-id": request_id,
        "client-request-id": request.headers.get("client-request-id") or request_id,
    }
    headers.update(error.headers)
    return json_response(error.status, body, headers)


class OAuthError(Exception):
    """An Entra ID token-endpoint error (RFC 6749 shape plus Entra's extra fields)."""

    def __init__(
        self, error: str, description: str, status: int = 400, error_codes: list[int] | None = None
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.error_codes = error_codes or []


def oauth_error_response(error: OAuthError, now: datetime) -> Response:
    trace = str(uuid.uuid4())
    body: dict[str, Any] = {
        "error": error.error,
        "error_description": f"{error.description}\r\nTrace ID: {trace}\r\n"
        f"Timestamp: {now.strftime('%Y-%m-%d %H:%M:%SZ')}",
        "error_codes": error.error_codes,
        "timestamp": now.strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": trace,
        "correlation_id": str(uuid.uuid4()),
    }
    return json_response(error.status, body, {"Cache-Control": "no-store"})

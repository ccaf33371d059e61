"""Google's JSON error shape, raised by any handler and rendered once."""

from __future__ import annotations

from integrations.sandbox.http import Response, json_response

# google.rpc.Code names Google puts in "status" for each HTTP code.
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "INVALID_ARGUMENT",
    409: "ALREADY_EXISTS",
    410: "FAILED_PRECONDITION",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class GoogleError(Exception):
    """An error answer: {"error": {"code", "message", "errors": [{domain, reason, message}],
    "status"}}, with optional extra headers (Retry-After, WWW-Authenticate)."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        headers: dict[str, str] | None = None,
        location: str | None = None,
        details: list[dict[str, object]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        self.headers = headers or {}
        self.location = location
        self.details = details or []

    def response(self) -> Response:
        detail: dict[str, str] = {
            "message": self.message,
            "domain": self.domain,
            "reason": self.reason,
        }
        if self.location:
            detail.update(location=self.location, locationType="parameter")
        body = {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [detail],
                "status": _STATUS.get(self.code, "UNKNOWN"),
            }
        }
        if self.details:
            body["error"]["details"] = self.details
        return json_response(self.code, body, self.headers)


def rate_limited(code: int, reason: str, message: str, headers: dict[str, str]) -> GoogleError:
    """A throttling answer as newer Google front ends write it: the classic
    `errors[].reason` and, beside it, a google.rpc.ErrorInfo in `details` whose reason is
    UPPER_SNAKE. AIP-193 (https://google.aip.dev/193): "ErrorInfo ... reason: The reason
    of the error. This is a constant value that identifies the proximate cause of the
    error"; google/api/error_reason.proto lists `RATE_LIMIT_EXCEEDED` ("The request is
    denied because there is not enough rate quota for the consumer"). The client library
    reads `details` before `errors`, so a client must look at both."""
    info: dict[str, object] = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "RATE_LIMIT_EXCEEDED",
        "domain": "googleapis.com",
        "metadata": {"quota_limit": "UserRateLimit"},
    }
    return GoogleError(code, reason, message, domain="usageLimits", headers=headers, details=[info])


def bad_request(message: str, reason: str = "invalid", location: str | None = None) -> GoogleError:
    return GoogleError(400, reason, message, location=location)


def not_found(message: str = "Requested entity was not found.") -> GoogleError:
    return GoogleError(404, "notFound", message)


def unauthenticated() -> GoogleError:
    return GoogleError(
        401,
        "authError",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login"
        " cookie or other valid authentication credential. See"
        " https://developers.google.com/identity/sign-in/web/devconsole-project.",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def shaped_error(status: int, message: str) -> Response:
    """The LoopbackServer error hook: malformed requests and crashes in Google's shape."""
    reason = {400: "badRequest", 404: "notFound"}.get(status, "backendError")
    return GoogleError(status, reason, message).response()

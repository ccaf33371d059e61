"""The Graph HTTP session for one mailbox: Prefer headers on every call, timeouts, at most
four requests in flight, retries with backoff, a token refresh after a 401, error mapping."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests

from integrations.microsoft.auth import TokenSource
from integrations.microsoft.errors import (
    TRANSPORT_ERRORS,
    GraphRefused,
    from_response,
    from_transport,
)
from integrations.retry import Backoff

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.microsoft.com/v1.0"
#: Outlook serves at most four concurrent requests per app and mailbox; a fifth is a 429.
MAX_CONCURRENT = 4
#: (connect, read) seconds.
TIMEOUT: tuple[float, float] = (10.0, 60.0)

Json = dict[str, Any]


class Graph:
    """Calls Graph v1.0 for one mailbox; safe to share between threads.

    Every request carries `Prefer: IdType="ImmutableId"` (ids then survive moves between
    folders: a draft keeps its id when it is sent), the time zone events are rendered in,
    and plain-text bodies.

    Parameters:
        tokens: where bearer tokens come from.
        base_url: the Graph root, ending in /v1.0.
        time_zone: IANA (or Windows) zone for `outlook.timezone`.
        backoff: the retry policy for throttling, 5xx and dropped connections.
        timeout: (connect, read) seconds.
        limiter: the in-flight bound; pass one semaphore to every Graph object of the same
            mailbox so they share Outlook's per-mailbox limit.
        trust_env: let requests read proxy and CA settings from the environment.
    """

    def __init__(
        self,
        tokens: TokenSource,
        base_url: str = GRAPH_URL,
        *,
        time_zone: str = "UTC",
        backoff: Backoff | None = None,
        timeout: tuple[float, float] = TIMEOUT,
        limiter: threading.Semaphore | None = None,
        trust_env: bool = True,
    ) -> None:
        self.tokens = tokens
        self.base_url = base_url.rstrip("/")
        self.time_zone = time_zone
        self.backoff = backoff or Backoff()
        self.timeout = timeout
        self.limiter = limiter or threading.BoundedSemaphore(MAX_CONCURRENT)
        self.trust_env = trust_env
        # requests.Session is not documented thread-safe: one per thread, all closed at the end.
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self.requests_sent = 0  # HTTP requests made, retries included (metrics, tests)
        self._count_lock = threading.Lock()

    # plumbing -----------------------------------------------------------------------------
    def prefer(self, *extra: str) -> str:
        parts = [
            'IdType="ImmutableId"',
            f'outlook.timezone="{self.time_zone}"',
            'outlook.body-content-type="text"',
            *extra,
        ]
        return ", ".join(parts)

    def url(self, path: str) -> str:
        """An absolute URL for a path ("/me/messages") or a link Graph gave us."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def relative(self, link: str) -> str:
        """A nextLink/deltaLink without our base URL, so a stored cursor survives a change
        of host (a sandbox on another port)."""
        return link[len(self.base_url) :] if link.startswith(self.base_url) else link

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = self.trust_env
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    # calls --------------------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        body: Json | None = None,
        prefer: Sequence[str] = (),
        missing_ok: bool = False,
        recover: Callable[[], Json | None] | None = None,
    ) -> Json | None:
        """One Graph operation, retried on throttling, 5xx and connection failures.

        Returns the JSON body ({} for 202/204), or None for a 404 when `missing_ok`.
        `what` names the operation in errors and logs. `recover` runs before each retry
        of a non-idempotent call to find out whether the failed attempt took effect.
        """

        def attempt() -> Json | None:
            response = self._send(method, path, what, params, body, prefer)
            if response.status_code < 300:
                return _json(response)
            error = from_response(response, what)
            if missing_ok and isinstance(error, GraphRefused) and error.status in (404, 410):
                return None
            raise error

        return self.backoff.run(attempt, recover=recover)

    def get(self, path: str, *, what: str, **options: Any) -> Json:
        found = self.call("GET", path, what=what, **options)
        return found if found is not None else {}

    def content(self, path: str, *, what: str) -> bytes | None:
        """The bytes a GET answers (a message's MIME at /me/messages/{id}/$value), retried
        like any call; None for a 404 (the item is gone)."""

        def attempt() -> bytes | None:
            response = self._send("GET", path, what, None, None, (), accept="*/*")
            if response.status_code < 300:
                return bytes(response.content)
            error = from_response(response, what)
            if isinstance(error, GraphRefused) and error.status in (404, 410):
                return None
            raise error

        return self.backoff.run(attempt)

    def _send(
        self,
        method: str,
        path: str,
        what: str,
        params: Mapping[str, str] | None,
        body: Json | None,
        prefer: Sequence[str],
        accept: str = "application/json",
    ) -> requests.Response:
        headers = {"Prefer": self.prefer(*prefer), "Accept": accept}
        token = self.tokens.access_token()
        response = self._once(method, path, what, params, body, headers, token)
        if response.status_code == 401:
            # MSAL trusts the wall clock for expiry, and a token can be revoked early:
            # refresh once; a second 401 means the grant itself is gone.
            response.close()
            fresh = self.tokens.access_token(force_refresh=True, stale=token)
            response = self._once(method, path, what, params, body, headers, fresh)
        return response

    def _once(
        self,
        method: str,
        path: str,
        what: str,
        params: Mapping[str, str] | None,
        body: Json | None,
        headers: dict[str, str],
        token: str,
    ) -> requests.Response:
        sent_headers = {**headers, "Authorization": f"Bearer {token}"}
        # The slot is held only for the HTTP exchange, never while backing off.
        with self.limiter:
            with self._count_lock:
                self.requests_sent += 1
            try:
                response = self._session().request(
                    method,
                    self.url(path),
                    params=params,
                    json=body,
                    headers=sent_headers,
                    timeout=self.timeout,
                )
                # Read the body inside the slot: the server counts the request until then.
                _ = response.content
            except TRANSPORT_ERRORS as error:
                log.info("%s: connection failed (%s)", what, type(error).__name__)
                raise from_transport(error, what) from None
        if response.status_code >= 400:
            log.info("%s: HTTP %s", what, response.status_code)
        return response


def _json(response: requests.Response) -> Json:
    if response.status_code in (202, 204) or not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"value": body}

"""Google API clients pointed at chosen endpoints, and the one way every call is executed:
budgeted, retried, batched, and its failures translated to protocol errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httplib2
from google.auth.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, HttpRequest

from integrations.google.errors import is_missing, translate
from integrations.google.retry import QuotaBudget
from integrations.protocol import NeedsReconnect, TransientProviderError
from integrations.retry import Backoff

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

BATCH_SIZE = 50  # Google accepts 100 parts but advises against more than 50
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class GoogleEndpoints:
    """Where the APIs live. The defaults are Google's; tests point them at the sandbox.

    `gmail` is the root the Gmail paths hang from; `calendar` must end in /calendar/v3/.
    The batch URIs are separate because the client library ignores api_endpoint for them.
    """

    gmail: str = "https://gmail.googleapis.com/"
    gmail_batch: str = "https://gmail.googleapis.com/batch/gmail/v1"
    calendar: str = "https://www.googleapis.com/calendar/v3/"
    calendar_batch: str = "https://www.googleapis.com/batch/calendar/v3"

    @classmethod
    def from_mapping(cls, found: Mapping[str, Any]) -> GoogleEndpoints:
        """From a dict shaped like the sandbox's endpoints()."""
        return cls(
            gmail=str(found["gmail"]),
            gmail_batch=str(found.get("gmail_batch") or str(found["gmail"]) + "batch/gmail/v1"),
            calendar=str(found["calendar"]),
            calendar_batch=str(found.get("calendar_batch") or cls.calendar_batch),
        )


def authorized_http(credentials: Credentials, timeout: float = TIMEOUT_S) -> AuthorizedHttp:
    """An http that adds the bearer token and refreshes it on a 401, with a socket timeout."""
    return AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))


def build_service(name: str, version: str, endpoint: str, http: AuthorizedHttp) -> Any:
    """A discovery client from the document shipped in the library (nothing fetched)."""
    return build(
        name,
        version,
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": endpoint},
    )


class Grant:
    """Whether the account's OAuth grant still works; shared by every API of the account."""

    def __init__(self) -> None:
        self.lost: NeedsReconnect | None = None


class Calls:
    """Executes requests for one account.

    Every request spends quota first, transient failures are retried by `backoff`, and a
    dead grant latches: once NeedsReconnect was raised, later calls raise it again without
    touching the network, so a revoked account cannot cause a storm of token requests.

    Parameters:
        email: the account (for the reconnect command in errors).
        backoff: the retry policy.
        budget: the account's quota bucket for this API.
        grant: the grant state shared with the account's other APIs.
    """

    def __init__(
        self, email: str, backoff: Backoff, budget: QuotaBudget, grant: Grant | None = None
    ) -> None:
        self.email = email
        self.backoff = backoff
        self.budget = budget
        self.grant = grant or Grant()

    def execute(
        self,
        request: Callable[[], HttpRequest],
        *,
        missing_ok: bool = False,
        recover: Callable[[], Any | None] | None = None,
    ) -> Any:
        """The response of `request()` (a factory: each attempt gets a fresh request).

        missing_ok: a 404/410 answers None instead of raising.
        recover: see Backoff.run; for calls that must not take effect twice.
        """
        return self.backoff.run(lambda: self._once(request(), missing_ok), recover=recover)

    def _once(self, request: HttpRequest, missing_ok: bool) -> Any:
        self._check_connected()
        method = str(request.methodId or "google")
        self.budget.spend(method)
        try:
            return request.execute(num_retries=0)
        except HttpError as error:
            if missing_ok and is_missing(error):
                return None
            raise self._translated(error, method) from None
        except Exception as error:
            raise self._translated(error, method) from None

    def batch(
        self,
        requests: Mapping[K, Callable[[], HttpRequest]],
        batch_uri: str,
        *,
        missing_ok: bool = True,
    ) -> dict[K, Any]:
        """Responses by key for many reads, in batches of at most BATCH_SIZE.

        A part that fails transiently (a 429 inside a 200 batch) is retried alone, with
        backoff; a missing resource (deleted since it was listed) is left out.
        """
        keys = list(requests)
        found: dict[K, Any] = {}
        for start in range(0, len(keys), BATCH_SIZE):
            chunk = keys[start : start + BATCH_SIZE]
            answers, retry = self.backoff.run(self._batch_attempt(requests, chunk, batch_uri))
            found.update({k: v for k, v in answers.items() if v is not None or not missing_ok})
            if retry:
                # The parts were throttled: pause as a retry would before asking again.
                self.backoff.sleep(self.backoff.delay(0, retry[0][1]))
            for key, _ in retry:
                answer = self.execute(requests[key], missing_ok=missing_ok)
                if answer is not None:
                    found[key] = answer
        return found

    def _batch_attempt(
        self, requests: Mapping[K, Callable[[], HttpRequest]], chunk: list[K], batch_uri: str
    ) -> Callable[[], tuple[dict[K, Any], list[tuple[K, TransientProviderError]]]]:
        return lambda: self._batch_once(requests, chunk, batch_uri)

    def _batch_once(
        self, requests: Mapping[K, Callable[[], HttpRequest]], chunk: Iterable[K], batch_uri: str
    ) -> tuple[dict[K, Any], list[tuple[K, TransientProviderError]]]:
        self._check_connected()
        by_id = {str(i): key for i, key in enumerate(chunk)}
        answers: dict[K, Any] = {}
        retry: list[tuple[K, TransientProviderError]] = []
        failure: list[BaseException] = []

        def collect(request_id: str, response: Any, error: Exception | None) -> None:
            key = by_id[request_id]
            if error is None:
                answers[key] = response
                return
            if is_missing(error):
                answers[key] = None
                return
            mapped = translate(error, "batch part", self.email)
            if isinstance(mapped, TransientProviderError):
                retry.append((key, mapped))
            else:
                failure.append(mapped or error)

        batch = BatchHttpRequest(batch_uri=batch_uri)
        for request_id, key in by_id.items():
            request = requests[key]()
            self.budget.spend(str(request.methodId or "google"))
            batch.add(request, callback=collect, request_id=request_id)
        try:
            batch.execute()
        except Exception as error:
            raise self._translated(error, "batch") from None
        if failure:
            raise self._latched(failure[0])
        if retry:
            log.info("retrying %d batch parts alone after transient failures", len(retry))
        return answers, retry

    def _check_connected(self) -> None:
        if self.grant.lost is not None:
            raise self.grant.lost

    def _translated(self, error: BaseException, method: str) -> BaseException:
        mapped = translate(error, method, self.email)
        if mapped is None:
            return error
        return self._latched(mapped)

    def _latched(self, error: BaseException) -> BaseException:
        if isinstance(error, NeedsReconnect):
            self.grant.lost = error
        return error

"""Fault injection: a plan of rules saying which provider calls fail, and how."""

from __future__ import annotations

import fnmatch
import itertools
import random
import threading
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

# The kinds an emulator understands. Each emulator maps a kind to the exact answer its
# real provider would send; kinds that make no sense for a provider are ignored by it.
KINDS = frozenset(
    {
        "rate_limit",  # 429 (+ Retry-After where the provider sends one)
        "rate_limit_403",  # Google's 403 userRateLimitExceeded, no Retry-After
        "server_error",  # 500
        "unavailable",  # 503
        "slow",  # answer normally after delay_s seconds of real time
        "drop",  # close the connection without answering
        "batch_part_429",  # a 429 sub-response inside a 200 batch answer
        "history_expired",  # Gmail history.list start id too old: 404 notFound
        "sync_token_expired",  # Calendar syncToken: 410 fullSyncRequired
        "delta_expired",  # Graph delta token: 410 SyncStateNotFound
        "revoked",  # the grant is revoked: token endpoint answers invalid_grant
        "concurrency_limit",  # Outlook MailboxConcurrency 429
    }
)
PROVIDERS = frozenset({"google", "microsoft"})


@dataclass(frozen=True)
class Fault:
    """One fault to apply to one call."""

    kind: str
    retry_after: float | None = None
    delay_s: float | None = None


@dataclass
class FaultRule:
    """A rule in a plan: which calls it matches and how often it fires."""

    id: int
    provider: str
    method: str  # exact operation name, or a glob such as "gmail.*" or "*"
    kind: str
    times: int | None = None  # fire for the next N matching calls, then retire
    probability: float | None = None  # fire with this probability, forever
    retry_after: float | None = None
    delay_s: float | None = None

    def matches(self, provider: str, method: str) -> bool:
        return self.provider == provider and fnmatch.fnmatchcase(method, self.method)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultPlan:
    """A thread-safe, deterministic list of fault rules.

    Parameters:
        seed: seeds the random draws of probabilistic rules, so a run can be replayed.
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._random = random.Random(seed)

    def add(
        self,
        provider: str,
        method: str,
        kind: str,
        *,
        times: int | None = None,
        probability: float | None = None,
        retry_after: float | None = None,
        delay_s: float | None = None,
    ) -> int:
        """Add a rule; return its id. Exactly one of `times` and `probability` is needed."""
        if provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}")
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        if (times is None) == (probability is None):
            raise ValueError("give exactly one of times and probability")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        if probability is not None and not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        with self._lock:
            rule = FaultRule(
                next(self._ids), provider, method, kind, times, probability, retry_after, delay_s
            )
            self._rules.append(rule)
            return rule.id

    def take(
        self, provider: str, method: str, kinds: Collection[str] | None = None
    ) -> Fault | None:
        """The fault to apply to this call, if any; consumes one use of a counted rule.

        `kinds` limits the rules considered to those a call site can act on (a batch part
        can answer "batch_part_429", a plain call cannot), so no rule is used up in vain.
        """
        with self._lock:
            for rule in self._rules:
                if not rule.matches(provider, method) or (
                    kinds is not None and rule.kind not in kinds
                ):
                    continue
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self._rules.remove(rule)
                elif self._random.random() >= (rule.probability or 0.0):
                    continue
                return Fault(rule.kind, rule.retry_after, rule.delay_s)
        return None

    def remove(self, rule_id: int) -> bool:
        """Drop one rule; False when it was not there (or had already retired)."""
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        """Drop every rule."""
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        """A copy of the rules still active, in the order they are tried."""
        with self._lock:
            return [FaultRule(**asdict(r)) for r in self._rules]

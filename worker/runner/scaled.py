"""Redis pieces of the scaled-out mode: the broker, shared claims, per-account and leader locks.

Every key here is operational: FLUSHALL loses queued work and claims, never a fact,
because the next tick derives what is due from the log again.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import redis
from dramatiq.brokers.redis import RedisBroker

log = logging.getLogger(__name__)

PREFIX = "outreach:"

# Compare-and-act scripts: only the holder (same token) may renew or free a lock.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_FREE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def redis_broker(url: str) -> RedisBroker:
    """The Dramatiq broker on Redis at `url`, booted like a worker process expects."""
    broker = RedisBroker(url=url)
    broker.emit_after("process_boot")
    return broker


def queue_depth(client: redis.Redis, queue: str = "default", namespace: str = "dramatiq") -> int:
    """Messages queued, delayed or being processed (acked ones are gone from the hashes)."""
    base = f"{namespace}:{queue}"
    return int(client.hlen(f"{base}.msgs")) + int(client.hlen(f"{base}.DQ.msgs"))


class RedisInFlight:
    """Claims shared by every process: SET NX EX per key, so ticks do not flood the queue.

    A claim expires after `ttl_s`, so work whose message was lost is queued again.

    Parameters:
      client: Redis.
      ttl_s: how long a claim lasts unless released.
    """

    def __init__(self, client: redis.Redis, ttl_s: int = 300) -> None:
        self.client = client
        self.ttl_s = ttl_s

    def claim(self, key: str) -> bool:
        return bool(self.client.set(f"{PREFIX}inflight:{key}", b"1", nx=True, ex=self.ttl_s))

    def release(self, key: str) -> None:
        self.client.delete(f"{PREFIX}inflight:{key}")


def redis_locks(
    client: redis.Redis, name: str, ttl_s: float = 10.0, wait_s: float = 30.0
) -> Callable[[str], AbstractContextManager[bool]]:
    """A lock per key shared by processes: `with lock(key) as held:`.

    Waits up to `wait_s` for a holder elsewhere (then yields False: skip, or retry
    later). The lock lives `ttl_s` and a thread renews it while held, so a long holder
    keeps it and a killed one loses it within `ttl_s`: a worker SIGKILLed mid-sync used
    to keep its account from syncing for the whole 10-minute TTL, every attempt holding
    a worker thread for `wait_s`.
    """
    renew = client.register_script(_RENEW)
    free = client.register_script(_FREE)
    ttl_ms = int(ttl_s * 1000)

    @contextmanager
    def lock(what: str) -> Iterator[bool]:
        key = f"{PREFIX}{name}:{what}"
        token = secrets.token_hex(8)
        deadline = time.monotonic() + wait_s
        while not client.set(key, token, nx=True, px=ttl_ms):
            if time.monotonic() >= deadline:
                log.info("%s %r still held elsewhere; skipped", name, what)
                yield False
                return
            time.sleep(0.05)
        stop = threading.Event()

        def keep() -> None:
            while not stop.wait(ttl_s / 3):
                try:
                    renew(keys=[key], args=[token, ttl_ms])
                except redis.RedisError:
                    log.warning("could not renew %r; it expires in %ss", key, ttl_s)

        renewer = threading.Thread(target=keep, name=f"renew {key}", daemon=True)
        renewer.start()
        try:
            yield True
        finally:
            stop.set()
            renewer.join()
            try:
                free(keys=[key], args=[token])
            except redis.RedisError:
                log.warning("could not free %r; it expires in %ss", key, ttl_s)

    return lock


def account_locks(
    client: redis.Redis, ttl_s: float = 10.0, wait_s: float = 30.0
) -> Callable[[str], AbstractContextManager[bool]]:
    """A lock per account, so one account never syncs in two processes at once."""
    return redis_locks(client, "sync-lock", ttl_s, wait_s)


def action_locks(
    client: redis.Redis, ttl_s: float = 10.0, wait_s: float = 30.0
) -> Callable[[str], AbstractContextManager[bool]]:
    """A lock per action key, so one action never runs in two processes at once.

    A message redelivered while its first run is still calling the provider elsewhere
    (a worker's heartbeat missed, or Redis flushed and the next tick queuing it again)
    would otherwise create a second draft: no provider finds a draft being created.
    """
    return redis_locks(client, "action-lock", ttl_s, wait_s)


class LeaderLock:
    """At most one holder at a time among processes; renewed while held, expires if not.

    Parameters:
      client: Redis.
      name: what is led (e.g. "scheduler").
      ttl_s: a holder that stops renewing for this long loses it.
    """

    def __init__(self, client: redis.Redis, name: str, ttl_s: float = 15.0) -> None:
        self.key = f"{PREFIX}leader:{name}"
        self.ttl_ms = int(ttl_s * 1000)
        self.token = secrets.token_hex(8)
        self._client = client
        self._renew = client.register_script(_RENEW)
        self._free = client.register_script(_FREE)
        self.held = False

    def hold(self) -> bool:
        """Take the lock or renew it; True while this process holds it."""
        if self.held and self._renew(keys=[self.key], args=[self.token, self.ttl_ms]):
            return True
        was = self.held
        self.held = bool(self._client.set(self.key, self.token, nx=True, px=self.ttl_ms))
        if was and not self.held:
            log.warning("lost the %r lock to another process", self.key)
        return self.held

    def release(self) -> None:
        if self.held:
            self._free(keys=[self.key], args=[self.token])
            self.held = False

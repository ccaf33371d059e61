"""Deterministic identifiers: the same cause always yields the same id."""

from __future__ import annotations

import os
import time
import uuid

# A fixed namespace so ids are stable across machines and releases.
_NAMESPACE = uuid.UUID("6f1c2b8e-1f0a-4d3c-9a51-0e6f7b4a2d90")


def derive_id(*parts: object) -> str:
    """Return a UUID string derived from `parts` (e.g. a provider message id and an action).

    A retried job computes the same id, which is what lets the store treat the
    retry as already done instead of recording the fact twice.
    """
    if not parts:
        raise ValueError("derive_id needs at least one part")
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(str(p) for p in parts)))


def new_id() -> str:
    """Return a fresh id, for facts that have no external cause (a user's command).

    A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Ids made
    one after another sort one after another, so the log's unique index on event ids
    grows at its right edge instead of touching a random page per event (which made
    appends of fresh events twice as slow). The time part is wall time on purpose: it
    only orders ids, no decision reads it, and 74 random bits keep ids unique.
    """
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10)) & _RANDOM
    return str(uuid.UUID(int=value | _VERSION_7))


def random_id() -> str:
    """Return a random id for something people name by its first characters (a contact).

    Not `new_id`: a time-ordered id's first eight characters stay the same for weeks, so
    the short ids the CLI shows and accepts would all collide.
    """
    return str(uuid.uuid4())


# Version 7 in bits 76-79 and the RFC 4122 variant (0b10) in bits 62-63.
_VERSION_7 = 0x7 << 76 | 0b10 << 62
# The 74 random bits: 12 below the version nibble, 62 below the variant.
_RANDOM = (0xFFF << 64) | ((1 << 62) - 1)

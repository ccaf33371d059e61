"""Deterministic identifiers: the same cause always yields the same id."""

from __future__ import annotations

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
    """Return a fresh random id, for facts that have no external cause (a user's command)."""
    return str(uuid.uuid4())

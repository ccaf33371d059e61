"""Upcasters: turn a stored payload of an older schema version into the current shape.

They run on the decrypted payload, because the fields that changed shape are
often personal ones; they must tolerate absent personal fields (forgotten contacts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]

#: (event type, version it upgrades from) -> function producing version + 1.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    def register(fn: Upcaster) -> Upcaster:
        UPCASTERS[(event_type, from_version)] = fn
        return fn

    return register


@upcaster("contact.added", 1)
def _contact_added_single_email(payload: Payload) -> Payload:
    # v1 stored one optional `email`; v2 stores the list `emails` (people have several).
    out = dict(payload)
    email = out.pop("email", None)
    if "emails" not in out:
        out["emails"] = [email] if email else []
    return out


def upcast(event_type: str, version: int, current: int, payload: Payload) -> Payload:
    """Apply upcasters from `version` up to `current`."""
    while version < current:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise LookupError(f"no upcaster for {event_type} v{version} -> v{version + 1}")
        payload = step(payload)
        version += 1
    return payload

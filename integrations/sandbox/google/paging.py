"""Opaque page tokens: an offset (or a position key) wrapped so clients cannot rely on it."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from integrations.sandbox.google.errors import bad_request


def encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def decode(token: str | None, name: str = "pageToken") -> dict[str, Any]:
    if not token:
        return {}
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise bad_request(f"Invalid {name}", reason="invalid", location=name) from None
    if not isinstance(state, dict):
        raise bad_request(f"Invalid {name}", reason="invalid", location=name)
    return state


def page(items: list[Any], token: str | None, size: int) -> tuple[list[Any], str | None]:
    """One page of a list and the token for the next, if any."""
    offset = decode(token).get("o", 0)
    if not isinstance(offset, int) or offset < 0:
        raise bad_request("Invalid pageToken", location="pageToken")
    chunk = items[offset : offset + size]
    more = offset + size < len(items)
    return chunk, encode({"o": offset + size}) if more else None

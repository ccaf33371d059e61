"""The sandbox account: reaching the emulators a running `outreach sandbox` serves.

Real accounts need stored OAuth tokens, which arrive with `outreach connect`; the sandbox
account is reached through the endpoints that `outreach sandbox` prints (saved to a file
named by OUTREACH_SANDBOX_ENDPOINTS).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from events.errors import UserError


class ProviderUnavailable(UserError, LookupError):
    """The account's mailbox cannot be reached from here; the message says what to do."""


SANDBOX_ENDPOINTS = "OUTREACH_SANDBOX_ENDPOINTS"


def sandbox_endpoints(env: Mapping[str, str]) -> dict[str, Any]:
    """The endpoints a running `outreach sandbox` printed, read from the configured file."""
    where = env.get(SANDBOX_ENDPOINTS, "").strip()
    if not where:
        raise ProviderUnavailable(
            f"the sandbox account needs a running sandbox: start `outreach sandbox`, save its "
            f"first line to a file and set {SANDBOX_ENDPOINTS} to that file"
        )
    path = Path(where)
    try:
        line = path.read_text(encoding="utf-8").strip().splitlines()[0]
        found = json.loads(line)
    except (OSError, IndexError, json.JSONDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not the JSON line it printed"
        raise ProviderUnavailable(f"{SANDBOX_ENDPOINTS}={path}: {reason}") from None
    if not isinstance(found, dict) or not isinstance(found.get("google"), dict):
        raise ProviderUnavailable(f"{SANDBOX_ENDPOINTS}={path}: no Google sandbox endpoints")
    return found

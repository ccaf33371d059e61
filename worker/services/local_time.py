"""A moment as the user reads it, in their zone (the tables of the command line)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local_time(iso: str | None, zone: str) -> str:
    """ "Mon 2 Mar 2026 14:00 GMT": a moment as the user reads it, in their zone."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso).astimezone(ZoneInfo(zone))
    return f"{moment:%a} {moment.day} {moment:%b %Y %H:%M %Z}"

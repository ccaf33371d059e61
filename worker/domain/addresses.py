"""Validating what people type: e-mail addresses and names that end up in mail headers,
and time zones that times are written in."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from events.errors import UserError

# Deliberately strict: an address we accept must survive a round trip through a mail
# header unchanged. Local part per RFC 5322 dot-atom; domain with at least one dot, its last
# label letters only, one of them enough (a@b.c is a valid address).
_ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{1,63}$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]")


class InvalidInput(UserError, ValueError):
    """Input refused; the message names the field and what is wrong with it."""


def check_address(value: str, where: str = "email") -> str:
    """Return the address normalised (trimmed, domain lower-cased) or raise InvalidInput."""
    address = value.strip()
    if _CONTROL.search(address):
        raise InvalidInput(f"{where}: contains a line break or control character")
    if len(address) > 254 or not _ADDRESS.match(address):
        raise InvalidInput(f"{where}: {address!r} is not a valid e-mail address")
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_text(value: str, where: str, *, max_len: int = 200, required: bool = False) -> str:
    """Refuse line breaks and control characters: these values go into mail headers,
    where a line break would let them inject headers of their own."""
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"{where}: must not be empty")
    if _CONTROL.search(text):
        raise InvalidInput(f"{where}: contains a line break or control character")
    if len(text) > max_len:
        raise InvalidInput(f"{where}: longer than {max_len} characters")
    return text


def check_zone(value: str, where: str) -> str:
    """An IANA zone name as zoneinfo knows it (Europe/Paris, America/New_York), trimmed;
    "" stays "" (no zone). Anything else is refused, naming the value."""
    zone = value.strip()
    if zone and zone not in available_timezones():
        raise InvalidInput(f"{where}: {zone!r} is not a time zone (use a name like Europe/Paris)")
    return zone

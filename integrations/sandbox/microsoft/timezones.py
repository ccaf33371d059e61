"""Time zones as Graph names them (IANA or Windows), and Graph's dateTimeTimeZone shape."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import GraphError

# Windows zone names Outlook commonly sends, mapped to IANA.
WINDOWS_ZONES = {
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "W. Europe Standard Time": "Europe/Berlin",
    "Central Europe Standard Time": "Europe/Budapest",
    "Central European Standard Time": "Europe/Warsaw",
    "Romance Standard Time": "Europe/Paris",
    "E. Europe Standard Time": "Europe/Chisinau",
    "FLE Standard Time": "Europe/Kiev",
    "Russian Standard Time": "Europe/Moscow",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "US Mountain Standard Time": "America/Phoenix",
    "Pacific Standard Time": "America/Los_Angeles",
    "Alaskan Standard Time": "America/Anchorage",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Atlantic Standard Time": "America/Halifax",
    "E. South America Standard Time": "America/Sao_Paulo",
    "India Standard Time": "Asia/Kolkata",
    "China Standard Time": "Asia/Shanghai",
    "Tokyo Standard Time": "Asia/Tokyo",
    "Singapore Standard Time": "Asia/Singapore",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "New Zealand Standard Time": "Pacific/Auckland",
}


def zone(name: str) -> tzinfo | None:
    """The zone for an IANA or Windows name; None when Outlook would not know it."""
    if name in WINDOWS_ZONES:
        return ZoneInfo(WINDOWS_ZONES[name])
    if not name or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_date_time_time_zone(value: object, field: str) -> tuple[datetime, str]:
    """A Graph {"dateTime", "timeZone"} as an aware UTC datetime plus the zone name given."""
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        raise GraphError(
            400, "ErrorInvalidRequest", f"'{field}' must be a dateTimeTimeZone object."
        )
    zone_name = value.get("timeZone") or "UTC"
    if not isinstance(zone_name, str) or zone(zone_name) is None:
        raise GraphError(
            400,
            "TimeZoneNotSupportedException",
            "A valid TimeZone value must be specified. The following TimeZone value is not "
            f"supported: '{zone_name}'.",
        )
    text = value["dateTime"]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise GraphError(
            400, "ErrorInvalidRequest", f"Cannot convert the literal '{text}' to DateTime."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(zone_name))
    return parsed.astimezone(UTC), zone_name


def render(moment: datetime, zone_name: str) -> dict[str, str]:
    """A UTC datetime as Graph writes it in the given zone (seven fractional digits)."""
    target = zone(zone_name) or UTC
    local = moment.astimezone(target)
    return {
        "dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond:06d}0",
        "timeZone": zone_name,
    }


def parse_instant(text: str) -> datetime | None:
    """An ISO 8601 instant in a query string (offset optional; naive means UTC)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

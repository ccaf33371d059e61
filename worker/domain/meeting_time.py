"""A meeting's time as people write it: the reader's date and time in their own conventions,
the user's alongside when their zones differ ("Friday, December 4 at 10:00 AM your time
(1:00 PM ET for me)"). Babel knows each territory's conventions; we only choose."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

# Babel is imported where a time is written: the policies import this module for `where`
# alone, and every command would otherwise pay for loading Babel.


@lru_cache(maxsize=64)
def locale_for(zone: str) -> str:
    """English as written where `zone` is (en_US in New York, en_IN in Kolkata, en_DE in
    Berlin), or British English where Babel knows no such variant."""
    from babel import Locale, UnknownLocaleError
    from babel.core import get_global

    territory = get_global("zone_territories").get(zone)
    if territory:
        try:
            return str(Locale.parse(f"en_{territory}"))
        except (UnknownLocaleError, ValueError):
            pass
    return "en_GB"


def zone_label(moment: datetime, locale: str) -> str:
    """The zone as people name it: "ET", "CET", "IST", else its long name ("Singapore
    Standard Time"); never "+0800" or "Unknown Region (UTC) Time"."""
    from babel.dates import format_datetime

    for pattern in ("v", "z"):
        label = format_datetime(moment, pattern, locale=locale)
        if label.isalpha() and label.isupper() and len(label) <= 5:
            return label
    return format_datetime(moment, "zzzz", locale=locale)


def day(moment: datetime, locale: str) -> str:
    """ "Friday, December 4" (en_US) or "Friday 4 December" (en_GB), always the full weekday."""
    from babel.dates import format_date, format_skeleton

    text = format_skeleton("MMMMEEEEd", moment, locale=locale)
    short, full = (format_date(moment, p, locale=locale) for p in ("EEE", "EEEE"))
    return text if full in text else text.replace(short, full, 1)


def clock(moment: datetime, locale: str) -> str:
    from babel.dates import format_time

    return format_time(moment, "short", locale=locale)


def length(minutes: int) -> str:
    if minutes == 60:
        return "an hour"
    if minutes > 60 and minutes % 60 == 0:
        return f"{minutes // 60} hours"
    return f"{minutes} minutes"


def when(start: datetime, reader_zone: str, user_zone: str) -> str:
    """The meeting's start for the reader, with the user's time when the zones differ."""
    theirs = start.astimezone(ZoneInfo(reader_zone))
    mine = start.astimezone(ZoneInfo(user_zone))
    their_locale, my_locale = locale_for(reader_zone), locale_for(user_zone)
    said = f"{day(theirs, their_locale)} at {clock(theirs, their_locale)}"
    if theirs.utcoffset() == mine.utcoffset():
        return f"{said} {zone_label(theirs, their_locale)}"
    my_time = f"{clock(mine, my_locale)} {zone_label(mine, my_locale)}"
    if mine.date() != theirs.date():
        from babel.dates import format_date

        my_time = f"{format_date(mine, 'EEEE', locale=my_locale)} {my_time}"
    return f"{said} your time ({my_time} for me)"


_URL = re.compile(r"https?://\S+")
_PHONE = re.compile(r"\+?\d[\d ()./-]{6,}\d")
# A place that names a video service but carries no link: nobody could join from it.
_VIRTUAL = re.compile(r"\b(?:zoom|teams|meet|video|online|webex|skype|call|virtual)\b", re.I)


def where(place: str, link: str) -> str:
    """The sentence saying where the meeting is, or "" when nobody could find it from
    what the calendar holds (no link, no address: the user is asked, never guessed)."""
    place = " ".join(place.split()).rstrip(".")
    link = link.strip() or (m.group(0) if (m := _URL.search(place)) else "")
    if link:
        return f"Here is the link to join: {link}"
    if not place:
        return ""
    if _PHONE.search(place):
        return f"We will talk by phone: {place}."
    if _VIRTUAL.search(place):
        return ""
    return f"We will meet at {place}."

"""The settings the decisions read: who the user is and the automation's timing rules.

Plain values with defaults; `worker.services.settings` fills them from the environment and
config.toml. Kept here, apart from the loader, so the pure policies load nothing but these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """Who the user is, as the drafts introduce them."""

    name: str = "Your Name"
    headline: str = "I am exploring my next role"
    signature: str = ""


@dataclass(frozen=True)
class Policy:
    """The automation's timing rules (all overridable under [policy] in config.toml)."""

    time_zone: str = "UTC"  # the user's zone: send windows are read in it
    daily_outreach_cap: int = 5
    first_nudge_days: int = 7
    second_nudge_days: int = 14
    confirm_hours_before: int = 24
    confirm_not_within_hours: int = 2
    send_window_start: int = 8  # hour of day, user's zone
    send_window_end: int = 20
    met_grace_minutes: int = 15
    thank_you_within_minutes: int = 60
    #: The hour (user's zone) of the meeting day by which notes are awaited: past it, a
    #: thank-you without a takeaway is prepared (and re-rendered if notes come later).
    notes_by_hour: int = 18
    #: Keep in touch every this many weeks after the last real exchange (0: never);
    #: notes may set a contact's own cadence.
    keep_in_touch_weeks: int = 8
    meeting_minutes: int = 30
    summary: bool = True  # a daily summary of what waits, to the user's own address
    summary_hour: int = 8  # when it comes, user's zone
    # Offering times (issue 18): when the user takes meetings, in their zone.
    meeting_hours_start: str = "09:00"
    meeting_hours_end: str = "17:00"
    meeting_weekdays: str = "mon,tue,wed,thu,fri"
    meeting_buffer_minutes: int = 15  # kept free before and after anything busy
    meeting_place: str = "a video call (I will send the link with the invitation)"
    offer_notice_hours: int = 18  # no offered time sooner than this: they need time to answer
    offer_hold_days: int = 5  # an offered time is held for nobody else this long
    answer_languages: str = "en"  # the languages contacts' answers about times are read in

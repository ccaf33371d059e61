"""Who the user is, and whether they have said so: `outreach init` writes the profile and
send window into config.toml; until then no first message is prepared in their name."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from events.errors import UserError
from events.projections.pipeline import ContactRow
from worker.domain.settings import Profile
from worker.services.settings import CONFIG_FILE, SettingsError

#: The one line `reach-out` and `status` give while the profile is the default.
RUN_INIT = "your name is still the default 'Your Name': run `outreach init` first"


class ProfileNotSet(UserError, ValueError):
    """The profile is the default: nothing is written in the user's name until it is set."""


def profile_unset(profile: Profile) -> bool:
    return profile.name.strip() in ("", Profile().name)


def require_profile(profile: Profile) -> None:
    if profile_unset(profile):
        raise ProfileNotSet(RUN_INIT)


def how_we_know_warning(row: ContactRow) -> str | None:
    """The warning `reach-out` gives when the first message cannot say how the user knows
    of the person (it will be flagged at review), or None."""
    if (row.how_we_know or "").strip() or row.referred_by:
        return None
    ref = row.contact_id[:8]
    return (
        f"warning: nothing says how you know {row.name}; the draft will be flagged. "
        f'Add it with `outreach contacts edit {ref} --how "..."` before the draft is prepared'
    )


@dataclass(frozen=True)
class Answers:
    """What `outreach init` asks for."""

    name: str
    headline: str
    signature: str
    time_zone: str
    send_window_start: int
    send_window_end: int


def _check_zone(zone: str, where: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{where}: unknown time zone {zone!r}") from None


def system_zone(env: dict[str, str] | None = None) -> str:
    """The machine's IANA zone: $TZ, else where /etc/localtime points, else UTC."""
    env = dict(os.environ) if env is None else env
    candidates = [env.get("TZ", "").lstrip(":")]
    try:
        target = os.readlink("/etc/localtime")
        candidates.append(target.partition("zoneinfo/")[2])
    except OSError:
        pass
    for zone in candidates:
        if not zone:
            continue
        try:
            _check_zone(zone, "")
        except SettingsError:
            continue
        return zone
    return "UTC"


def check_answers(a: Answers) -> Answers:
    """Refuse answers that would make a message wrong, naming which."""
    if not a.name.strip() or profile_unset(Profile(name=a.name)):
        raise SettingsError("init: --name: give your own name")
    if "\n" in a.name or "\n" in a.headline:
        raise SettingsError("init: the name and introduction are one line each")
    _check_zone(a.time_zone, "init: --time-zone")
    if not (0 <= a.send_window_start < a.send_window_end <= 24):
        raise SettingsError(
            "init: --send-window: the start hour must come before the end hour, within 0-24"
        )
    return a


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    # A JSON string is a TOML basic string for what we write (quotes, backslashes, \n, \uXXXX).
    return json.dumps(str(value), ensure_ascii=False)


def _toml(data: dict[str, Any]) -> str:
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for table, values in data.items():
        if isinstance(values, dict):
            lines += ["", f"[{table}]"] + [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines).lstrip("\n") + "\n"


def write_profile(config_dir: Path, answers: Answers) -> Path:
    """Write the answers into config.toml, keeping every other setting in it; written to a
    new file and renamed over the old, so a failure leaves the old file whole."""
    a = check_answers(answers)
    path = config_dir / CONFIG_FILE
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: {exc}") from None
    data.setdefault("profile", {}).update(
        {"name": a.name.strip(), "headline": a.headline.strip(), "signature": a.signature.strip()}
    )
    data.setdefault("policy", {}).update(
        {
            "time_zone": a.time_zone,
            "send_window_start": a.send_window_start,
            "send_window_end": a.send_window_end,
        }
    )
    config_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.new")
    tmp.write_text(_toml(data), encoding="utf-8")
    os.replace(tmp, path)
    return path

"""The one settings object: environment over a TOML file in the user's config directory."""

from __future__ import annotations

import base64
import os
import stat
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from events.errors import UserError
from events.keyring import master_key_from_secret
from worker.domain.settings import Policy, Profile

APP = "outreach"
CONFIG_FILE = "config.toml"
KEY_FILE = "secret.key"


class SettingsError(UserError, ValueError):
    """A setting is missing or wrong; the message names which and where."""


@dataclass(frozen=True)
class Settings:
    """Everything the worker is configured with.

    Parameters:
      database_url: SQLAlchemy URL of the log (SQLite file by default).
      broker_url: Redis URL for scaled-out workers; None runs actors in-process.
      config_dir / data_dir: the only places the worker writes.
      secret_key: the 32-byte master key that wraps contact keys and token files.
    """

    database_url: str
    broker_url: str | None
    config_dir: Path
    data_dir: Path
    secret_key: bytes = field(repr=False)
    sync_interval_s: int = 60
    profile: Profile = field(default_factory=Profile)
    policy: Policy = field(default_factory=Policy)


def _config_dir(env: Mapping[str, str]) -> Path:
    return Path(env.get("OUTREACH_CONFIG_DIR") or platformdirs.user_config_dir(APP))


def log_file(env: Mapping[str, str] | None = None) -> Path:
    """Where the command line appends the traceback of a bug."""
    return _data_dir(os.environ if env is None else env) / "outreach.log"


def _data_dir(env: Mapping[str, str]) -> Path:
    return Path(env.get("OUTREACH_DATA_DIR") or platformdirs.user_data_dir(APP))


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: {exc}") from None
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read ({exc.strerror})") from None


def _section(cls: type[Any], data: Any, where: str) -> Any:
    """Build a settings dataclass from a TOML table, refusing unknown keys and wrong types."""
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: expected a table")
    known = {f.name: f for f in fields(cls)}
    defaults = cls()
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise SettingsError(f"{where}.{key}: unknown setting")
        expected = type(getattr(defaults, key))
        if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
            raise SettingsError(
                f"{where}.{key}: expected {expected.__name__}, got {type(value).__name__}"
            )
        values[key] = value
    return cls(**values)


def check_private_file(path: Path) -> None:
    """Refuse a secret file that others can read: it would leak keys or tokens."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SettingsError(
            f"{path}: readable by other users (mode {stat.S_IMODE(mode):o}); run `chmod 600 {path}`"
        )


def write_private_file(path: Path, data: bytes) -> None:
    """Write a secret file created 0600 from the start (never world-readable, even briefly).

    Written to a temporary file of its own, then renamed over `path`: two processes
    saving the same token cache at once each rename a whole file, and the later wins,
    instead of one truncating the file the other is writing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600 with a unique name.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _master_key(env: Mapping[str, str], data_dir: Path) -> bytes:
    secret = env.get("OUTREACH_SECRET_KEY")
    if secret:
        try:
            return master_key_from_secret(secret)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
    path = data_dir / KEY_FILE
    if not path.exists():
        _create_key_file(path)
    check_private_file(path)
    raw = path.read_bytes().strip()
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise SettingsError(f"{path}: not a key written by outreach (expected 32 base64 bytes)")
    return key


def _create_key_file(path: Path) -> None:
    """Create the master key file once. Two first runs at the same time must not each
    write their own key (the loser's contact keys would be wrapped with a lost key):
    the file appears by `os.link`, which refuses to replace one already there."""
    tmp = path.with_name(f"{path.name}.{os.urandom(4).hex()}.new")
    write_private_file(tmp, base64.b64encode(os.urandom(32)) + b"\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process won; use its key
    finally:
        tmp.unlink()


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings: environment first, then config.toml, then defaults."""
    env = os.environ if env is None else env
    config_dir = _config_dir(env)
    data_dir = _data_dir(env)
    path = config_dir / CONFIG_FILE
    toml = _read_toml(path)
    for key in toml:
        if key not in {"database_url", "broker_url", "sync_interval_s", "profile", "policy"}:
            raise SettingsError(f"{path}: unknown setting {key!r}")
    for key in ("database_url", "broker_url"):
        if not isinstance(toml.get(key, ""), str):
            raise SettingsError(f"{path}: {key}: expected a string")
    database_url = env.get("OUTREACH_DATABASE_URL") or toml.get("database_url")
    if not database_url:
        database_url = f"sqlite:///{data_dir / 'outreach.sqlite'}"
    broker_url = env.get("OUTREACH_BROKER_URL") or toml.get("broker_url") or None
    sync_interval = toml.get("sync_interval_s", 60)
    if not isinstance(sync_interval, int) or isinstance(sync_interval, bool) or sync_interval < 1:
        raise SettingsError(f"{path}: sync_interval_s must be a positive integer")
    # Owner only when we create it: the SQLite file's views hold contacts' names and
    # addresses in clear. (An existing directory is the user's to keep as they chose.)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings = Settings(
        database_url=database_url,
        broker_url=broker_url,
        config_dir=config_dir,
        data_dir=data_dir,
        secret_key=_master_key(env, data_dir),
        sync_interval_s=sync_interval,
        profile=_section(Profile, toml.get("profile"), f"{path}: [profile]"),
        policy=_section(Policy, toml.get("policy"), f"{path}: [policy]"),
    )
    _check_zone(settings.policy.time_zone, f"{path}: [policy].time_zone")
    return settings


def _check_zone(zone: str, where: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{where}: unknown time zone {zone!r}") from None


def with_policy(settings: Settings, **changes: Any) -> Settings:
    """A copy of `settings` with some policy values changed (tests, the demo)."""
    return replace(settings, policy=replace(settings.policy, **changes))

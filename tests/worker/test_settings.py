"""Settings: environment over config.toml, refusals that name the file and line, private keys."""

from __future__ import annotations

import os
import re
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from worker.services.settings import KEY_FILE, SettingsError, load_settings, write_private_file


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "OUTREACH_CONFIG_DIR": str(tmp_path / "config"),
        "OUTREACH_DATA_DIR": str(tmp_path / "data"),
    }


def _config(env: dict[str, str], text: str) -> Path:
    path = Path(env["OUTREACH_CONFIG_DIR"]) / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_without_any_file(env: dict[str, str], tmp_path: Path) -> None:
    s = load_settings(env)
    assert s.database_url == f"sqlite:///{tmp_path / 'data' / 'outreach.sqlite'}"
    assert s.broker_url is None
    assert s.policy.daily_outreach_cap == 5
    assert len(s.secret_key) == 32


def test_environment_wins_over_the_file(env: dict[str, str]) -> None:
    _config(
        env,
        'database_url = "sqlite:////from/file.sqlite"\n'
        'broker_url = "redis://file:6379/0"\n'
        "[profile]\n"
        'name = "Sam Rivera"\n'
        "[policy]\n"
        'time_zone = "Europe/Berlin"\n'
        "daily_outreach_cap = 3\n",
    )
    from_file = load_settings(env)
    assert from_file.database_url == "sqlite:////from/file.sqlite"
    assert from_file.broker_url == "redis://file:6379/0"
    assert from_file.profile.name == "Sam Rivera"
    assert (from_file.policy.time_zone, from_file.policy.daily_outreach_cap) == ("Europe/Berlin", 3)

    env |= {
        "OUTREACH_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "OUTREACH_BROKER_URL": "redis://env:6379/1",
    }
    from_env = load_settings(env)
    assert from_env.database_url == "postgresql+psycopg://u@h/db"
    assert from_env.broker_url == "redis://env:6379/1"
    assert from_env.profile.name == "Sam Rivera"


def _refusal(env: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "[policy]\ndaily_outreach_cap = 5\nsend_window_start = \n",
            r"config\.toml: .*line 3",
            id="bad-toml",
        ),
        pytest.param('colour = "blue"\n', r"config\.toml: unknown setting 'colour'", id="unknown"),
        pytest.param(
            "[policy]\ndaily_cap = 5\n", r"config\.toml: \[policy\]\.daily_cap: unknown", id="key"
        ),
        pytest.param(
            '[policy]\ndaily_outreach_cap = "five"\n',
            r"\[policy\]\.daily_outreach_cap: expected int, got str",
            id="wrong-type",
        ),
        pytest.param(
            "[policy]\ndaily_outreach_cap = true\n",
            r"\[policy\]\.daily_outreach_cap: expected int, got bool",
            id="bool-for-int",
        ),
        pytest.param(
            '[policy]\ntime_zone = "Mars/Olympus"\n',
            r"\[policy\]\.time_zone: unknown time zone 'Mars/Olympus'",
            id="zone",
        ),
        pytest.param("policy = 3\n", r"\[policy\]: expected a table", id="not-a-table"),
        pytest.param("sync_interval_s = 0\n", r"sync_interval_s must be a positive", id="zero"),
        pytest.param("sync_interval_s = true\n", r"sync_interval_s must be a positive", id="bool"),
        pytest.param(
            "database_url = 5\n", r"config\.toml: database_url: expected a string", id="url"
        ),
        pytest.param(
            "broker_url = [1]\n", r"config\.toml: broker_url: expected a string", id="broker"
        ),
    ],
)
def test_bad_config_is_refused_in_one_line(env: dict[str, str], text: str, expected: str) -> None:
    path = _config(env, text)
    message = _refusal(env)
    assert str(path) in message
    assert re.search(expected, message), message


def test_key_file_is_created_private(env: dict[str, str]) -> None:
    first = load_settings(env)
    path = Path(env["OUTREACH_DATA_DIR"]) / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings(env).secret_key == first.secret_key
    assert not path.with_name(KEY_FILE + ".tmp").exists()


def test_key_file_readable_by_others_is_refused(env: dict[str, str]) -> None:
    load_settings(env)
    path = Path(env["OUTREACH_DATA_DIR"]) / KEY_FILE
    os.chmod(path, 0o644)

    message = _refusal(env)

    assert str(path) in message
    assert f"chmod 600 {path}" in message


def test_key_file_that_is_not_a_key_is_refused(env: dict[str, str]) -> None:
    path = Path(env["OUTREACH_DATA_DIR"]) / KEY_FILE
    path.parent.mkdir(parents=True)
    path.write_text("not a key\n")
    os.chmod(path, 0o600)
    assert f"{path}: not a key written by outreach" in _refusal(env)


def test_secret_key_from_the_environment(env: dict[str, str]) -> None:
    env["OUTREACH_SECRET_KEY"] = "a long enough secret"
    s = load_settings(env)
    assert len(s.secret_key) == 32
    assert not (Path(env["OUTREACH_DATA_DIR"]) / KEY_FILE).exists()

    env["OUTREACH_SECRET_KEY"] = "too short"
    assert "OUTREACH_SECRET_KEY must be at least 16 characters" in _refusal(env)


def test_first_runs_at_the_same_time_agree_on_one_key(env: dict[str, str]) -> None:
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_settings(env).secret_key, range(16)))
    assert len(keys) == 1
    assert os.listdir(env["OUTREACH_DATA_DIR"]) == [KEY_FILE]


def test_data_directory_is_created_private(env: dict[str, str]) -> None:
    # The database in it holds the views, names and addresses in clear.
    load_settings(env | {"OUTREACH_SECRET_KEY": "a long enough secret"})
    assert stat.S_IMODE(Path(env["OUTREACH_DATA_DIR"]).stat().st_mode) == 0o700


def test_secret_files_saved_at_once_by_several_writers_stay_whole(tmp_path: Path) -> None:
    # Two processes refreshing one account's token cache save the same file; each save
    # must land whole (one of them wins), never fail or leave a truncated or stray file.
    target = tmp_path / "tokens" / "account.json"
    contents = [bytes([n]) * 50_000 for n in range(16)]

    def save(n: int) -> None:
        for _ in range(20):
            write_private_file(target, contents[n])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(save, range(16)))

    assert target.read_bytes() in contents
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["account.json"]

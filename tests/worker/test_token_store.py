"""The token store: sealed 0600 files, refusals that name the fix, nothing in clear."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest

from worker.accounts.token_store import TokenMissing, TokenStore, TokenUnreadable
from worker.services.settings import Settings, SettingsError, load_settings

from .conftest import worker_env

SECRET = "1//refresh-token-that-must-never-leak"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(worker_env(tmp_path))


def test_a_saved_secret_loads_back_from_an_owner_only_sealed_file(settings: Settings) -> None:
    store = TokenStore(settings)
    path = store.save("acc-1", SECRET)
    assert path == settings.data_dir / "tokens" / "acc-1.token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert SECRET.encode() not in path.read_bytes()
    assert store.load("acc-1") == SECRET
    store.save("acc-1", "replaced")
    assert store.load("acc-1") == "replaced"
    assert not list(path.parent.glob("*.tmp"))


def test_a_file_others_can_read_is_refused_with_the_chmod_to_run(settings: Settings) -> None:
    store = TokenStore(settings)
    path = store.save("acc-1", SECRET)
    path.chmod(0o644)
    with pytest.raises(SettingsError) as refused:
        store.load("acc-1")
    assert str(path) in str(refused.value)
    assert f"chmod 600 {path}" in str(refused.value)
    assert SECRET not in str(refused.value)


def test_another_secret_key_or_another_accounts_file_does_not_open(
    settings: Settings, tmp_path: Path
) -> None:
    store = TokenStore(settings)
    path = store.save("acc-1", SECRET)
    other = TokenStore(dataclasses.replace(settings, secret_key=b"\x01" * 32))
    with pytest.raises(TokenUnreadable) as wrong_key:
        other.load("acc-1")
    assert "secret key" in str(wrong_key.value)
    assert wrong_key.value.__suppress_context__
    # The account id is sealed in: a file moved onto another account's name is refused.
    path.rename(store.path("acc-2"))
    with pytest.raises(TokenUnreadable):
        store.load("acc-2")


def test_missing_and_deleted_tokens(settings: Settings) -> None:
    store = TokenStore(settings)
    with pytest.raises(TokenMissing):
        store.load("nobody")
    store.save("acc-1", SECRET)
    assert store.delete("acc-1") is True
    assert store.delete("acc-1") is False
    with pytest.raises(TokenMissing):
        store.load("acc-1")


@pytest.mark.parametrize("bad", ["../escape", "a/b", "", ".hidden", "x" * 200])
def test_account_ids_cannot_name_other_paths(settings: Settings, bad: str) -> None:
    with pytest.raises(ValueError, match="account id"):
        TokenStore(settings).save(bad, SECRET)


def test_secrets_stay_out_of_reprs(settings: Settings) -> None:
    store = TokenStore(settings)
    store.save("acc-1", SECRET)
    assert SECRET not in repr(store)
    assert settings.secret_key.hex() not in repr(store)
    assert "secret_key" not in repr(settings)

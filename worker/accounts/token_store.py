"""The token store: each connected account's refresh token, sealed in its own 0600 file.

Tokens live outside the log on purpose: the log is append-only and copied around
(backups, replicas), while a token must be destroyable when the account is removed.
A file holds the secret sealed with AES-GCM under a key derived from the master key,
with the account id as associated data, so a file copied onto another account's name
does not open.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from cryptography.exceptions import InvalidTag

from events.errors import InvalidSetting, UserError
from events.keyring import seal, unseal
from integrations.protocol import NeedsReconnect
from worker.services.settings import Settings, check_private_file, write_private_file

TOKENS_DIR = "tokens"
SUFFIX = ".token"
# Account ids become file names: keep them to characters no path can be built from.
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class TokenMissing(UserError, LookupError):
    """No token is stored for the account (never connected here, or removed)."""


class TokenUnreadable(UserError, ValueError):
    """The token file exists but cannot be opened (another secret key, or damaged)."""


def token_key(master_key: bytes) -> bytes:
    """The key that seals token files: derived, so it never equals a key used elsewhere."""
    return hashlib.sha256(b"outreach-token-store\x00" + master_key).digest()


class TokenStore:
    """Secrets of connected accounts, one sealed file each under data_dir/tokens/.

    Parameters:
      settings: gives the data directory and the master key.
    """

    def __init__(self, settings: Settings) -> None:
        self.directory = settings.data_dir / TOKENS_DIR
        self._key = token_key(settings.secret_key)

    def __repr__(self) -> str:
        return f"TokenStore({str(self.directory)!r})"

    def path(self, account_id: str) -> Path:
        if not _SAFE_ID.fullmatch(account_id):
            raise InvalidSetting(f"not a valid account id: {account_id!r}")
        return self.directory / f"{account_id}{SUFFIX}"

    def save(self, account_id: str, secret: str) -> Path:
        """Store (or replace) the account's secret; the file is created 0600."""
        path = self.path(account_id)
        sealed = seal(self._key, secret.encode("utf-8"), account_id.encode("utf-8"))
        # Owner only from the start, like the data directory itself.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_private_file(path, sealed.encode("ascii") + b"\n")
        return path

    def load(self, account_id: str) -> str:
        """The account's secret.

        Raises TokenMissing when there is none, SettingsError when the file is readable
        by other users (naming the chmod to run), TokenUnreadable when it does not open.
        """
        path = self.path(account_id)
        if not path.exists():
            raise TokenMissing(f"no token stored for account {account_id} ({path})")
        check_private_file(path)
        try:
            sealed = path.read_text(encoding="ascii").strip()
            plain = unseal(self._key, sealed, account_id.encode("utf-8"))
        except (InvalidTag, ValueError, UnicodeError):
            # Never chained: the exception would carry the file's bytes into tracebacks.
            raise TokenUnreadable(
                f"{path}: cannot be opened with this secret key (was OUTREACH_SECRET_KEY or "
                "secret.key changed?); connect the account again"
            ) from None
        return plain.decode("utf-8")

    def delete(self, account_id: str) -> bool:
        """Remove the account's token file; True when there was one."""
        path = self.path(account_id)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def exists(self, account_id: str) -> bool:
        return self.path(account_id).exists()


def load_secret(settings: Settings, account_id: str, command: str) -> str:
    """The account's stored secret for building its provider; none stored, or one that
    does not open, is NeedsReconnect naming `command` (what `outreach status` shows)."""
    try:
        return TokenStore(settings).load(account_id)
    except (TokenMissing, TokenUnreadable) as exc:
        raise NeedsReconnect(str(exc), command=command) from None

"""Per-contact data keys, kept outside the log and wrapped with the master key.

Forgetting a contact deletes its key: every personal field ever written about them
becomes unreadable ciphertext while the log itself stays append-only.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Engine

from events.database import reading_engine
from events.errors import InvalidSetting

metadata = sa.MetaData()
contact_keys = sa.Table(
    "contact_keys",
    metadata,
    sa.Column("contact_id", sa.String(64), primary_key=True),
    sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
)

NONCE_BYTES = 12
# What a forgotten contact's row holds instead of a key: a tombstone, so that nothing
# written about them later (a late reply, a sync) quietly gets a fresh, readable key.
_DESTROYED = b""


class KeyDestroyed(LookupError):
    """The contact was forgotten: their key is gone and no new one will be made."""


def master_key_from_secret(secret: str) -> bytes:
    """Turn `OUTREACH_SECRET_KEY` (any string of at least 16 characters) into a 256-bit key."""
    if len(secret) < 16:
        raise InvalidSetting("OUTREACH_SECRET_KEY must be at least 16 characters long")
    return hashlib.sha256(b"outreach-master-key\x00" + secret.encode()).digest()


def seal(key: bytes, plaintext: bytes, aad: bytes) -> str:
    """Encrypt with AES-GCM; return base64 of nonce + ciphertext."""
    nonce = os.urandom(NONCE_BYTES)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext, aad)).decode("ascii")


def unseal(key: bytes, sealed: str, aad: bytes) -> bytes:
    """Reverse of `seal`; raises `cryptography.exceptions.InvalidTag` on a wrong key."""
    raw = base64.b64decode(sealed)
    return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)


class Keyring:
    """The contacts' data keys, in their own table of the same database.

    Parameters:
      engine: the database holding the `contact_keys` table.
      master_key: 32 bytes that wrap every contact key at rest.
    """

    def __init__(self, engine: Engine, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._engine = engine
        # Reads must not take SQLite's write lock: a projector asks for keys while its own
        # catch-up transaction holds that lock, and would wait on itself until timeout.
        self._reader = reading_engine(engine)
        self._master = master_key
        self._cache: dict[str, bytes | None] = {}
        self._lock = threading.Lock()

    def create_schema(self) -> None:
        metadata.create_all(self._engine)

    def key(self, contact_id: str) -> bytes | None:
        """The contact's data key, or None once the contact was forgotten (or never had one)."""
        with self._lock:
            if contact_id in self._cache:
                return self._cache[contact_id]
        with self._reader.connect() as conn:
            wrapped = conn.execute(
                sa.select(contact_keys.c.wrapped_key).where(contact_keys.c.contact_id == contact_id)
            ).scalar()
        key = None if not wrapped else self._unwrap(contact_id, wrapped)
        with self._lock:
            self._cache[contact_id] = key
        return key

    def ensure_key(self, contact_id: str) -> bytes:
        """Return the contact's key, creating it on first use.

        Raises `KeyDestroyed` when the contact was forgotten.
        """
        key = self.key(contact_id)
        if key is not None:
            return key
        key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(NONCE_BYTES)
        wrapped = nonce + AESGCM(self._master).encrypt(nonce, key, contact_id.encode())
        with self._engine.begin() as conn:
            # Another process may have created it meanwhile: keep whichever landed first.
            existing = conn.execute(
                sa.select(contact_keys.c.wrapped_key).where(contact_keys.c.contact_id == contact_id)
            ).scalar()
            if existing is None:
                conn.execute(
                    contact_keys.insert().values(contact_id=contact_id, wrapped_key=wrapped)
                )
            elif existing == _DESTROYED:
                raise KeyDestroyed(f"contact {contact_id} was forgotten")
            else:
                key = self._unwrap(contact_id, existing)
        with self._lock:
            self._cache[contact_id] = key
        return key

    def forget(self, contact_id: str) -> bool:
        """Destroy the contact's key, leaving a tombstone; return whether there was a key."""
        with self._engine.begin() as conn:
            deleted = conn.execute(
                contact_keys.delete().where(
                    contact_keys.c.contact_id == contact_id,
                    contact_keys.c.wrapped_key != _DESTROYED,
                )
            ).rowcount
            conn.execute(contact_keys.delete().where(contact_keys.c.contact_id == contact_id))
            conn.execute(
                contact_keys.insert().values(contact_id=contact_id, wrapped_key=_DESTROYED)
            )
        with self._lock:
            self._cache[contact_id] = None
        return bool(deleted)

    def load_all(self) -> None:
        """Warm the cache with every key in one query (projection rebuilds read thousands)."""
        with self._reader.connect() as conn:
            rows = conn.execute(sa.select(contact_keys.c.contact_id, contact_keys.c.wrapped_key))
            keys = {cid: self._unwrap(cid, wrapped) if wrapped else None for cid, wrapped in rows}
        with self._lock:
            self._cache.update(keys)

    def forget_cache(self) -> None:
        """Drop cached keys so a key deleted by another process is noticed."""
        with self._lock:
            self._cache.clear()

    def _unwrap(self, contact_id: str, wrapped: bytes) -> bytes:
        nonce, sealed = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
        return AESGCM(self._master).decrypt(nonce, sealed, contact_id.encode())

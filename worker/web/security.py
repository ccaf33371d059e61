"""Who may use the page: the per-install secret, one-time sign-in links, the session
cookie, CSRF tokens, and the Host check that defeats DNS rebinding.

Everything is derived from one random secret in the data directory (mode 0600), so any
process that can read it (the `outreach ui` command, a compose service sharing the data
volume) can mint a sign-in link for a page served by another, and a session survives a
restart of the page. Nothing derived from the secret is ever written to a page or a log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from worker.services.settings import check_private_file, write_private_file

SECRET_FILE = "web.secret"  # noqa: S105 (a file name, not a secret)
#: A sign-in link is good for one use within this many seconds.
SIGN_IN_TTL_S = 300
#: How long a session cookie lasts (the browser forgets it after; sign in again).
SESSION_TTL_S = 14 * 24 * 3600
COOKIE = "outreach_session"


def load_secret(data_dir: Path) -> bytes:
    """The install's page secret, created (0600) on first use; refused if others can read it."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        tmp = path.with_name(f"{path.name}.{os.urandom(4).hex()}.new")
        write_private_file(tmp, base64.b64encode(secrets.token_bytes(32)) + b"\n")
        try:
            os.link(tmp, path)  # two first runs at once: the first file wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    check_private_file(path)
    return base64.b64decode(path.read_bytes().strip())


def _mac(secret: bytes, purpose: str, *parts: str) -> str:
    message = "\x1f".join((purpose, *parts)).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


class Gate:
    """Sign-in links, sessions and CSRF tokens for one secret.

    Parameters:
      secret: the install's page secret (`load_secret`).
      clock: seconds since the epoch (real time: cookies and links expire in the browser's
        world, not the simulated one of a demo).
    """

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._now = clock
        self._used: set[str] = set()
        self._lock = threading.Lock()

    def now(self) -> int:
        return int(self._now())

    # --- sign-in links ----------------------------------------------------------------

    def sign_in_token(self) -> str:
        nonce = secrets.token_urlsafe(16)
        expires = str(self.now() + SIGN_IN_TTL_S)
        return f"{nonce}.{expires}.{_mac(self._secret, 'sign-in', nonce, expires)}"

    def redeem(self, token: str) -> bool:
        """Whether `token` is a sign-in token of ours, unexpired and not used before."""
        try:
            nonce, expires, mac = token.split(".")
            fresh = int(expires) >= self.now()
        except ValueError:
            return False
        if not (fresh and hmac.compare_digest(mac, _mac(self._secret, "sign-in", nonce, expires))):
            return False
        with self._lock:
            if nonce in self._used:
                return False
            self._used.add(nonce)
        return True

    # --- sessions and CSRF ------------------------------------------------------------

    def new_session(self) -> str:
        sid = secrets.token_urlsafe(16)
        expires = str(self.now() + SESSION_TTL_S)
        return f"{sid}.{expires}.{_mac(self._secret, 'session', sid, expires)}"

    def session_id(self, cookie: str | None) -> str | None:
        """The session's id if the cookie is one of ours and unexpired."""
        try:
            sid, expires, mac = (cookie or "").split(".")
            fresh = int(expires) >= self.now()
        except ValueError:
            return None
        ok = fresh and hmac.compare_digest(mac, _mac(self._secret, "session", sid, expires))
        return sid if ok else None

    def csrf_token(self, sid: str) -> str:
        return _mac(self._secret, "csrf", sid)

    def flash_key(self) -> bytes:
        """The key Flask signs its message cookie with (the notices after an action)."""
        return _mac(self._secret, "flash").encode()

    def csrf_ok(self, sid: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf_token(sid))


def allowed_hosts(host: str, port: int, extra: list[str] | None = None) -> frozenset[str]:
    """The Host headers the page answers: the bound address and, on loopback, `localhost`.

    A page on loopback can still be reached by a hostile site that points its own name at
    127.0.0.1 (DNS rebinding); such a request carries that site's name as its Host."""
    names = {f"{host}:{port}"}
    if host in ("127.0.0.1", "::1", "localhost", "0.0.0.0"):
        names |= {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}
    return frozenset(names | set(extra or []))

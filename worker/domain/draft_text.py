"""What counts as the same draft text: the fingerprint kept of the body we wrote."""

from __future__ import annotations

import hashlib


def body_digest(body: str) -> str:
    """A fingerprint of a draft's words, blind to whitespace: a mailbox may hand the text
    back with other line endings, wrapping or a trailing newline, and that is no edit."""
    words = " ".join(body.split())
    return hashlib.sha256(words.encode("utf-8")).hexdigest()[:32]


def changed_by_user(written_digest: str | None, body_now: str) -> bool:
    """Whether the text now in the mailbox is not what we last wrote (the user edited it).

    A draft recorded before fingerprints were kept (no digest) counts as changed: unsure,
    the user's text wins over a re-render."""
    return not written_digest or body_digest(body_now) != written_digest

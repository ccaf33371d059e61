"""Opening the user's editor on a text: $VISUAL or $EDITOR, a private temp file."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from worker.domain.addresses import InvalidInput


class EditorFailed(InvalidInput):
    """The editor could not run or exited non-zero: nothing is changed."""


def edit_text(initial: str, *, suffix: str = ".txt", env: Mapping[str, str] | None = None) -> str:
    """Return the text as the user left it in their editor."""
    env = os.environ if env is None else env
    command = (env.get("VISUAL") or env.get("EDITOR") or "").strip()
    if not command:
        raise EditorFailed("no editor: set $EDITOR (or pass the text with --text)")
    # A private file: drafts and notes hold personal data about the contact.
    fd, name = tempfile.mkstemp(prefix="outreach-", suffix=suffix)
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(initial)
        try:
            done = subprocess.run([*shlex.split(command), str(path)], check=False)
        except (OSError, ValueError) as exc:
            raise EditorFailed(f"editor {command!r} did not start: {exc}") from None
        if done.returncode != 0:
            raise EditorFailed(f"editor {command!r} exited with {done.returncode}; nothing changed")
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)

"""Opening the user's editor on a text, found as git finds one ($VISUAL, $EDITOR,
sensible-editor, nano, vi), on a private temp file."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from worker.domain.addresses import InvalidInput

#: Tried in order after $VISUAL and $EDITOR, as git does (Debian's sensible-editor
#: honours the system's choice; nano and vi are on nearly every system).
FALLBACKS = ("sensible-editor", "nano", "vi")


class EditorFailed(InvalidInput):
    """The editor could not run or exited non-zero: nothing is changed."""


def editor_command(env: Mapping[str, str], fallbacks: tuple[str, ...] = FALLBACKS) -> str:
    """The editor to run, or a one-line error saying what to do without one."""
    for name in ("VISUAL", "EDITOR"):
        command = (env.get(name) or "").strip()
        if command:
            return command
    path = env.get("PATH")
    for name in fallbacks:
        if shutil.which(name, path=path):
            return name
    raise EditorFailed(
        "no editor found ($VISUAL, $EDITOR, " + ", ".join(fallbacks) + "): set $EDITOR, "
        "or pass the text with --text or --file"
    )


def edit_text(initial: str, *, suffix: str = ".txt", env: Mapping[str, str] | None = None) -> str:
    """Return the text as the user left it in their editor."""
    env = os.environ if env is None else env
    command = editor_command(env)
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

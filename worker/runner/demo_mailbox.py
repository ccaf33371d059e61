"""The demo's mailbox as the demo left it: its drafts' text, kept beside a `--keep` world.

The sandbox's mailbox lives in memory and stops with the demo. Rather than a state format
for every emulator (messages, history ids, calendar, tokens), the kept world records what
`drafts show` needs: each draft's subject and text, read-only, named as the demo's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from integrations.protocol import DraftText
from worker.accounts.sandbox import SANDBOX_ENDPOINTS

KEPT_FILE = "demo-mailbox.json"
#: The account the demo connects (worker.runner.demo.connect_sandbox_account).
DEMO_ACCOUNT = "sandbox-google"
NOTE = "the demo's mailbox, as the demo left it (read-only: the sandbox stopped with it)"


def save_mailbox(data_dir: Path, mail_state: Mapping[str, Any]) -> None:
    """Write the drafts of the sandbox's mailbox beside the demo's log."""
    drafts = {
        str(m["draftId"]): {
            "message_id": str(m.get("messageId", "")),
            "subject": str(m.get("headers", {}).get("Subject", "")),
            "body": str(m.get("text", "")).replace("\r\n", "\n"),
        }
        for m in mail_state.get("drafts", [])
        if m.get("draftId")
    }
    (data_dir / KEPT_FILE).write_text(json.dumps(drafts, indent=1) + "\n", encoding="utf-8")


class KeptMailbox:
    """Reads the demo's drafts from the kept file; it answers `read_draft` only."""

    def __init__(self, drafts: dict[str, dict[str, str]]) -> None:
        self.drafts = drafts

    def read_draft(self, provider_draft_id: str) -> DraftText | None:
        kept = self.drafts.get(provider_draft_id)
        if kept is None:
            return None
        return DraftText(
            provider_draft_id=provider_draft_id,
            message_id=kept["message_id"],
            subject=kept["subject"],
            body=kept["body"],
        )

    def close(self) -> None:
        pass


def kept_mailbox(data_dir: Path, env: Mapping[str, str]) -> KeptMailbox | None:
    """The demo's kept mailbox, unless a running sandbox is named (then it is the truth)."""
    path = data_dir / KEPT_FILE
    if env.get(SANDBOX_ENDPOINTS, "").strip() or not path.is_file():
        return None
    return KeptMailbox(json.loads(path.read_text(encoding="utf-8")))

"""What the policies ask the actors to do, each with the key that makes doing it twice harmless."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

ActionKind = Literal[
    "draft_outreach",
    "draft_nudge",
    "delete_draft",
    "send_confirmation",
    "draft_confirmation_ask",
    "mark_met",
    "draft_thank_you",
    "draft_referrer_thanks",
    "draft_keep_in_touch",
    "draft_decline_thanks",
    "rerender_draft",
    "record_no_response",
    "draft_times",
    "read_times_answer",
    "skip",
    "send_summary",
]


@dataclass(frozen=True, slots=True)
class Action:
    """One piece of due work.

    Parameters:
      kind: what to do.
      key: deterministic idempotency key; the events the actor records derive their ids
        from it, so a second run of the same action finds them and does nothing.
      contact_id: whom it concerns.
      due_at: when it became (or becomes) due.
      meeting_id / nudge_number / about_contact_id / draft_id / for_start: the details
        each kind needs.
      reason: for "skip" and "delete_draft", why.

    "rerender_draft" writes a waiting draft's text again from newer facts (notes written
    after it was prepared); the handler reads the draft back first and leaves it alone
    when the user changed it.
    """

    kind: ActionKind
    key: str
    contact_id: str
    due_at: datetime
    meeting_id: str | None = None
    nudge_number: int | None = None
    about_contact_id: str | None = None
    draft_id: str | None = None
    for_start: datetime | None = None
    skipped_action: str | None = None
    reason: str | None = None

    def to_message(self) -> dict[str, Any]:
        """JSON-safe form for the broker."""
        data = asdict(self)
        for name in ("due_at", "for_start"):
            if data[name] is not None:
                data[name] = data[name].isoformat()
        return data

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> Action:
        values = dict(data)
        for name in ("due_at", "for_start"):
            if values.get(name):
                values[name] = datetime.fromisoformat(values[name])
        return cls(**values)


def delete_draft(draft_id: str, contact_id: str, now: datetime, reason: str) -> Action:
    """Delete a waiting draft the state has made wrong, once (keyed by the draft)."""
    return Action(
        kind="delete_draft",
        key=f"delete:{draft_id}",
        contact_id=contact_id,
        due_at=now,
        draft_id=draft_id,
        reason=reason,
    )

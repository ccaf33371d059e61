"""Sending the daily summary to the user's own address: what the summary policy found
waiting, through the user's account, once per local day."""

from __future__ import annotations

from events.ids import derive_id
from events.projections.accounts import AccountRow
from events.types import SummarySent
from integrations.protocol import OutgoingMessage, Provider, TransientProviderError
from worker.domain.policies.actions import Action
from worker.domain.policies.summary import daily_summary
from worker.services.app import App
from worker.services.tick import load_snapshot


def send_summary(
    app: App, account: AccountRow, provider: Provider, action: Action, eid: str
) -> str:
    """Send the summary the action stands for, unless nothing waits any more.

    Like the meeting confirmation, it is looked up in the sent mail by its Message-ID
    first: a worker stopped between sending and recording sends no second copy."""
    now = app.clock.now()
    summary = daily_summary(load_snapshot(app), now, app.settings.policy)
    if summary is None or action.key != f"summary:{summary.day.isoformat()}":
        return "skipped: nothing waits (or the day is over)"
    domain = account.email.rpartition("@")[2] or "outreach.invalid"
    message_id = f"<{derive_id('message', action.key)}@{domain}>"
    try:
        sent = provider.find_sent(message_id)
        if sent is None:
            sent = provider.send_message(
                OutgoingMessage(
                    to=[account.email],
                    subject=summary.subject,
                    body=summary.body,
                    message_id=message_id,
                )
            )
    except TransientProviderError as exc:
        # A courtesy to the user: throttled or down, it waits for a later tick without
        # pausing the whole mailbox, which would hold back a meeting confirmation.
        return f"waiting: {exc}"
    app.journal.record(
        SummarySent(
            account_id=account.account_id,
            day=summary.day,
            message_id=sent.message_id,
            sent_at=now,
        ),
        event_id=eid,
    )
    return "done"

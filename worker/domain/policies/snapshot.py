"""The state the policies read: the views of the log at one moment."""

from __future__ import annotations

from dataclasses import dataclass, field

from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.projections.referrals import ReferralRow
from worker.domain.offers import TimesView


@dataclass(frozen=True)
class Snapshot:
    contacts: dict[str, ContactRow] = field(default_factory=dict)
    meetings: dict[str, MeetingRow] = field(default_factory=dict)
    drafts: dict[str, DraftRow] = field(default_factory=dict)
    referrals: dict[str, ReferralRow] = field(default_factory=dict)
    #: Keys of actions already recorded as skipped (so a skip is written once).
    skipped: frozenset[str] = frozenset()
    #: Offered times, latest replies and answers read (the times policy's state).
    times: TimesView = field(default_factory=TimesView)
    #: The connected accounts, and the local days whose summary was sent.
    accounts: dict[str, AccountRow] = field(default_factory=dict)
    summaries: frozenset[str] = frozenset()

    def drafts_of(self, contact_id: str, kind: str) -> list[DraftRow]:
        return [d for d in self.drafts.values() if d.contact_id == contact_id and d.kind == kind]

"""The state the policies read: the views of the log at one moment."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

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

    @cached_property
    def _drafts_by(self) -> dict[tuple[str, str], list[DraftRow]]:
        # Built once per snapshot: the policies ask once per contact or meeting, and a
        # scan per question made the tick quadratic (issue 17).
        index: dict[tuple[str, str], list[DraftRow]] = defaultdict(list)
        for d in self.drafts.values():
            index[(d.contact_id, d.kind)].append(d)
        return index

    @cached_property
    def _meetings_of(self) -> dict[str, list[MeetingRow]]:
        index: dict[str, list[MeetingRow]] = defaultdict(list)
        for m in self.meetings.values():
            index[m.contact_id].append(m)
        return index

    def drafts_of(self, contact_id: str, kind: str) -> list[DraftRow]:
        return list(self._drafts_by.get((contact_id, kind), ()))

    def meetings_of(self, contact_id: str) -> list[MeetingRow]:
        return list(self._meetings_of.get(contact_id, ()))

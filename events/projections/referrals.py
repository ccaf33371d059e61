"""Referrals: who introduced whom; what came of it is the referred contact's pipeline stage.

A referral named without an address is open: its contact has no address yet, and
`contacts edit --email` completes it (the pipeline row carries the addresses).
"""

from __future__ import annotations

from dataclasses import dataclass

from events.projections.base import Fact, Projection, Rows
from events.projections.rows import Row


@dataclass(slots=True, kw_only=True)
class ReferralRow(Row):
    KEY = "contact_id"
    TABLE = "referrals"
    contact_id: str  # the referred person
    referrer_id: str
    referred_at: str = ""
    referrer_thanks_drafted_at: str | None = None
    referrer_thanked_at: str | None = None


class Referrals(Projection[ReferralRow]):
    name = "referrals"
    row_type = ReferralRow
    handles = frozenset(
        {"contact.added", "contact.merged", "referrer_thanks.drafted", "referrer.thanked"}
    )
    personal: frozenset[str] = frozenset()

    def apply(self, rows: Rows[ReferralRow], fact: Fact) -> None:
        p = fact.payload
        if fact.type == "contact.added":
            if p.get("referred_by"):
                cid = p["contact_id"]
                rows.put(
                    cid,
                    ReferralRow(
                        contact_id=cid, referrer_id=p["referred_by"], referred_at=fact.occurred_at
                    ),
                )
            return
        if fact.type == "contact.merged":
            _merge(rows, p["contact_id"], p["into"])
            return
        row = rows.get(p.get("about_contact_id") or "")
        if row is None:
            return
        rows.touch(row.contact_id)
        if fact.type == "referrer_thanks.drafted":
            row.referrer_thanks_drafted_at = row.referrer_thanks_drafted_at or fact.occurred_at
        else:
            sent_at = p.get("sent_at") or fact.occurred_at
            row.referrer_thanked_at = row.referrer_thanked_at or sent_at


def _merge(rows: Rows[ReferralRow], src: str, into: str) -> None:
    """One person now: whom `src` referred, `into` referred; who referred `src` referred
    `into` (unless someone already had). The row of `src` stays, pointing at nobody new."""
    for row in rows.values():
        if row.referrer_id == src:
            row.referrer_id = into
            rows.touch(row.contact_id)
    mine = rows.get(src)
    if mine is not None and rows.get(into) is None:
        rows.put(
            into,
            ReferralRow(
                contact_id=into,
                referrer_id=mine.referrer_id,
                referred_at=mine.referred_at,
                referrer_thanks_drafted_at=mine.referrer_thanks_drafted_at,
                referrer_thanked_at=mine.referrer_thanked_at,
            ),
        )

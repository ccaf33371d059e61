"""Referrals: who introduced whom; what came of it is the referred contact's pipeline stage.

A referral named without an address is open: its contact has no address yet, and
`contacts edit --email` completes it (the pipeline row carries the addresses).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

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


def _added(rows: Rows[ReferralRow], fact: Fact) -> None:
    p = fact.payload
    if p.get("referred_by"):
        cid = p["contact_id"]
        rows.put(
            cid,
            ReferralRow(contact_id=cid, referrer_id=p["referred_by"], referred_at=fact.occurred_at),
        )


def _merged(rows: Rows[ReferralRow], fact: Fact) -> None:
    _merge(rows, fact.payload["contact_id"], fact.payload["into"])


def _thanks_drafted(rows: Rows[ReferralRow], fact: Fact) -> None:
    row = _about(rows, fact)
    if row is not None:
        row.referrer_thanks_drafted_at = row.referrer_thanks_drafted_at or fact.occurred_at


def _thanked(rows: Rows[ReferralRow], fact: Fact) -> None:
    row = _about(rows, fact)
    if row is not None:
        sent_at = fact.payload.get("sent_at") or fact.occurred_at
        row.referrer_thanked_at = row.referrer_thanked_at or sent_at


def _about(rows: Rows[ReferralRow], fact: Fact) -> ReferralRow | None:
    """The referral a thank-you to the referrer is about, marked changed."""
    row = rows.get(fact.payload.get("about_contact_id") or "")
    if row is not None:
        rows.touch(row.contact_id)
    return row


class Referrals(Projection[ReferralRow]):
    name = "referrals"
    row_type = ReferralRow
    handlers = MappingProxyType(
        {
            "contact.added": _added,
            "contact.merged": _merged,
            "referrer_thanks.drafted": _thanks_drafted,
            "referrer.thanked": _thanked,
        }
    )
    personal: frozenset[str] = frozenset()


def _merge(rows: Rows[ReferralRow], src: str, into: str) -> None:
    """One person now: whom `src` referred, `into` referred; who referred `src` referred
    `into` (unless someone already had). The row of `src` stays, pointing at nobody new."""
    for row in rows.where("referrer_id", [src]):
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

"""What `outreach notes` says about the people named in the notes: each referral found
(added, already known, or open until its address is known) and what could not be read."""

from __future__ import annotations

from typing import Any

from worker.domain.referral_text import read_referrals


def referral_report(text: str, about: str, added: list[str]) -> dict[str, Any]:
    reading = read_referrals(text, not_them=[about])
    found, lines = [], []
    for r in reading.found:
        state = "added" if r.name in added else "already known"
        found.append({"name": r.name, "email": r.email, "company": r.company, "state": state})
        if r.email:
            lines.append(f"referral {state}: {r.name} <{r.email}> (introduced by {about})")
        else:
            at = f" at {r.company}" if r.company else ""
            lines.append(
                f"open referral {state}: {r.name}{at} has no address yet; ask {about} to "
                f"introduce you, then `outreach contacts edit '{r.name}' --email ADDRESS`"
            )
    lines += [f"could not read: {u}" for u in reading.unread]
    return {"referrals": found, "unread": reading.unread, "lines": lines}

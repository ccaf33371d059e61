"""The daily summary: once a day, at the user's chosen hour in their zone, a message to
their own address saying what waits for them; nothing when nothing waits. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from events.projections.pipeline import times_step
from worker.domain.policies.actions import Action
from worker.domain.policies.snapshot import Snapshot
from worker.domain.settings import Policy
from worker.domain.wording import draft_kind_words

AHEAD = timedelta(hours=48)
#: Notes are worth writing while the meeting is fresh: after two weeks, no more reminders.
NOTES_WITHIN = timedelta(days=14)


@dataclass(frozen=True)
class Summary:
    day: date
    subject: str
    body: str


def summary_key(day: date) -> str:
    return f"summary:{day.isoformat()}"


def due_summary(snapshot: Snapshot, now: datetime, policy: Policy) -> list[Action]:
    """One "send_summary" a local day, from the chosen hour, when something waits and an
    account can send it. Keyed by the local date: restarts find it done."""
    if not policy.summary or not any(a.status == "connected" for a in snapshot.accounts.values()):
        return []
    zone = ZoneInfo(policy.time_zone)
    local = now.astimezone(zone)
    if local.hour < policy.summary_hour or local.date().isoformat() in snapshot.summaries:
        return []
    if daily_summary(snapshot, now, policy) is None:
        return []
    at = datetime.combine(local.date(), time(policy.summary_hour), zone).astimezone(UTC)
    return [Action(kind="send_summary", key=summary_key(local.date()), contact_id="", due_at=at)]


def daily_summary(snapshot: Snapshot, now: datetime, policy: Policy) -> Summary | None:
    """What waits, in a message to the user; None when nothing does."""
    zone = ZoneInfo(policy.time_zone)
    names = {c.contact_id: c.name or "someone" for c in snapshot.contacts.values()}
    sections: list[tuple[str, list[str]]] = []
    drafts = sorted(
        (d for d in snapshot.drafts.values() if d.status == "pending"), key=lambda d: d.created_at
    )
    sections.append(
        (
            "Drafts waiting for your review (outreach drafts)",
            [
                f"- {draft_kind_words(d.kind)} to "
                f"{names.get(d.contact_id, 'someone')}, waiting {_age(now, d.created_at)}"
                for d in drafts
            ],
        )
    )
    meetings = sorted(
        (
            m
            for m in snapshot.meetings.values()
            if m.status == "scheduled" and now <= datetime.fromisoformat(m.start) <= now + AHEAD
        ),
        key=lambda m: m.start,
    )
    sections.append(
        (
            "Meetings in the next 48 hours",
            [
                f"- {names.get(m.contact_id, 'someone')}: {_local(m.start, zone)}; "
                f"prepare with `outreach prep {_first(names.get(m.contact_id))}`"
                for m in meetings
            ],
        )
    )
    notes = []
    for m in sorted(snapshot.meetings.values(), key=lambda m: m.start):
        c = snapshot.contacts.get(m.contact_id)
        if m.status != "met" or c is None or c.closed or c.forgotten:
            continue
        if now - datetime.fromisoformat(m.end) > NOTES_WITHIN:
            continue
        if c.notes_at and c.notes_at >= m.start:
            continue
        notes.append(
            f"- your meeting with {c.name} on {_local(m.start, zone)}: "
            f"`outreach notes {_first(c.name)}`"
        )
    sections.append(("Notes to write", notes))
    answers = [
        f"- {c.name or 'someone'}: {step}"
        for c in sorted(snapshot.contacts.values(), key=lambda c: c.last_reply_at or "")
        if c.times_answer and not (c.closed or c.forgotten) and (step := times_step(c))
    ]
    sections.append(("Answers about times", answers))
    referrals = []
    for r in sorted(snapshot.referrals.values(), key=lambda r: r.referred_at):
        c = snapshot.contacts.get(r.contact_id)
        if c is None or c.emails or c.forgotten or c.merged_into or c.closed:
            continue
        referrals.append(
            f"- ask {names.get(r.referrer_id, 'whoever named them')} to introduce you to "
            f"{c.name}, then `outreach contacts edit` with their address"
        )
    sections.append(("Open referrals", referrals))
    accounts = [
        f"- {a.email}: {a.reason or 'needs reconnecting'}; run `{a.command}`"
        for a in snapshot.accounts.values()
        if a.status == "needs_reconnect"
    ]
    sections.append(("Accounts needing attention", accounts))
    waiting = [(title, lines) for title, lines in sections if lines]
    if not waiting:
        return None
    day = now.astimezone(zone).date()
    counts = [_count(len(lines), title) for title, lines in waiting]
    subject = f"Outreach, {day:%a} {day.day} {day:%b}: " + ", ".join(counts)
    body = "\n\n".join(f"{title}:\n" + "\n".join(lines) for title, lines in waiting)
    footer = (
        f"Times are in {policy.time_zone}. This summary comes once a day at "
        f"{policy.summary_hour}:00; `summary = false` under [policy] in config.toml stops it."
    )
    return Summary(day=day, subject=subject, body=f"{body}\n\n{footer}\n")


#: How the subject counts each section: (one, several).
_COUNTS = {
    "Drafts": ("draft waits for review", "drafts wait for review"),
    "Meetings": ("meeting within 48 hours", "meetings within 48 hours"),
    "Notes": ("meeting's notes to write", "meetings' notes to write"),
    "Answers": ("answer about times", "answers about times"),
    "Open": ("open referral", "open referrals"),
    "Accounts": ("account needs attention", "accounts need attention"),
}


def _count(n: int, title: str) -> str:
    one, several = _COUNTS[title.split(" ")[0]]
    return f"{n} {one if n == 1 else several}"


def _first(name: str | None) -> str:
    return (name or "them").split(" ")[0]


def _local(iso: str, zone: ZoneInfo) -> str:
    moment = datetime.fromisoformat(iso).astimezone(zone)
    return f"{moment:%a} {moment.day} {moment:%b} {moment:%H:%M %Z}"


def _age(now: datetime, iso: str) -> str:
    hours = int((now - datetime.fromisoformat(iso)).total_seconds() // 3600)
    if hours < 1:
        return "less than an hour"
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"

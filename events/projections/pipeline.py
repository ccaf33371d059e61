"""The pipeline: each contact, where they stand, and the dates the policies read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal, get_args

from events.projections.base import Fact, Handler, Projection, Rows
from events.projections.rows import Row
from events.text import fold
from events.types import DRAFT_KINDS, SENT_FOR_KIND, DraftKind

# Stages in the order of an interview's life; side exits after.
Stage = Literal[
    "identified",  # known, not chosen to write to yet
    "to_write",  # the user asked to reach out; a draft is due
    "drafted",  # outreach draft waiting for review
    "sent",
    "nudged",
    "replied",
    "scheduled",
    "confirmed",
    "met",
    "thanked",
    "kept_in_touch",
    # side exits
    "declined",
    "cancelled",
    "no_show",
    "no_response",
    "forgotten",
    "merged",  # one person with another contact, who carries on
]
STAGES: tuple[Stage, ...] = get_args(Stage)
_ORDER: dict[str, int] = {s: i for i, s in enumerate(STAGES)}

PERSONAL_FIELDS = ("name", "emails", "company", "role", "how_we_know", "url", "time_zone")


@dataclass(slots=True, kw_only=True)
class ContactRow(Row):
    KEY = "contact_id"
    TABLE = "pipeline"
    INDEXED = ("due_at", "referred_by", "stage", "merged_into")
    contact_id: str
    name: str | None = None
    emails: list[str] = field(default_factory=list)
    company: str | None = None
    role: str | None = None
    how_we_know: str | None = None
    url: str | None = None
    #: Their IANA zone as the user set it ("" or None: not set; contact.updated).
    time_zone: str | None = None
    referred_by: str | None = None
    source: str = "manual"
    stage: Stage = "identified"
    stage_at: str = ""
    added_at: str = ""
    account_id: str | None = None
    thread_id: str | None = None
    last_message_id: str | None = None
    reach_out_at: str | None = None
    outreach_drafted_at: str | None = None
    outreach_sent_at: str | None = None
    replied_at: str | None = None
    auto_replied_at: str | None = None
    out_of_office_until: str | None = None
    bounced: bool = False
    nudges_drafted: int = 0
    nudges_sent: int = 0
    last_nudge_sent_at: str | None = None
    meeting_id: str | None = None
    met_at: str | None = None
    thanked_at: str | None = None
    kept_in_touch_at: str | None = None
    #: When we thanked them for introducing someone (referrers keep in touch too).
    referrer_thanked_at: str | None = None
    #: The last real exchange either way (a message of ours sent, their reply, a
    #: meeting held): the keep-in-touch cadence counts from it.
    last_exchange_at: str | None = None
    #: From the notes: whether they welcome news (None: not said) and the user's own
    #: cadence for them, in weeks.
    keep_in_touch: bool | None = None
    keep_in_touch_weeks: int | None = None
    forgotten: bool = False
    last_event_at: str = ""
    #: The contact this one was merged into (this row then only redirects to it).
    merged_into: str | None = None
    #: Closed by the user ("declined", "not_now", "done") or by their spam complaint
    #: ("complained"): nothing more is prepared.
    closed: str | None = None
    closed_at: str | None = None
    notes_at: str | None = None
    #: Our drafts to this contact waiting for review: draft id -> kind.
    drafts_waiting: dict[str, str] = field(default_factory=dict)
    #: Keys of work recorded as skipped for this contact (a skip is written once).
    skipped: list[str] = field(default_factory=list)
    #: What the times policy reads: when times were last offered, their latest real
    #: reply (message id, received) and the replies already read as answers.
    times_offered_at: str | None = None
    last_reply_id: str | None = None
    last_reply_at: str | None = None
    times_answered: list[str] = field(default_factory=list)
    #: The latest answer read (chosen, taken, unclear, declined), the time it chose
    #: (1-based) and a short excerpt of it: what the pipeline and the summary say.
    times_answer: str | None = None
    times_choice: int | None = None
    times_excerpt: str | None = None
    #: The next moment a policy may find work for this contact (None: nothing will
    #: come due until something happens). Set by the worker's dater, not by `apply`:
    #: the policies live in the worker (docs/performance.md).
    due_at: str | None = None
    #: Name, company, role and addresses folded (events.text.fold): what the people
    #: page's search reads, one column instead of folding every row per search.
    search_text: str = ""


def _advance(row: ContactRow, stage: Stage, at: str, *, only_from: tuple[str, ...] = ()) -> None:
    """Move to `stage` if allowed; stages never move backwards except through `only_from`."""
    if row.stage == "forgotten":
        return
    if only_from and row.stage not in only_from:
        return
    row.stage = stage
    row.stage_at = at


#: A draft of each kind waits from its "drafted" event until one of these ends it.
_DRAFTED: dict[str, str] = dict(DRAFT_KINDS)
_SENT = frozenset(cls.TYPE for cls in SENT_FOR_KIND.values())
_PRE_REPLY = ("identified", "to_write", "drafted", "sent", "nudged", "no_response")


#: How one event in a contact's story changes their row (`rows` for those that reach
#: other contacts' rows too).
Change = Callable[[Rows[ContactRow], ContactRow, Fact], None]


def _current(rows: Rows[ContactRow], cid: str) -> ContactRow | None:
    """The row an event about `cid` changes, marked changed: the contact's own, or the
    one they were merged into (a reply on a merged-away thread is news about them)."""
    row = rows.get(cid)
    if row is not None and row.merged_into:
        row = rows.get(row.merged_into)
    if row is not None:
        rows.touch(row.contact_id)
    return row


def _story(*changes: Change) -> Handler[ContactRow]:
    """The handler of an event in the contact's story: it dates their latest event and
    notes a real exchange, then applies `changes` in order."""

    def handle(rows: Rows[ContactRow], fact: Fact) -> None:
        row = _current(rows, fact.payload["contact_id"])
        if row is None:
            return  # an event for a contact this view never saw added: nothing to show
        row.last_event_at = fact.occurred_at
        _note_exchange(row, fact.type, fact.payload, fact.occurred_at)
        for change in changes:
            change(rows, row, fact)

    return handle


def _bookkeeping(change: Change) -> Handler[ContactRow]:
    """The handler of an event that changes what the policies read but not the story."""

    def handle(rows: Rows[ContactRow], fact: Fact) -> None:
        row = _current(rows, fact.payload["contact_id"])
        if row is not None:
            change(rows, row, fact)

    return handle


def _added(rows: Rows[ContactRow], fact: Fact) -> None:
    p, at = fact.payload, fact.occurred_at
    row = ContactRow(
        contact_id=p["contact_id"],
        referred_by=p.get("referred_by"),
        source=p.get("source", "manual"),
        stage_at=at,
        added_at=at,
    )
    _copy_personal(row, p)
    rows.put(row.contact_id, row)


def _waits(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    row.drafts_waiting = {**row.drafts_waiting, fact.payload["draft_id"]: _DRAFTED[fact.type]}


def _waits_no_more(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    row.drafts_waiting = _without(row.drafts_waiting, fact.payload.get("draft_id"))


def _times_offered(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    at, last = fact.occurred_at, row.times_offered_at
    if last is None or datetime.fromisoformat(at) > datetime.fromisoformat(last):
        row.times_offered_at = at


def _updated(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    _copy_personal(row, fact.payload)


def _merged(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    _merge(rows, row, fact.payload["into"], fact.occurred_at)


def _closed(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    row.closed = fact.payload.get("outcome") or "done"
    row.closed_at = fact.occurred_at


def _reopened(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    row.closed = row.closed_at = None


def _noted(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    p = fact.payload
    row.notes_at = fact.occurred_at
    # The notes' say on keeping in touch: whether they welcome news, and how often.
    if p.get("keep_in_touch") is not None:
        row.keep_in_touch = bool(p["keep_in_touch"])
    if p.get("every_weeks"):
        row.keep_in_touch_weeks = int(p["every_weeks"])


def _referrer_thanked(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    row.referrer_thanked_at = (
        row.referrer_thanked_at or fact.payload.get("sent_at") or fact.occurred_at
    )


def _forgotten(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    for name in PERSONAL_FIELDS:
        setattr(row, name, [] if name == "emails" else None)
    row.times_excerpt = None
    _index_text(row)
    row.forgotten = True
    _advance(row, "forgotten", fact.occurred_at)


def _requested(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    row.reach_out_at = row.reach_out_at or fact.occurred_at
    _advance(row, "to_write", fact.occurred_at, only_from=("identified",))


def _outreach_drafted(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    row.outreach_drafted_at = fact.occurred_at
    row.account_id = fact.payload.get("account_id")
    _advance(row, "drafted", fact.occurred_at, only_from=("identified", "to_write"))


def _outreach_sent(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    p, at = fact.payload, fact.occurred_at
    row.outreach_sent_at = row.outreach_sent_at or p.get("sent_at") or at
    row.account_id = p.get("account_id") or row.account_id
    row.thread_id = row.thread_id or p.get("thread_id")
    row.last_message_id = p.get("message_id")
    _advance(row, "sent", at, only_from=("identified", "to_write", "drafted"))


def _nudge_drafted(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    row.nudges_drafted = max(row.nudges_drafted, int(fact.payload.get("nudge_number", 1)))


def _nudge_sent(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    p, at = fact.payload, fact.occurred_at
    row.nudges_sent = max(row.nudges_sent, int(p.get("nudge_number", 1)))
    row.last_nudge_sent_at = p.get("sent_at") or at
    row.last_message_id = p.get("message_id")
    _advance(row, "nudged", at, only_from=("sent", "nudged"))


def _times_sent(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    # Our reply offering times is the message their answer will name.
    row.last_message_id = fact.payload.get("message_id") or row.last_message_id


def _replied(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    _apply_reply(row, fact.payload, fact.occurred_at)


def _booked(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    row.meeting_id = fact.payload["meeting_id"]
    _advance(row, "scheduled", fact.occurred_at)


def _confirmed(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    if fact.payload["meeting_id"] == row.meeting_id:
        _advance(row, "confirmed", fact.occurred_at, only_from=("scheduled",))


def _called_off(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    if fact.payload["meeting_id"] == row.meeting_id:
        stage: Stage = "cancelled" if fact.type == "meeting.cancelled" else "declined"
        _advance(row, stage, fact.occurred_at, only_from=("scheduled", "confirmed"))


def _met(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    row.met_at = fact.occurred_at
    _advance(row, "met", fact.occurred_at, only_from=("scheduled", "confirmed", "no_show"))


def _no_show(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    _advance(row, "no_show", fact.occurred_at, only_from=("scheduled", "confirmed", "met"))


def _thanked(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    row.thanked_at = row.thanked_at or fact.payload.get("sent_at") or fact.occurred_at
    _advance(row, "thanked", fact.occurred_at, only_from=("met",))


def _kept_in_touch(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    row.kept_in_touch_at = fact.payload.get("sent_at") or fact.occurred_at
    _advance(row, "kept_in_touch", fact.occurred_at, only_from=("thanked",))


def _no_response(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    _advance(row, "no_response", fact.occurred_at, only_from=("sent", "nudged"))


def _skipped(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    key = str(fact.payload.get("key", ""))
    if key not in row.skipped:
        row.skipped = [*row.skipped, key]


def _answered(rows: Rows[ContactRow], row: ContactRow, fact: Fact) -> None:
    p = fact.payload
    if str(p["message_id"]) not in row.times_answered:
        row.times_answered = [*row.times_answered, str(p["message_id"])]
        row.times_answer, row.times_choice = str(p["outcome"]), p.get("choice")
        row.times_excerpt = excerpt(str(p.get("excerpt") or ""))


_DRAFT_WAITS = _story(_waits)
_DRAFT_DONE = _story(_waits_no_more)


class Pipeline(Projection[ContactRow]):
    name = "pipeline"
    row_type = ContactRow
    # A drafted event makes its draft wait, a sent or discarded one ends the wait; the
    # drafted and sent types are those of DRAFT_KINDS and SENT_FOR_KIND, written out so
    # the table reads whole (tests/events/test_dispatch.py checks they agree).
    handlers = MappingProxyType(
        {
            "contact.added": _added,
            "contact.updated": _story(_updated),
            "contact.forgotten": _story(_forgotten),
            "contact.merged": _story(_merged),
            "contact.closed": _story(_closed),
            "contact.reopened": _story(_reopened),
            "notes.recorded": _story(_noted),
            "outreach.requested": _story(_requested),
            "outreach.drafted": _story(_waits, _outreach_drafted),
            "nudge.drafted": _story(_waits, _nudge_drafted),
            "thank_you.drafted": _DRAFT_WAITS,
            "referrer_thanks.drafted": _DRAFT_WAITS,
            "keep_in_touch.drafted": _DRAFT_WAITS,
            "times.offered": _story(_waits, _times_offered),
            "confirmation_ask.drafted": _DRAFT_WAITS,
            "decline_thanks.drafted": _DRAFT_WAITS,
            "draft.discarded": _DRAFT_DONE,
            "outreach.sent": _story(_waits_no_more, _outreach_sent),
            "nudge.sent": _story(_waits_no_more, _nudge_sent),
            "contact.thanked": _story(_waits_no_more, _thanked),
            "referrer.thanked": _story(_waits_no_more, _referrer_thanked),
            "kept_in_touch": _story(_waits_no_more, _kept_in_touch),
            "times.sent": _story(_waits_no_more, _times_sent),
            "confirmation_ask.sent": _DRAFT_DONE,
            "decline_thanks.sent": _DRAFT_DONE,
            "reply.received": _story(_replied),
            "meeting.scheduled": _story(_booked),
            "meeting.rescheduled": _story(_booked),
            "meeting.confirmed": _story(_confirmed),
            "meeting.cancelled": _story(_called_off),
            "meeting.declined": _story(_called_off),
            "meeting.met": _story(_met),
            "meeting.no_show": _story(_no_show),
            "outreach.no_response": _story(_no_response),
            "action.skipped": _bookkeeping(_skipped),
            "times.answered": _bookkeeping(_answered),
        }
    )
    # Names, addresses and the rest of a contact's details; nothing sealed elsewhere.
    personal = frozenset({"contact.added", "contact.updated", "times.answered"})


#: The fields of a conversation: they move together, from the record further along.
_CONVERSATION = (
    "stage",
    "stage_at",
    "account_id",
    "thread_id",
    "last_message_id",
    "reach_out_at",
    "outreach_drafted_at",
    "outreach_sent_at",
    "replied_at",
    "auto_replied_at",
    "out_of_office_until",
    "bounced",
    "nudges_drafted",
    "nudges_sent",
    "last_nudge_sent_at",
    "meeting_id",
    "met_at",
    "thanked_at",
    "kept_in_touch_at",
    "notes_at",
)


def _without(waiting: dict[str, str], draft_id: str | None) -> dict[str, str]:
    # A new dict: rows compare by value, and the writer notices a changed field.
    return {k: v for k, v in waiting.items() if k != draft_id}


def _merge(rows: Rows[ContactRow], src: ContactRow, into: str, at: str) -> None:
    """`src` and `into` are one person: `into` keeps both addresses, the conversation that
    went further, and every gap filled from `src`; `src` only redirects from now on."""
    dst = rows.get(into)
    if dst is None or dst is src or dst.forgotten or src.forgotten:
        return
    rows.touch(into)
    known = {e.lower() for e in dst.emails}
    dst.emails = dst.emails + [e for e in src.emails if e.lower() not in known]
    for name in PERSONAL_FIELDS:
        if name != "emails" and not getattr(dst, name):
            setattr(dst, name, getattr(src, name))
    dst.referred_by = dst.referred_by or src.referred_by
    ahead, behind = (src, dst) if _further(src, dst) else (dst, src)
    for name in _CONVERSATION:
        value = getattr(ahead, name)
        setattr(dst, name, value if value not in (None, "", 0, False) else getattr(behind, name))
    dst.stage, dst.stage_at = ahead.stage, ahead.stage_at
    dst.drafts_waiting = {**dst.drafts_waiting, **src.drafts_waiting}
    dst.added_at = min(dst.added_at, src.added_at)
    dst.last_event_at = at
    for other in rows.where("referred_by", [src.contact_id]):
        other.referred_by = into
        rows.touch(other.contact_id)
    # Cleared so that mail to these addresses or on that thread finds `into` directly.
    src.emails, src.thread_id, src.drafts_waiting = [], None, {}
    _index_text(src)
    _index_text(dst)
    src.merged_into = into
    src.stage, src.stage_at = "merged", at


def _further(a: ContactRow, b: ContactRow) -> bool:
    """Whether `a`'s conversation went further than `b`'s (a side exit counts as an end)."""
    return stage_rank(a.stage) > stage_rank(b.stage)


_EXCHANGES = frozenset(
    {
        "outreach.sent",
        "nudge.sent",
        "contact.thanked",
        "referrer.thanked",
        "kept_in_touch",
        "meeting.met",
    }
)


def _note_exchange(row: ContactRow, t: str, p: dict[str, Any], at: str) -> None:
    """What the keep-in-touch cadence reads: the last real exchange either way."""
    real_reply = (
        t == "reply.received" and not p.get("auto_reply") and p.get("kind", "reply") == "reply"
    )
    if t in _EXCHANGES or real_reply:
        when = p.get("sent_at") or p.get("received_at") or at
        last = row.last_exchange_at
        if last is None or datetime.fromisoformat(when) > datetime.fromisoformat(last):
            row.last_exchange_at = when


def excerpt(text: str, limit: int = 90) -> str:
    """A reply's first words on one line, cut at a word: enough to recall it."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def times_step(row: ContactRow) -> str | None:
    """What to do about offered times, for a contact who replied and has no meeting:
    None when nothing about times waits for the user (the worker offers or reads)."""
    if row.stage != "replied" or row.times_answer is None:
        return "times offered: wait for their answer" if row.times_offered_at else None
    if row.last_reply_id and row.last_reply_id not in row.times_answered:
        return None  # a newer reply: the worker reads it first
    who = row.emails[0] if row.emails else "CONTACT"
    said = f'"{row.times_excerpt}"' if row.times_excerpt else "(no text)"
    match row.times_answer:
        case "chosen":
            n = row.times_choice
            return f"they chose time {n}: invite them (outreach schedule {who} --offered {n})"
        case "taken":
            return (
                f"they chose time {row.times_choice}, booked since: offer another "
                f"(outreach schedule {who} WHEN)"
            )
        case "declined":
            return f"their answer reads as a no: {said}; if so, outreach close {who} --declined"
        case _:
            return (
                f"they answered about times: {said}; "
                f"invite them at the time you read (outreach schedule {who} WHEN)"
            )


def _apply_reply(row: ContactRow, p: dict[str, Any], at: str) -> None:
    row.thread_id = row.thread_id or p.get("thread_id")
    row.last_message_id = p.get("message_id")
    kind = p.get("kind", "reply")
    if p.get("auto_reply") or kind != "reply":
        # Auto-replies and bounces never count as a reply (domain etiquette).
        row.auto_replied_at = p.get("received_at") or at
        if kind == "bounce":
            row.bounced = True
        if p.get("return_date"):
            row.out_of_office_until = p["return_date"]
        return
    row.last_reply_id = p.get("message_id")
    row.last_reply_at = p.get("received_at") or at
    row.replied_at = row.replied_at or p.get("received_at") or at
    row.out_of_office_until = None
    _advance(row, "replied", at, only_from=_PRE_REPLY)


def _copy_personal(row: ContactRow, p: dict[str, Any]) -> None:
    for name in PERSONAL_FIELDS:
        value = p.get(name)
        if value is not None:
            setattr(row, name, value)
    _index_text(row)


def _index_text(row: ContactRow) -> None:
    """Keep the searchable text in step with the details it is made of."""
    parts = [row.name or "", row.company or "", row.role or "", *row.emails]
    row.search_text = fold(" ".join(" ".join(parts).split()))


def stage_rank(stage: str) -> int:
    return _ORDER.get(stage, -1)


_NEXT = {
    "identified": "choose to reach out (outreach reach-out)",
    "to_write": "first message to prepare",
    "drafted": "review the first message",
    "sent": "wait for a reply; nudge after a week",
    "nudged": "wait for a reply",
    "replied": "settle a time",
    "scheduled": "confirmation the day before",
    "confirmed": "meet",
    "met": "thank them the same day",
    "thanked": "keep in touch in six weeks",
    "kept_in_touch": "nothing due",
    "declined": "write to them for another time, or close (outreach close)",
    "cancelled": "reschedule if they wish",
    "no_show": "write to reschedule",
    "no_response": "nothing: no answer after two nudges",
    "forgotten": "nothing",
    "merged": "nothing: merged with another contact",
}
#: Plain words for each stage, as a user reads them.
STAGE_WORDS = {
    "identified": "not contacted",
    "to_write": "first message to prepare",
    "drafted": "first message waiting for your review",
    "sent": "written to",
    "nudged": "nudged",
    "replied": "replied",
    "scheduled": "meeting set",
    "confirmed": "meeting confirmed",
    "met": "met",
    "thanked": "thanked",
    "kept_in_touch": "kept in touch",
    "declined": "declined the invitation",
    "cancelled": "meeting cancelled",
    "no_show": "did not show",
    "no_response": "no answer",
    "forgotten": "forgotten",
    "merged": "merged",
}
CLOSED_WORDS = {
    "declined": "declined",
    "not_now": "not now",
    "done": "done",
    "complained": "they reported your message as spam",
}
#: What the user has to do about each kind of waiting draft, in the words the rest of the
#: product names the kinds with (worker/domain/wording.py's DRAFT_KIND_WORDS, which the
#: views may not import; tests/worker/test_event_words.py checks the two agree).
_DRAFT_WORDS: dict[DraftKind, str] = {
    "outreach": "your first message waits for review",
    "nudge": "your reminder waits for review",
    "thank_you": "your thank-you waits for review",
    "referrer_thanks": "your thanks for an introduction waits for review",
    "keep_in_touch": "your keep-in-touch note waits for review",
    "propose_times": "your reply offering times waits for review",
    "confirmation_ask": "your question about where to meet waits for review",
    "decline_thanks": "your thank-you for their answer waits for review",
}
_WAITING_WORDS: dict[str, str] = {str(k): v for k, v in _DRAFT_WORDS.items()}


def waiting_words(kind: str) -> str:
    """What to do about a waiting draft of `kind` (an unknown kind: its name in words)."""
    return _WAITING_WORDS.get(kind, f"your {kind.replace('_', ' ')} waits for review")


def stage_words(row: ContactRow) -> str:
    """The stage in plain words; a closed contact says so first."""
    words = STAGE_WORDS.get(row.stage, row.stage.replace("_", " "))
    if row.closed:
        return f"closed ({CLOSED_WORDS.get(row.closed, row.closed)}), was {words}"
    return words


def day_words(iso: str) -> str:
    """A date as people write it ("Thursday 12 March"); the text itself if it is none."""
    try:
        d = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d:%A} {d.day} {d:%B}"


def next_step(row: ContactRow) -> str:
    """What happens next for this contact, in words, from its current state (a draft
    waiting for review first: that is what the user has to do)."""
    if row.closed:
        if "decline_thanks" in row.drafts_waiting.values():
            return f"{waiting_words('decline_thanks')}; nothing more after it"
        return "nothing: closed (outreach reopen to pick it up again)"
    if row.drafts_waiting:
        kinds = sorted(set(row.drafts_waiting.values()))
        return "; ".join(waiting_words(k) for k in kinds)
    if row.stage == "identified" and not row.emails:
        return "add an e-mail address to write to them (outreach contacts edit --email)"
    if row.stage in ("sent", "nudged") and row.out_of_office_until:
        return f"away until {day_words(row.out_of_office_until)}; nudge after"
    if row.stage == "replied" and (times := times_step(row)):
        return times
    return _NEXT.get(row.stage, "")

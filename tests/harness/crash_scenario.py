"""The crash-and-restart harness: weeks of a generated story against the sandbox while the
worker is killed with SIGKILL and provider requests fail, then checked against the
sandbox's own record of what happened.

`run_scenario` plays a seeded crowd of contacts (replies, out-of-office answers, bounces,
silence that leads to nudges, meetings booked by either side and then moved, declined or
cancelled, notes naming referrals) hour by hour against real `outreach` processes in
lockstep with a simulated clock (`tests/harness/lockstep.py`):

- embedded: `outreach run` on SQLite with the in-process broker;
- scaled: two `outreach worker` processes and an `outreach scheduler` on PostgreSQL +
  Redis, whose database is flushed (and its clients disconnected) mid-run.

The account is the Gmail emulator's or the Microsoft Graph emulator's (`far_ends.py`).
Meanwhile a fault plan fails a share of provider requests (429, 500/503, dropped
connections), the token endpoint's included, and processes are killed at seeded moments:
the workers (and, when asked, the scheduler) at a random instant of a step, the workers
also exactly while the sandbox is serving one of their changes (creating a draft,
sending, deleting) so the change lands and the process never hears of it. Afterwards
the faults stop, the worker converges, and `check` compares the mailbox, the calendar
and the log. `bench/crash_restart.py` runs the long version;
`tests/reliability/test_crash_restart.py` a short one.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.projections.pipeline import ContactRow
from events.types import EVENT_TYPES, DraftEvent, MeetingConfirmed, SummarySent
from integrations.sandbox.faults import Fault
from tests.harness.far_ends import FarEnd, ProviderName, far_end
from tests.harness.lockstep import LockstepDriver
from worker.domain.policies.confirmations import confirmation_key
from worker.domain.policies.due import due_actions
from worker.domain.sync_records import meeting_id_for
from worker.runner.runtime import sync_key
from worker.services import heartbeat
from worker.services.contacts import ContactBook, NewContact
from worker.services.notes import record_notes
from worker.services.tick import load_snapshot

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # a Monday morning in London
USER_ZONE = "Europe/London"
ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
#: The share of the run over which the chosen contacts arrive.
ARRIVALS = 0.4
#: The Retry-After of injected 429s and 503s, in seconds.
RETRY_AFTER_S = 0.05
#: What a kill may hit: the processes that run actions, or the one that schedules them.
KillTarget = Literal["workers", "scheduler"]
KILL_TARGETS: tuple[KillTarget, ...] = ("workers", "scheduler")
#: The scaled scheduler's leader lock and the claims of what it queued, in Redis
#: (worker/runner/scaled.py).
LEADER_KEY = "outreach:leader:scheduler"
CLAIMS = "outreach:inflight:"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words(
    "Ada Alan Barbara Claude Dana Edsger Frances Grace Hedy Ivan Joan Ken Lynn Margaret "
    "Niklaus Olga Peter Radia Sophie Tim Ursula Vint Whitfield Xiao Yukihiro Zoe Anita "
    "Brian Carol Dennis Evelyn Fran Guido Hal Irene Jim Karen Leslie Mary Nancy"
)
LAST = _words(
    "Lovelace Turing Liskov Shannon Scott Dijkstra Allen Hopper Lamarr Sutherland Clarke "
    "Thompson Conway Hamilton Wirth Taussky Naur Perlman Wilson Berners Franklin Cerf "
    "Diffie Li Matsumoto Ritchie Borg Kernighan Shaw Stroustrup Estrin Goldwasser Rossum "
    "Abelson Greif Gray Jones Lamport Keller Lynch"
)


# --- the scenario ------------------------------------------------------------------------


@dataclass
class Person:
    """One contact's side of the story, decided up front so the story replays the same
    whatever the worker's timing; the times are relative to what the worker did (an
    answer comes hours after our message actually left)."""

    index: int
    name: str
    email: str
    company: str
    zone: str
    added_at: datetime | None  # None: a referral, added by the notes on their referrer
    referred_by: int | None = None
    fate: str = "silent"  # silent | reply | away | away_then_reply | bounce
    away_after_h: int = 0
    away_days: int = 0
    reply_after_h: int = 0
    meeting: str = "none"  # none | they_invite | we_invite
    invite_after_h: int = 0
    meet_in_days: int = 0
    meet_hour: int = 10
    twist: str = "none"  # none | moved | cancelled | declined
    twist_before_h: int = 0
    move_by_days: int = 0
    referrals: list[int] = field(default_factory=list)
    # What happened, as the story saw it.
    sent_id: str | None = None
    sent_at: datetime | None = None
    away_sent: bool = False
    replied_at: datetime | None = None
    bounced: bool = False
    event_id: str | None = None
    booked_at: datetime | None = None
    start: datetime | None = None
    twisted_at: datetime | None = None
    noted: bool = False


@dataclass(frozen=True)
class Options:
    """A run of the harness.

    Parameters:
      mode: "embedded" (`outreach run`) or "scaled" (two workers and a scheduler).
      provider: whose emulator the account is: "google" (Gmail) or "microsoft" (Outlook).
      kill: what the random-instant kills hit: "workers", "scheduler" or both (scaled;
        embedded, `outreach run` is both). Mid-action kills always hit the workers.
      contacts: people added and chosen by the user (referrals come on top).
      weeks: simulated weeks of story.
      kills: SIGKILL moments (at least); half at random instants of a step, half while
        the sandbox serves a change the process made.
      seed: decides the story, the faults and the kill moments.
      fault_rate: share of provider requests that fail.
      token_fault_rate: share of token requests that fail (None: `fault_rate`). Each
        costs real seconds (google-auth's own retries after a real second).
      step_minutes: simulated minutes per lockstep step.
      rewrite_message_ids: the provider gives sent mail a Message-ID of its own instead
        of the worker's (the emulators' mode for what Gmail and Exchange do not promise
        to keep): the worker must still find its earlier sends by its own mark.
    """

    mode: str = "embedded"
    provider: ProviderName = "google"
    kill: tuple[KillTarget, ...] = KILL_TARGETS
    contacts: int = 200
    weeks: int = 8
    kills: int = 50
    seed: int = 1
    fault_rate: float = 0.10
    token_fault_rate: float | None = None
    step_minutes: int = 60
    rewrite_message_ids: bool = False


def _name(i: int) -> tuple[str, str]:
    first = FIRST[i % len(FIRST)]
    last = LAST[(i // len(FIRST) + i) % len(LAST)]
    return f"{first} {last}", f"{first.lower()}.{last.lower()}.{i}@c{i % 17}.example"


def generate(options: Options) -> list[Person]:
    """The crowd: `contacts` people arriving over the first 40 % of the run, and the
    referrals their notes will name."""
    rng = random.Random(options.seed)
    hours = options.weeks * 7 * 24
    arrive_h = max(1, int(hours * ARRIVALS))
    # Shorter runs compress the contacts' delays, so a two-week run still has meetings.
    pace = min(1.0, options.weeks / 8)
    people: list[Person] = []
    for i in range(options.contacts):
        name, email = _name(i)
        day_h = rng.randrange(0, arrive_h // 24 + 1) * 24 + rng.randint(1, 10)
        people.append(
            Person(
                i,
                name,
                email,
                f"Company {i % 23}",
                rng.choice(ZONES),
                START + timedelta(hours=min(day_h, arrive_h)),
            )
        )
    budget = max(2, options.contacts // 5)
    for p in list(people):
        _fate(rng, p, pace)
        if p.meeting != "none" and p.twist in ("none", "moved") and budget > 0:
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                if budget == 0:
                    break
                budget -= 1
                j = len(people)
                name, email = _name(j)
                ref = Person(j, name, email, f"Company {j % 23}", rng.choice(ZONES), None, p.index)
                _fate(rng, ref, pace)
                ref.referrals = []
                people.append(ref)
                p.referrals.append(j)
    return people


def _fate(rng: random.Random, p: Person, pace: float) -> None:
    p.fate = rng.choices(
        ("silent", "reply", "away", "away_then_reply", "bounce"), (22, 55, 7, 8, 8)
    )[0]
    p.away_after_h = rng.randint(1, 12)
    p.away_days = rng.randint(3, 9)
    p.reply_after_h = rng.randint(3, max(24, int(10 * 24 * pace)))
    if p.fate == "away_then_reply":
        p.reply_after_h = p.away_after_h + rng.randint(24, max(48, int(10 * 24 * pace)))
    if p.fate in ("reply", "away_then_reply") and rng.random() < 0.75:
        p.meeting = rng.choice(("they_invite", "we_invite"))
        p.invite_after_h = rng.randint(2, max(6, int(48 * pace)))
        p.meet_in_days = rng.randint(2, max(3, int(9 * pace)))
        p.meet_hour = rng.randint(9, 16)
        p.twist = rng.choices(("none", "moved", "cancelled", "declined"), (70, 15, 8, 7))[0]
        if p.twist == "declined" and p.meeting == "they_invite":
            p.twist = "cancelled"  # an organiser cancels; only an invitee declines
        # Half before the confirmation is due, half after it went out.
        p.twist_before_h = rng.randint(30, 72) if rng.random() < 0.5 else rng.randint(3, 20)
        p.move_by_days = rng.randint(1, 4)


# --- the other side of the story ---------------------------------------------------------


class CrowdStory:
    """Plays the contacts' side and the user's clicks, hour by hour.

    Parameters:
      driver: the lockstep driver (the app, the sandbox).
      far: the account's provider, as the contacts and the user's mail client see it.
      people: the generated crowd.
      end: the last moment of the story; no meeting is booked that would end after it.
    """

    def __init__(
        self, driver: LockstepDriver, far: FarEnd, people: list[Person], end: datetime
    ) -> None:
        self.app = driver.app
        self.far = far
        self.book = ContactBook(driver.app)
        self.people = people
        self.by_email = {p.email: p for p in people}
        self.end = end
        self.sent_drafts: set[str] = set()
        self.added: set[int] = set()

    def play(self, now: datetime) -> None:
        for p in self.people:
            if p.index not in self.added and p.added_at is not None and p.added_at <= now:
                self.book.add(
                    NewContact(name=p.name, emails=[p.email], company=p.company, role="Engineer"),
                    reach_out=True,
                )
                self.added.add(p.index)
        for p in self.people:
            self._react(p, now)
        # Nothing confirms an invitation the user has not accepted: they accept from
        # their phone within the hour, night or day.
        self.far.accept_invitations(now)
        if 8 <= now.astimezone(ZoneInfo(USER_ZONE)).hour < 20:
            self._review(now)

    # the contacts ----------------------------------------------------------------------

    def _react(self, p: Person, now: datetime) -> None:
        if p.sent_id is None or p.sent_at is None:
            return
        since = now - p.sent_at
        if p.fate == "bounce" and not p.bounced and since >= timedelta(hours=1):
            self.far.bounce(p.sent_id)
            p.bounced = True
        if (
            p.fate.startswith("away")
            and not p.away_sent
            and since >= timedelta(hours=p.away_after_h)
        ):
            back = (now + timedelta(days=p.away_days)).date()
            self.far.auto_reply(p.sent_id, back)
            p.away_sent = True
        replies = p.fate in ("reply", "away_then_reply")
        if replies and p.replied_at is None and since >= timedelta(hours=p.reply_after_h):
            self.far.reply(p.sent_id, f"Happy to talk, {p.name.split()[0]} here.")
            p.replied_at = now
        booking = p.replied_at is not None and p.meeting != "none" and p.event_id is None
        if booking and now - p.replied_at >= timedelta(hours=p.invite_after_h):  # type: ignore[operator]
            self._invite(p, now)
        if p.event_id is not None and p.start is not None:
            self._twist(p, now)
            self._notes(p, now)

    def _invite(self, p: Person, now: datetime) -> None:
        zone = ZoneInfo(p.zone)
        day = (now + timedelta(days=p.meet_in_days)).astimezone(zone).date()
        start = datetime(day.year, day.month, day.day, p.meet_hour, 0, tzinfo=zone).astimezone(UTC)
        latest = start + timedelta(days=p.move_by_days if p.twist == "moved" else 0)
        if latest + timedelta(hours=4) > self.end:
            p.meeting = "none"  # it would not have happened before the story ends
            return
        end = start + timedelta(minutes=30)
        if p.meeting == "they_invite":
            event_id = self.far.they_invite(p.email, f"Chat with {p.name}", start, end, p.zone)
        else:
            event_id = self.far.we_invite(p.email, now, start, end, p.zone)
        p.event_id, p.booked_at, p.start = event_id, now, start

    def _twist(self, p: Person, now: datetime) -> None:
        assert p.event_id is not None
        assert p.start is not None
        assert p.booked_at is not None
        if p.twist == "none" or p.twisted_at is not None:
            return
        at = p.start - timedelta(hours=p.twist_before_h)
        if at < p.booked_at + timedelta(hours=1):
            at = p.booked_at + timedelta(hours=1)
        if now < at:
            return
        p.twisted_at = now
        if p.twist == "moved":
            start = p.start + timedelta(days=p.move_by_days)
            self.far.move(p.event_id, now, start, start + timedelta(minutes=30), p.zone)
            p.start = start
        elif p.twist == "cancelled":
            self.far.cancel(p.event_id, now, organised_by_us=p.meeting == "we_invite")
        else:
            self.far.decline(p.event_id, p.email)

    def _notes(self, p: Person, now: datetime) -> None:
        assert p.start is not None
        if p.noted or p.twist in ("cancelled", "declined"):
            return
        if now < p.start + timedelta(hours=3):
            return
        p.noted = True
        if not p.referrals:
            return
        names = " ".join(
            f"Talk to {self.people[j].name} <{self.people[j].email}>." for j in p.referrals
        )
        record_notes(self.book, p.email, f"Learned a lot about the field. {names}")

    # the user at their mail client ---------------------------------------------------------

    def _review(self, now: datetime) -> None:
        """Send reviewed drafts two hours old: outreach, nudges (not to someone who
        answered or bounced: the user sees that) and thank-yous. Referrer thanks and
        keep-in-touch notes wait for the user to finish them."""
        self.app.projector.catch_up()
        contacts = {c.contact_id: c for c in self.app.projector.rows(ContactRow)}
        for d in self.app.projector.rows(DraftRow):
            if d.status != "pending" or d.provider_draft_id in self.sent_drafts:
                continue
            if d.kind not in ("outreach", "nudge", "thank_you"):
                continue
            if now - datetime.fromisoformat(d.created_at) < timedelta(hours=2):
                continue
            c = contacts.get(d.contact_id)
            p = self.by_email.get(c.emails[0]) if c is not None and c.emails else None
            if p is None:
                continue
            if d.kind == "nudge" and (p.replied_at is not None or p.bounced):
                continue
            sent = self.far.user_sends(d.provider_draft_id)
            if sent is None:
                continue  # deleted by the worker a moment ago (a reply superseded it)
            self.sent_drafts.add(d.provider_draft_id)
            if d.kind == "outreach":
                p.sent_id, p.sent_at = sent, now


# --- faults and kills ---------------------------------------------------------------------


@dataclass
class Figures:
    """What a run did and found."""

    mode: str
    provider: str = "google"
    #: Whether the provider gave sent mail Message-IDs of its own (Options).
    message_ids_rewritten: bool = False
    contacts: int = 0
    weeks: int = 0
    hours: int = 0
    kills: int = 0
    kills_mid_action: int = 0
    processes_killed: int = 0
    #: Processes killed, by what they were: "worker", "scheduler" or "run".
    killed: dict[str, int] = field(default_factory=dict)
    redis_flushes: int = 0
    #: Claims the killed scheduler left on work it had not queued yet (freed at once).
    claims_freed: int = 0
    requests: int = 0
    faults: int = 0
    token_requests: int = 0
    token_faults: int = 0
    #: Faults injected, by kind ("rate_limit", "unavailable", "server_error", "drop"),
    #: the token endpoint's as "token <kind>".
    fault_kinds: dict[str, int] = field(default_factory=dict)
    events: int = 0
    sends: int = 0
    #: Sent messages to which the provider gave a Message-ID of its own.
    sends_rewritten: int = 0
    drafts: int = 0
    confirmations: int = 0
    #: Meetings the policy decided not to confirm (no send window fits before them).
    confirmations_skipped: int = 0
    meetings: int = 0
    replies: int = 0
    duplicates: int = 0
    misses: int = 0
    converged: bool = False
    converge_s: float = 0.0
    wall_s: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        provider = "Outlook" if self.provider == "microsoft" else "Gmail"
        return f"{self.mode} {provider}{', IDs rewritten' if self.message_ids_rewritten else ''}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _what(name: str) -> str:
    """worker-1 and worker-2 are workers; run and scheduler are themselves."""
    return name.split("-", 1)[0]


class Chaos:
    """The fault plan and the kills of one run.

    Parameters:
      driver: whose processes are killed and whose sandbox fails requests.
      far: the account's provider: which requests are its API, token and changes.
      targets: the processes a random-instant kill may hit.
      workers: the processes a mid-action kill hits (those that call the provider).
      rng: decides the kill moments and delays.
      figures: counts what happened.
    """

    def __init__(
        self,
        driver: LockstepDriver,
        far: FarEnd,
        targets: list[str],
        workers: list[str],
        rng: random.Random,
        figures: Figures,
    ) -> None:
        self.driver = driver
        self.far = far
        self.targets = targets
        self.workers = workers
        self.rng = rng
        self.figures = figures
        self.armed = 0  # mid-action kills waiting for a change to be served
        self.last_kill = time.monotonic()
        self._lock = threading.Lock()
        plan = driver.sandbox.faults
        take = plan.take
        record = driver.sandbox.accounting.record

        def counting_take(provider: str, method: str, kinds: Any = None) -> Fault | None:
            # Every API request the emulators serve asks the plan once (a batch and each
            # of its parts): the count of provider requests. Token requests apart.
            fault = take(provider, method, kinds)
            token = method == far.token_method
            if provider == far.provider and (token or far.is_api(method)):
                with self._lock:
                    if token:
                        self.figures.token_requests += 1
                        self.figures.token_faults += fault is not None
                    else:
                        self.figures.requests += 1
                        self.figures.faults += fault is not None
                    if fault is not None:
                        kind = f"token {fault.kind}" if token else fault.kind
                        kinds_seen = self.figures.fault_kinds
                        kinds_seen[kind] = kinds_seen.get(kind, 0) + 1
            return fault

        def killing_record(provider: str, account: str, method: str) -> None:
            record(provider, account, method)
            if method in far.mutating:
                self._fire()

        # Wrapped on the instances the emulators already hold: the sandbox builds them.
        setattr(plan, "take", counting_take)  # noqa: B010 - an instance, not the class
        setattr(driver.sandbox.accounting, "record", killing_record)  # noqa: B010

    def faults_on(self, rate: float, token_rate: float) -> None:
        """Fail `rate` of provider requests, in these shares: 429s and 503s saying
        Retry-After (briefly: simulated weeks pass in real minutes), 500s and dropped
        connections (the client's own backoff: real seconds). A batch part cannot drop
        its connection: it gets another 429 instead.

        The token endpoint fails `token_rate` of the time, in the same shares: Google's
        token URI (google-auth retries a 429 or 5xx itself, after a real second) and
        Entra ID's /token (the Outlook adapter keeps MSAL from replaying the failure by
        the wall clock: the account's pause decides, on the simulated clock)."""
        self._fail(self.far.apis, self.far.droppable, self.far.batched, rate)
        token = (self.far.token_method,)
        if token_rate > 0:
            # The first token request fails for certain: at 3 % of a few dozen requests a
            # run can meet no token fault at all (a CI run did), yet it claims to have
            # survived them. The rest fail at the rate, as before.
            self.driver.sandbox.faults.add(
                self.far.provider,
                self.far.token_method,
                "unavailable",
                times=1,
                retry_after=RETRY_AFTER_S,
            )
        self._fail(token, token, (), token_rate)

    def _fail(
        self,
        methods: tuple[str, ...],
        droppable: tuple[str, ...],
        batched: tuple[str, ...],
        rate: float,
    ) -> None:
        plan = self.driver.sandbox.faults
        who = self.far.provider
        shares = [("rate_limit", 0.4), ("unavailable", 0.3), ("server_error", 0.15)]
        taken = 0.0
        for kind, share in shares:
            # Rules are tried in turn: each fires on its share of what the earlier left.
            probability = rate * share / (1 - taken)
            after = RETRY_AFTER_S if kind != "server_error" else None
            for method in methods:
                plan.add(who, method, kind, probability=probability, retry_after=after)
            taken += rate * share
        last = rate * 0.15 / (1 - taken)
        for method in droppable:
            plan.add(who, method, "drop", probability=last)
        for method in batched:
            plan.add(who, method, "rate_limit", probability=last, retry_after=RETRY_AFTER_S)

    def faults_off(self) -> None:
        self.driver.sandbox.faults.clear()

    def arm(self) -> None:
        with self._lock:
            self.armed += 1

    def disarm(self) -> None:
        with self._lock:
            self.armed = 0

    def _fire(self) -> None:
        """Kill now, while the sandbox serves a change (called from its request thread)."""
        with self._lock:
            if self.armed == 0:
                return
            self.armed -= 1
        # Scaled out, the sandbox cannot tell which worker called: kill both.
        if self.kill(self.workers):
            with self._lock:
                self.figures.kills_mid_action += 1

    def kill(self, names: list[str]) -> bool:
        hit = [n for n in names if self.driver.procs.kill(n)]
        if hit:
            with self._lock:
                self.figures.kills += 1
                self.figures.processes_killed += len(hit)
                for name in hit:
                    killed = self.figures.killed
                    killed[_what(name)] = killed.get(_what(name), 0) + 1
                self.last_kill = time.monotonic()
        return bool(hit)

    def timed_kill(self, delay_s: float, names: list[str]) -> Callable[[datetime], None]:
        def during(_now: datetime) -> None:
            time.sleep(delay_s)
            self.kill(names)

        return during


def _nothing(_now: datetime) -> None:
    pass


def _flush_redis(url: str) -> None:
    """What a Redis restart does to us: the database emptied and every client cut off.

    Only this database's clients are disconnected: the server is shared with other runs."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        db = int(url.rsplit("/", 1)[1] or 0)
        client.flushdb()
        me = client.client_id()
        for each in client.client_list():
            if int(each.get("db", -1)) == db and int(each["id"]) != me:
                client.client_kill_filter(_id=each["id"])
    finally:
        client.close()


class Maintenance:
    """Requeues what a killed worker had taken from Redis, as Dramatiq's own maintenance
    does; Dramatiq waits 60 s for a silent worker and runs it on 1 command in 1000, which
    would stall every lockstep step after a kill for a minute. Live workers poll every
    20 ms, so one silent for a second is dead."""

    def __init__(self, url: str) -> None:
        from dramatiq.brokers.redis import RedisBroker

        self.broker = RedisBroker(url=url, heartbeat_timeout=1000, maintenance_chance=1_000_000)

    def run(self) -> None:
        for queue in ("default", "default.DQ"):
            self.broker.do_qsize(queue)

    def scheduler_died(self) -> int:
        """Free at once what the dead scheduler held, as expiry would 15 s (its leader
        lock) and 300 s (its claims) later: the restarted scheduler would otherwise wait
        out the lock, and an action claimed but never queued (killed between the two)
        would wait out its claim, each many simulated hours in lockstep. Only claims with
        no message queued, delayed or being run are freed: the others are a worker's.
        Returns how many claims were freed."""
        client = self.broker.client
        client.delete(LEADER_KEY)
        queued: set[str] = set()
        for messages in ("dramatiq:default.msgs", "dramatiq:default.DQ.msgs"):
            for raw in client.hvals(messages):
                message = json.loads(raw)
                [arg] = message["args"]
                queued.add(str(arg["key"]) if isinstance(arg, dict) else sync_key(str(arg)))
        freed = 0
        for claim in client.scan_iter(match=CLAIMS + "*"):
            if claim.decode()[len(CLAIMS) :] not in queued:
                freed += client.delete(claim)
        return freed

    def close(self) -> None:
        self.broker.close()


# --- the run ------------------------------------------------------------------------------


def config_for(options: Options) -> str:
    """config.toml: the demo's profile, a cap that lets every arrival be written to."""
    per_day = options.contacts / max(1.0, options.weeks * 7 * ARRIVALS)
    cap = max(5, math.ceil(per_day * 2) + 2)
    return (
        '[profile]\nname = "Sam Rivera"\n'
        'headline = "I spent six years in logistics and am exploring research engineering"\n\n'
        f'[policy]\ntime_zone = "{USER_ZONE}"\ndaily_outreach_cap = {cap}\n'
    )


def run_scenario(
    options: Options,
    workdir: Path,
    db_url: str,
    redis_url: str | None = None,
    progress: Callable[[str], None] = lambda _line: None,
) -> Figures:
    """Play the story with faults and kills, converge, check; return the figures.

    `redis_url` (a database of this run's own: it is flushed) is needed for "scaled".
    """
    if options.mode not in ("embedded", "scaled"):
        raise ValueError(f"mode must be embedded or scaled, not {options.mode!r}")
    if options.mode == "scaled" and not redis_url:
        raise ValueError("the scaled mode needs a Redis URL")
    if not options.kill or set(options.kill) - set(KILL_TARGETS):
        raise ValueError(f"kill must name some of {', '.join(KILL_TARGETS)}, not {options.kill}")
    began = time.monotonic()
    people = generate(options)
    figures = Figures(
        mode=options.mode,
        provider=options.provider,
        message_ids_rewritten=options.rewrite_message_ids,
        contacts=len(people),
        weeks=options.weeks,
    )
    rng = random.Random(options.seed * 7919 + 1)
    step = timedelta(minutes=options.step_minutes)
    steps = int(timedelta(weeks=options.weeks) / step)
    end = START + step * steps
    broker = redis_url if options.mode == "scaled" else None
    driver = LockstepDriver(
        workdir,
        db_url,
        broker,
        config=config_for(options),
        seed=options.seed,
        start=START,
        account=options.provider,
    )
    maintenance = Maintenance(redis_url) if broker and redis_url else None
    with driver:
        far = far_end(options.provider, driver.sandbox)
        if options.rewrite_message_ids:
            far.rewrite_message_ids()
        if options.mode == "embedded":
            loop, workers, targets = "run", ["run"], ["run"]
            driver.procs.start("run", "run", "--lockstep")
        else:
            loop, workers = "scheduler", ["worker-1", "worker-2"]
            targets = [*(workers if "workers" in options.kill else [])]
            targets += ["scheduler"] if "scheduler" in options.kill else []
            for name in workers:
                driver.procs.start(name, "worker", "--threads", "2", "--idle-poll-ms", "20")
            driver.procs.start("scheduler", "scheduler", "--lockstep")
        if maintenance is not None:
            cleaner = maintenance

            def buried(name: str) -> None:
                if name == "scheduler":
                    figures.claims_freed += cleaner.scheduler_died()

            driver.procs.on_dead = buried
        chaos = Chaos(driver, far, targets, workers, rng, figures)
        token_rate = options.token_fault_rate
        chaos.faults_on(
            options.fault_rate, options.fault_rate if token_rate is None else token_rate
        )
        story = CrowdStory(driver, far, people, end - timedelta(hours=2))
        # Kill moments: never in the first day; the last one in the story's last step.
        # A tenth more than asked: a kill armed for mid-action may find no change to
        # interrupt before the story ends, and one may land while its target restarts.
        planned = options.kills + max(2, options.kills // 10)
        moments = sorted(rng.sample(range(24 * 60 // options.step_minutes, steps - 1), planned - 1))
        plan = {m: rng.random() < 0.5 for m in moments}  # True: mid-action
        plan[steps - 1] = False
        flushes = set()
        if maintenance is not None:
            flushes = {steps // 3, (2 * steps) // 3}

        def waiting(started: float) -> Callable[[], None]:
            def poll() -> None:
                if maintenance is not None and time.monotonic() - started > 1.2:
                    maintenance.run()

            return poll

        for n in range(steps):
            now = START + step * n
            driver.clocks(now)
            story.play(now)
            during: Callable[[datetime], None] = _nothing
            if plan.get(n) and "workers" in options.kill:
                chaos.arm()
            elif n in plan:
                # A quarter of the moments hit every target at once (both workers, or the
                # workers and the scheduler together).
                victims = targets if rng.random() < 0.25 else [rng.choice(targets)]
                during = chaos.timed_kill(rng.uniform(0.0, 0.15), victims)
            if n in flushes and redis_url:
                url = redis_url

                def flush(_now: datetime, url: str = url) -> None:
                    time.sleep(rng.uniform(0.0, 0.1))
                    _flush_redis(url)
                    figures.redis_flushes += 1

                during = flush
            driver.step(loop, during, timeout_s=180, waiting=waiting(time.monotonic()))
            if n % (24 * 60 // options.step_minutes) == 0:
                progress(
                    f"{now:%a %d %b}  kills {figures.kills} ({figures.kills_mid_action} mid-action)"
                    f"  faults {figures.faults}  events {driver.app.store.head()}"
                )
        # Converge: no more faults or kills; step a minute at a time until a tick finds
        # nothing due. Timed from the last kill (made in the story's last step).
        chaos.disarm()
        chaos.faults_off()
        now = end
        for _ in range(240):
            now += timedelta(minutes=1)
            driver.clocks(now)
            driver.step(loop, timeout_s=180, waiting=waiting(time.monotonic()))
            beat = {h.name: h for h in heartbeat.read(driver.app.engine)}[loop]
            if beat.detail.startswith("due 0"):
                figures.converged = True
                break
        figures.converge_s = round(time.monotonic() - chaos.last_kill, 2)
        driver.procs.settle(10.0)
        driver.procs.stop_all()
        if maintenance is not None:
            maintenance.close()
        figures.hours = int((end - START).total_seconds() // 3600)
        check(driver, story, far, now, figures)
    figures.wall_s = round(time.monotonic() - began, 1)
    return figures


# --- the checks ----------------------------------------------------------------------------


def check(
    driver: LockstepDriver, story: CrowdStory, far: FarEnd, now: datetime, figures: Figures
) -> None:
    """Compare the sandbox's record, the log and the views; count duplicates and misses."""
    app = driver.app
    app.projector.catch_up()
    dup: list[str] = []
    miss: list[str] = []
    # The story only ever writes from the contacts' side: whatever the account wrote is ours.
    record = far.record({w.event_id: w.email for w in story.people if w.event_id is not None})
    events = list(app.store.read_all())
    figures.events = len(events)
    figures.sends = len(record.sent)
    figures.sends_rewritten = record.replaced
    by_type: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        by_type.setdefault(e.type, []).append(e.payload)
    # Every kind of draft the worker writes (outreach, nudges, thanks, offered times...).
    drafted = [
        p
        for t, cls in EVENT_TYPES.items()
        if issubclass(cls, DraftEvent)
        for p in by_type.get(t, [])
    ]
    figures.drafts = len(drafted)

    # No message twice: each Message-ID once in the mailbox, each known to the log.
    copies = Counter(record.ours)
    for mid, n in copies.items():
        if n > 1:
            dup.append(f"{n} messages in the mailbox carry {mid}")
    # What the worker writes: drafts, confirmations it sends, the user's daily summary.
    known = {p["message_id"] for p in drafted} | {
        p["message_id"]
        for t in (MeetingConfirmed.TYPE, SummarySent.TYPE)
        for p in by_type.get(t, [])
    }
    for mid in copies:
        if mid not in known:
            dup.append(f"a message in the mailbox the log does not know: {mid}")

    # One confirmation per meeting and start time, each sent exactly once.
    confirmed = Counter(
        (p["meeting_id"], p["for_start"]) for p in by_type.get("meeting.confirmed", [])
    )
    figures.confirmations = sum(confirmed.values())
    skipped = {
        str(p["key"]).removeprefix("skip:"): str(p["reason"])
        for p in by_type.get("action.skipped", [])
    }
    for key, n in confirmed.items():
        if n > 1:
            dup.append(f"{n} confirmations for meeting {key[0]} at {key[1]}")
    for p in by_type.get("meeting.confirmed", []):
        if copies.get(p["message_id"], 0) != 1 or p["message_id"] not in record.sent:
            miss.append(f"confirmation {p['message_id']} is not in the sent mail once")
    meetings = {m.meeting_id: m for m in app.projector.rows(MeetingRow)}
    figures.meetings = len(meetings)

    # Every calendar change is in the log; every meeting that took place was confirmed
    # for the time it took place at, and thanked once (and its referrer once).
    thanks = Counter(p.get("meeting_id") for p in by_type.get("thank_you.drafted", []))
    referrer_thanks = Counter(
        (p["contact_id"], p.get("about_contact_id"))
        for p in by_type.get("referrer_thanks.drafted", [])
    )
    contacts = {c.contact_id: c for c in app.projector.rows(ContactRow)}
    by_email = {c.emails[0]: c for c in contacts.values() if c.emails}
    for who in story.people:
        if who.event_id is None or who.start is None:
            continue
        mid = meeting_id_for(far.account_id, who.event_id)
        row = meetings.get(mid)
        if row is None:
            miss.append(f"{who.name}: the meeting {who.event_id} is not in the log")
            continue
        want = record.events[who.event_id]
        if want is not None and row.status != want:
            miss.append(f"{who.name}: the calendar says {want}, the log {row.status}")
        if want is None:
            if datetime.fromisoformat(row.start) != who.start:
                miss.append(f"{who.name}: the calendar says {who.start}, the log {row.start}")
            if row.status != "met":
                miss.append(f"{who.name}: the meeting at {who.start} is {row.status}, not met")
                continue
            starts = (who.start.isoformat(), who.start.astimezone(UTC).isoformat())
            if all((mid, at) not in confirmed for at in starts):
                # The policy may decide no confirmation fits before the meeting (its send
                # windows in both zones): a recorded decision, reason "booked less than".
                # Any other skip ("came due while nothing ran": the worker was late) is a
                # miss: kills and faults must not cost a confirmation.
                keys = [confirmation_key(mid, datetime.fromisoformat(at)) for at in starts]
                if any(skipped.get(k, "").startswith("booked less than") for k in keys):
                    figures.confirmations_skipped += 1
                else:
                    miss.append(f"{who.name}: no confirmation for {who.start:%Y-%m-%d %H:%M}")
            if thanks[mid] != 1:
                (dup if thanks[mid] > 1 else miss).append(
                    f"{who.name}: {thanks[mid]} thank-you drafts for the meeting"
                )
            referrer = story.people[who.referred_by] if who.referred_by is not None else None
            if referrer is not None:
                them, me = by_email.get(referrer.email), by_email.get(who.email)
                n = referrer_thanks[(them.contact_id if them else "", me.contact_id if me else "")]
                if n != 1:
                    (dup if n > 1 else miss).append(
                        f"{who.name}: {n} thanks to their referrer {referrer.name}"
                    )

    # Every message from a contact is in the log.
    replies = {p["message_id"] for p in by_type.get("reply.received", [])}
    figures.replies = len(replies)
    for message_id in record.received:
        # The daily summary reaches the user's own inbox: no contact wrote it.
        if message_id not in replies and message_id not in known:
            miss.append(f"a message in the inbox the log does not have: {message_id}")

    # No nudge waits for (or was drafted after the answer of) someone who replied.
    nudges = {p["message_id"]: p for p in by_type.get("nudge.drafted", [])}
    drafts = {d.message_id: d for d in app.projector.rows(DraftRow)}
    for message_id in set(record.ours) - set(record.sent):
        d = drafts.get(message_id)
        c = contacts.get(d.contact_id) if d else None
        if message_id in nudges and c is not None and c.replied_at:
            dup.append(f"a nudge waits in the mailbox for {c.name}, who replied")
    for who in story.people:
        c = by_email.get(who.email)
        if who.replied_at is None or c is None:
            continue
        for d in drafts.values():
            if d.kind == "nudge" and d.contact_id == c.contact_id and d.status == "pending":
                dup.append(f"a nudge is pending for {who.name}, who replied")

    # Every outreach the user asked for was drafted.
    outreach = {p["contact_id"] for p in by_type.get("outreach.drafted", [])}
    for c in contacts.values():
        if c.contact_id not in outreach and (c.reach_out_at or c.referred_by):
            miss.append(f"{c.name}: no outreach drafted")

    # Nothing due is left undone.
    left = due_actions(load_snapshot(app), now, app.settings.policy)
    for action in left:
        miss.append(f"still due after converging: {action.kind} {action.key}")

    # Every view equals its rebuild from the log.
    for projection in app.projector.projections:
        key = projection.row_type.KEY
        before = {getattr(r, key): r for r in app.projector.rows(projection.row_type)}
        app.projector.rebuild([projection.name])
        after = {getattr(r, key): r for r in app.projector.rows(projection.row_type)}
        if before != after:
            changed = sorted(
                k for k in before.keys() | after.keys() if before.get(k) != after.get(k)
            )
            miss.append(f"view {projection.name} differs from its rebuild at {changed[:3]}")
    if not figures.converged:
        miss.append("the worker did not converge within 240 steps after the story")
    figures.duplicates, figures.misses = len(dup), len(miss)
    figures.problems = (dup + miss)[:40]

"""`outreach demo`: a few weeks of a realistic story in under a minute, on the sandbox.

The embedded worker (SQLite, in-process broker) runs against the Gmail and Calendar
emulators with a simulated clock; the story plays the contacts' side and the user's
own clicks (sending reviewed drafts, writing notes). Nothing leaves this machine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from events.clock import ManualClock
from events.ids import derive_id
from events.projections.accounts import AccountRow
from events.projections.drafts import DraftRow
from events.projections.meetings import MeetingRow
from events.types import AccountConnected
from integrations.protocol import Provider
from integrations.sandbox import Sandbox
from worker.accounts.registry import sandbox_provider
from worker.domain.meeting_time import when
from worker.domain.settings import Profile
from worker.domain.wording import draft_kind_words, first_name
from worker.runner import composition
from worker.runner.demo_mailbox import save_mailbox
from worker.runner.demo_narration import MORE, Narrator
from worker.services.app import App, open_app
from worker.services.contacts import ContactBook, ContactChanges, NewContact
from worker.services.invitations import invite, plan, plan_offered, scheduling_account, still_free
from worker.services.notes import Notes, record_notes
from worker.services.settings import Settings, load_settings, with_policy

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday morning in London
ZONE = "Europe/London"
DAYS = 23


@dataclass
class Step:
    at: datetime
    what: str
    run: Callable[[], None]


class Story:
    """The scripted other side: contacts who answer, invite, decline or stay silent."""

    def __init__(self, app: App, sandbox: Sandbox, provider: Provider) -> None:
        self.app = app
        self.sandbox = sandbox
        self.google = sandbox.google
        self.provider = provider
        self.book = ContactBook(app)
        self.events: dict[str, str] = {}
        self.narrator = Narrator(app)
        #: Steps that depend on how the story went (notes after a meeting whose time the
        #: contact chose), and lines to tell beside the steps' own.
        self.added: list[Step] = []
        self.told: list[str] = []

    def day(self, n: int, hour: int, minute: int = 0) -> datetime:
        return START.replace(hour=hour, minute=minute) + timedelta(days=n)

    def steps(self) -> list[Step]:
        d = self.day
        return [
            Step(d(0, 8, 5), "you add five people and choose to write to them", self.contacts),
            Step(
                d(0, 8, 10),
                "Ada works from Paris: you set her time zone",
                self.ada_in_paris,
            ),
            Step(
                d(1, 10),
                'Ada replies: "Happy to talk! When would suit you?"',
                lambda: self.reply("ada", "Happy to talk! When would suit you?"),
            ),
            Step(d(1, 11), "Katherine's out-of-office answers", self.katherine_away),
            Step(
                d(1, 14),
                'Barbara replies: "Sure, let\'s talk."',
                lambda: self.reply("barbara", "Sure, let's talk."),
            ),
            Step(
                d(1, 16),
                'Ada answers: "The second one works for me."',
                lambda: self.reply("ada", "The second one works for me. See you then!"),
            ),
            Step(
                d(1, 18),
                "you approve it: outreach schedule ada --offered 2",
                lambda: self.approve("ada"),
            ),
            Step(
                d(2, 9),
                'Barbara answers: "Could we do Friday at 10 instead?"',
                lambda: self.reply("barbara", "Could we do Friday at 10 instead?"),
            ),
            Step(
                d(2, 10),
                "you invite Barbara for Friday 10:00, as she asked",
                self.invite_barbara,
            ),
            Step(
                d(3, 9),
                "Grace answers with an invitation for next Tuesday 16:00",
                lambda: self.invites("grace", "grace@navy.example", "Chat with Grace", d(8, 16)),
            ),
            Step(d(3, 15), "Barbara declines the meeting", self.barbara_declines),
            Step(d(7, 18), "Grace moves the meeting to Wednesday 11:00", self.grace_moves),
            Step(d(9, 12), "you write notes after meeting Grace", self.notes_on_grace),
        ]

    def news(self) -> list[str]:
        """What was told since the last call: the steps' results, then the worker's doing."""
        told, self.told = self.told, []
        return told + self.narrator.news()

    # --- the steps ------------------------------------------------------------------

    def contacts(self) -> None:
        people = [
            (
                "Ada Lovelace",
                "ada@analytical.example",
                "Analytical Engines",
                "Head of Research",
                "the alumni network",
                None,
            ),
            (
                "Linus Torvalds",
                "linus@kernel.example",
                "Kernel Org",
                "Maintainer",
                "a talk he gave at a meetup",
                None,
            ),
            ("Barbara Liskov", "barbara@mit.example", "MIT", "Professor", "her course", None),
            (
                "Katherine Johnson",
                "katherine@nasa.example",
                "NASA",
                "Mathematician",
                "a former colleague",
                None,
            ),
        ]
        for name, email, company, role, how, _ in people:
            self.book.add(
                NewContact(name=name, emails=[email], company=company, role=role, how_we_know=how),
                reach_out=True,
            )
        # Introduced by Ada: gets an outreach draft naming her, without being chosen.
        self.book.add(
            NewContact(
                name="Grace Hopper",
                emails=["grace@navy.example"],
                company="US Navy",
                role="Rear Admiral",
                referred_by="ada@analytical.example",
            )
        )

    def _sent_to(self, who: str) -> str:
        row = self.book.resolve(who)
        if not row.last_message_id:
            raise RuntimeError(f"demo story: nothing was sent to {who} yet")
        return row.last_message_id

    def reply(self, who: str, body: str) -> None:
        self.google.deliver_reply(to_message=self._sent_to(who), body=body)

    def katherine_away(self) -> None:
        self.google.deliver_auto_reply(
            to_message=self._sent_to("katherine"), return_date=date(2026, 3, 12)
        )

    def ada_in_paris(self) -> None:
        """`outreach contacts edit ada --zone Europe/Paris`."""
        self.book.edit("ada@analytical.example", ContactChanges(time_zone="Europe/Paris"))

    def approve(self, who: str) -> None:
        """`outreach schedule WHO --offered N` for the time they chose: still free, so the
        event goes on the calendar with them invited; notes follow the meeting."""
        row = self.book.resolve(who)
        if row.times_answer != "chosen" or row.times_choice is None:
            raise RuntimeError(f"demo story: {who}'s choice of time was not read")
        person, request = plan_offered(self.app, row.contact_id, row.times_choice)
        if not still_free(self.app, self.provider, request):
            raise RuntimeError(f"demo story: {who}'s time is no longer free")
        done = invite(self.app, self.provider, scheduling_account(self.app), person, request)
        [event] = [
            e for e in self.google.calendar_state()["events"] if e["id"] == done.provider_event_id
        ]
        invited = ", ".join(str(a["email"]) for a in event.get("attendees", []))
        zone = self.app.settings.policy.time_zone
        self.told += [
            f"on your calendar: {when(request.start, zone, zone)}",
            f"{MORE}with {invited}, invitation sent",
            f"{MORE}the call: {done.link}",
        ]
        self.added.append(
            Step(
                _next_hour(request.end + timedelta(hours=1)),
                f"you write notes after meeting {first_name(person.name)}",
                self.notes_on_ada,
            )
        )

    def invites(self, who: str, organizer: str, summary: str, start: datetime) -> None:
        """The contact sends the user a 30-minute invitation."""
        ev = self.google.send_invite(
            organizer=organizer,
            summary=summary,
            start=start,
            end=start + timedelta(minutes=30),
            time_zone=ZONE,
            meet=True,
        )
        # The user accepts it in their calendar: only then is it confirmed in their name.
        self.google.respond_to_event(
            str(ev["id"]), attendee=self.google.calendar().email, response="accepted"
        )
        self.events[who] = ev["id"]

    def invite_barbara(self) -> None:
        """`outreach schedule barbara "2026-03-06 10:00" --place LINK`: the time she asked
        for, typed by you, with a call link you paste."""
        person, request = plan(
            self.app,
            "barbara@mit.example",
            "2026-03-06 10:00",
            minutes=30,
            place="https://meet.google.com/ynb-qpkx-rmd",
        )
        done = invite(self.app, self.provider, scheduling_account(self.app), person, request)
        self.events["barbara"] = done.provider_event_id

    def barbara_declines(self) -> None:
        self.google.respond_to_event(
            self.events["barbara"], attendee="barbara@mit.example", response="declined"
        )

    def grace_moves(self) -> None:
        start = self.day(9, 11)
        self.google.move_event(
            self.events["grace"], start=start, end=start + timedelta(minutes=30), time_zone=ZONE
        )

    def notes_on_ada(self) -> None:
        """Written within two hours of the meeting: the thank-you is prepared from them."""
        record_notes(
            self.book,
            "ada@analytical.example",
            Notes(
                takeaway=(
                    "Hearing how you moved from mathematics into engineering made my own "
                    "switch feel possible"
                ),
                text="Loved the path from maths to engines. "
                "Talk to Alan Turing <alan@bletchley.example>.",
                keep_in_touch=True,
            ),
        )

    def notes_on_grace(self) -> None:
        """Grace was Ada's introduction: Ada's update says how it went, in these words."""
        record_notes(
            self.book,
            "grace@navy.example",
            Notes(
                takeaway="Your advice to write code people can read stayed with me",
                went="Grace was generous with her time, and I came away with a reading list",
            ),
        )

    # --- the user at their mail client -----------------------------------------------

    def review_drafts(self, now: datetime) -> None:
        """You send drafts you have had two hours to read, except keep-in-touch notes."""
        self.app.projector.catch_up()
        for d in self.app.projector.rows(DraftRow):
            age = now - datetime.fromisoformat(d.created_at)
            if d.status == "pending" and d.kind != "keep_in_touch" and age >= timedelta(hours=2):
                if d.kind == "referrer_thanks":
                    continue  # left for you to finish: it shows in "drafts waiting"
                self.google.user_sends_draft(d.provider_draft_id)


def _next_hour(moment: datetime) -> datetime:
    """The story moves hour by hour: the first hour at or after `moment`."""
    whole = moment.replace(minute=0, second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(hours=1)


def demo_settings(data_dir: Path) -> Settings:
    env = {
        "OUTREACH_DATA_DIR": str(data_dir),
        "OUTREACH_CONFIG_DIR": str(data_dir / "config"),
        "OUTREACH_DATABASE_URL": f"sqlite:///{data_dir / 'demo.sqlite'}",
    }
    settings = load_settings(env)
    settings = with_policy(settings, time_zone=ZONE)
    return Settings(
        **{
            **settings.__dict__,
            "profile": Profile(
                name="Sam Rivera",
                headline="I spent six years in logistics and am exploring research engineering",
            ),
        }
    )


def connect_sandbox_account(app: App, endpoints: dict[str, Any]) -> None:
    """Record the sandbox's ready-made Google account as connected."""
    app.journal.record(
        AccountConnected(
            account_id="sandbox-google",
            provider="sandbox",
            email=endpoints["google"]["email"],
            time_zone=ZONE,
        ),
        event_id=derive_id("demo", "account"),
    )


def play(
    story: Story,
    clocks: Callable[[datetime], None],
    step: Callable[[], None],
    progress: Callable[[str], None],
    days: int = DAYS,
) -> None:
    """Drive the story hour by hour: move the clocks, play what is due, review drafts,
    then let the worker take one step (whatever runs it: embedded or scaled out)."""
    steps = story.steps()
    now = START
    end = START + timedelta(days=days)
    while now <= end:
        clocks(now)
        steps = sorted([*steps, *story.added], key=lambda s: s.at)
        story.added = []
        while steps and steps[0].at <= now:
            each = steps.pop(0)
            progress(f"{each.at:%a %d %b %H:%M}  {each.what}")
            each.run()
        if 8 <= now.hour < 20:
            story.review_drafts(now)
        step()
        for line in story.news():
            # A line going on the one before it is indented under it, without the time.
            at = "" if line.startswith(MORE) else f"{now:%a %d %b %H:%M}"
            progress(f"{at:16}  {line}")
        now += timedelta(hours=1)


def run_demo(data_dir: Path, progress: Callable[[str], None], days: int = DAYS) -> dict[str, Any]:
    """Play the story; return what the mailbox and the log ended with."""
    clock = ManualClock(START)
    app = open_app(demo_settings(data_dir), clock)
    sandbox = Sandbox(seed=7, start=START)
    sandbox.start()
    try:
        endpoints = sandbox.endpoints()
        provider = sandbox_provider(endpoints, "sandbox-google")
        local = threading.local()
        opened: list[Provider] = [provider]

        def provider_for(_account: AccountRow) -> Provider:
            # httplib2 connections are not thread-safe: one provider per actor thread.
            provider: Provider | None = getattr(local, "provider", None)
            if provider is None:
                provider = local.provider = sandbox_provider(endpoints, "sandbox-google")
                opened.append(provider)
            return provider

        connect_sandbox_account(app, endpoints)
        worker = composition.embedded(app, provider_for)

        def clocks(now: datetime) -> None:
            clock.set(now)
            sandbox.clock.set(now)

        worker.start()
        try:
            play(Story(app, sandbox, provider), clocks, worker.step, progress, days)
        finally:
            worker.stop()
        app.projector.catch_up()
        # Kept beside the log: after `demo --keep`, `drafts show` reads the drafts' text.
        save_mailbox(data_dir, sandbox.google.mail_state())
        return summary(app, sandbox)
    finally:
        for each in locals().get("opened", []):
            each.close()
        sandbox.stop()
        app.close()


def _text(message: dict[str, Any]) -> str:
    return str(message.get("text", "")).replace("\r\n", "\n")


def summary(app: App, sandbox: Sandbox) -> dict[str, Any]:
    from events.projections.pipeline import next_step, stage_words

    contacts = ContactBook(app).all()
    names = {c.contact_id: c.name for c in contacts}
    meetings = app.projector.rows(MeetingRow)
    sent = sandbox.google.mail_state().get("sent", [])
    zones = {m.meeting_id: m.time_zone for m in meetings}
    user_zone = app.settings.policy.time_zone
    # From the log, not the view: a rescheduled meeting has had one per start time.
    confirmations = [
        {
            "to": names.get(e.payload["contact_id"]),
            "for": e.payload["for_start"],
            # As the user reads it, in their own zone.
            "when": when(datetime.fromisoformat(e.payload["for_start"]), user_zone, user_zone),
            "time_zone": zones.get(e.payload["meeting_id"], ""),
            "message_id": e.payload["message_id"],
            "in_mailbox": sum(s.get("messageId") == e.payload["message_id"] for s in sent),
        }
        for e in app.store.read_all(types={"meeting.confirmed"})
    ]
    mailbox = sandbox.google.mail_state()
    in_drafts = {m.get("draftId"): _text(m) for m in mailbox.get("drafts", [])}
    drafts = [
        {
            "kind": d.kind,
            "kind_words": draft_kind_words(d.kind).capitalize(),
            "to": names.get(d.contact_id),
            "subject": d.subject,
            "text": in_drafts.get(d.provider_draft_id, ""),
        }
        for d in app.projector.rows(DraftRow)
        if d.status == "pending"
    ]
    # The notes-first flow as it reached people: the thank-yous that went out.
    ours = {d.message_id: d for d in app.projector.rows(DraftRow) if d.kind == "thank_you"}
    thanks = [
        {"to": names.get(ours[m["messageId"]].contact_id), "text": _text(m)}
        for m in mailbox.get("sent", [])
        if m.get("messageId") in ours
    ]
    # From "happy to talk" to a meeting, as the contact read it: the reply offering times
    # and the confirmation of the time they chose (in their zone, the user's beside it).
    chosen = {c.contact_id for c in contacts if c.times_answer == "chosen"}
    theirs = {
        d.message_id: ("offer", d.contact_id)
        for d in app.projector.rows(DraftRow)
        if d.kind == "propose_times" and d.contact_id in chosen
    }
    for e in app.store.read_all(types={"meeting.confirmed"}):
        if e.payload["contact_id"] in chosen:
            theirs[e.payload["message_id"]] = ("confirmation", e.payload["contact_id"])
    booked = sorted(
        (
            {"what": what, "to": names.get(cid), "text": _text(m)}
            for m in sent
            for what, cid in [theirs.get(m.get("messageId"), ("", ""))]
            if what
        ),
        key=lambda b: (str(b["to"]), b["what"] != "offer"),
    )
    return {
        "pipeline": [
            {"name": c.name, "stage": c.stage, "stage_words": stage_words(c), "next": next_step(c)}
            for c in contacts
        ],
        "booked_from_offer": booked,
        "confirmations": confirmations,
        "drafts_waiting": drafts,
        "thanks_sent": sorted(thanks, key=lambda t: str(t["to"])),
        "events": app.store.head(),
        "accounts": [a.email for a in app.projector.rows(AccountRow)],
    }

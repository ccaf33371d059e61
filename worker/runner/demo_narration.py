"""What the worker did during the demo, told in plain words as it happens: the times it
offered and to whom, how it read an answer, the invitation it prepared, the confirmations
it sent. Read from the log after each step, so it tells what was recorded, whatever ran
the worker (embedded or scaled out)."""

from __future__ import annotations

from collections.abc import Callable

from events.codec import Decoded
from events.types import MeetingConfirmed, TimesAnswered, TimesOffered, TimesOfferSent
from worker.domain.meeting_time import when
from worker.domain.wording import first_name
from worker.services.app import App
from worker.services.contacts import ContactBook
from worker.services.invitations import plan_offered
from worker.services.times_effects import times_context

#: A line that goes on the one before it.
MORE = "  "
_TOLD = ("times.offered", "times.sent", "times.answered", "meeting.confirmed")
_ORDINALS = ("first", "second", "third", "fourth", "fifth")


class Narrator:
    """Tells each new event of the kinds above once, in log order."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.book = ContactBook(app)
        self.seen = app.store.head()

    def news(self) -> list[str]:
        """Lines for what the log gained since the last call."""
        head = self.app.store.head()
        if head == self.seen:
            return []  # most hours: one cheap question
        lines: list[str] = []
        for stored in self.app.store.read_all(after_position=self.seen, types=_TOLD):
            lines += self._tell(self.app.codec.decode(stored))
            head = max(head, stored.position)
        self.seen = head
        return lines

    def _name(self, contact_id: str) -> str:
        return first_name(self.book.resolve(contact_id).name) or "them"

    def _tell(self, d: Decoded) -> list[str]:
        tellers: dict[type, Callable[[Decoded], list[str]]] = {
            TimesOffered: self._offered,
            TimesOfferSent: self._offer_sent,
            TimesAnswered: self._answered,
            MeetingConfirmed: self._confirmed,
        }
        teller = tellers.get(type(d.event))
        return teller(d) if teller else []

    def _offered(self, d: Decoded) -> list[str]:
        offer = d.event
        assert isinstance(offer, TimesOffered)
        name = self._name(offer.contact_id)
        return [
            f"a reply offering {name} three free times, for your review:",
            *(f"{MORE}- {t}" for t in times_context(offer)["offered"]),
        ]

    def _offer_sent(self, d: Decoded) -> list[str]:
        sent = d.event
        assert isinstance(sent, TimesOfferSent)
        return [f"you send {self._name(sent.contact_id)} the reply with the times"]

    def _answered(self, d: Decoded) -> list[str]:
        answer = d.event
        assert isinstance(answer, TimesAnswered)
        name = self._name(answer.contact_id)
        if answer.outcome == "chosen" and answer.choice:
            _, request = plan_offered(self.app, answer.contact_id, answer.choice)
            zone = self.app.settings.policy.time_zone
            minutes = int((request.end - request.start).total_seconds() // 60)
            kind = "video call" if request.video_call else "meeting"
            return [
                f"{name} chose the {_ORDINALS[answer.choice - 1]} time; the invitation is ready:",
                f'{MORE}"{request.summary}"',
                f"{MORE}{when(request.start, zone, zone)}, {minutes} minutes, {kind}",
                f"{MORE}inviting {', '.join(request.attendees)}",
            ]
        said = {
            "unclear": "not one of the times; nothing guessed",
            "taken": "a time you have booked since",
            "declined": "a no (close is suggested, not applied)",
        }
        return [f"{name}'s answer: {said.get(answer.outcome, answer.outcome)}"]

    def _confirmed(self, d: Decoded) -> list[str]:
        confirmed = d.event
        assert isinstance(confirmed, MeetingConfirmed)
        name = self._name(confirmed.contact_id)
        return [f"the confirmation goes to {name} by itself, a day ahead"]

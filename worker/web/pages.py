"""The page's routes: each reads the form, calls one service, and renders or redirects.
No decisions here; what a button does is what the same command line command does."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request
from werkzeug.utils import secure_filename
from werkzeug.wrappers.response import Response

from events.types import CloseOutcome
from worker.domain.addresses import InvalidInput
from worker.services.board import board
from worker.services.contacts import ContactBook, ContactChanges, NewContact
from worker.services.drafts import DraftReview
from worker.services.notes import Notes, record_notes
from worker.services.people import outreach_eta
from worker.services.person import person
from worker.services.progress import progress
from worker.services.scheduling import schedule_meeting
from worker.services.timeline import local_time
from worker.services.today import (
    Page,
    introductions,
    needing_notes,
    save_as_shown,
    send_as_shown,
    today,
    waiting,
)
from worker.web.app import context, request_provider, safe_back
from worker.web.charts import funnel_chart, weekly_chart
from worker.web.security import COOKIE, SESSION_TTL_S

pages = Blueprint("pages", __name__)

CLOSE_OUTCOMES: dict[str, CloseOutcome] = {
    "declined": "declined",
    "not_now": "not_now",
    "done": "done",
}


def _review() -> DraftReview:
    page = context()
    return DraftReview(page.app, request_provider, page.renderer)


def _book() -> ContactBook:
    return ContactBook(context().app)


def _form(name: str) -> str:
    return (request.form.get(name) or "").strip()


def _done(message: str, default: str = "/") -> Response:
    flash(message, "done")
    return redirect(safe_back(request.form.get("back"), default), 303)


# --- signing in -------------------------------------------------------------------------


@pages.get("/sign-in")
def sign_in() -> Response | tuple[str, int]:
    page = context()
    if not page.gate.redeem(request.args.get("token", "")):
        return render_template("signed_out.html", expired=True), 401
    response = redirect("/", 303)
    response.set_cookie(
        COOKIE,
        page.gate.new_session(),
        max_age=SESSION_TTL_S,
        httponly=True,
        samesite="Strict",
        path="/",
    )
    return response


@pages.post("/sign-out")
def sign_out() -> Response:
    response = redirect("/signed-out", 303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Strict")
    return response


@pages.get("/ping")
def ping() -> tuple[str, int, dict[str, str]]:
    """What `outreach ui` asks to find a page already running at an address."""
    return "outreach", 200, {"Content-Type": "text/plain"}


# --- today --------------------------------------------------------------------------------


@pages.get("/")
def today_page() -> str:
    return render_template("today.html", today=today(_review()))


@dataclass(frozen=True)
class TodayList:
    """One of Today's lists on pages of its own: its words and the service paging it."""

    title: str
    empty: str
    page: Callable[[int], Page[Any]]


TODAY_LISTS: dict[str, TodayList] = {
    "drafts": TodayList(
        "Messages waiting for you",
        "Nothing waits for your review.",
        lambda number: waiting(_review(), number),
    ),
    "notes": TodayList(
        "Meetings that need your notes",
        "None: all your meetings have notes.",
        lambda number: needing_notes(context().app, number),
    ),
    "introductions": TodayList(
        "Introductions to follow up",
        "None open.",
        lambda number: introductions(context().app, number),
    ),
}


@pages.get("/today/<kind>")
def today_list(kind: str) -> str:
    shown = TODAY_LISTS.get(kind)
    if shown is None:
        abort(404)
    return render_template(
        "today_list.html",
        kind=kind,
        page=shown.page(request.args.get("page", 1, type=int) or 1),
        title=shown.title,
        empty=shown.empty,
        path=f"/today/{kind}",
    )


@pages.post("/drafts/<draft_id>/send")
def send_draft(draft_id: str) -> Response:
    review = _review()
    draft = review.resolve(draft_id)
    outcome = send_as_shown(
        review,
        draft,
        _form("subject"),
        request.form.get("body") or "",
        anyway=bool(request.form.get("anyway")),
    )
    return _done(f"Sent to {outcome.draft.to}." if outcome.what == "sent" else "Already sent.")


@pages.post("/drafts/<draft_id>/save")
def save_draft(draft_id: str) -> Response:
    review = _review()
    draft = review.resolve(draft_id)
    outcome = save_as_shown(review, draft, _form("subject"), request.form.get("body") or "")
    return _done("Saved in your mailbox." if outcome.what == "updated" else "Nothing changed.")


@pages.post("/drafts/<draft_id>/discard")
def discard_draft(draft_id: str) -> Response:
    review = _review()
    outcome = review.discard(review.resolve(draft_id))
    return _done("Discarded." if outcome.what == "discarded" else "It had already been sent.")


@pages.post("/people/<contact_id>/notes")
def notes(contact_id: str) -> Response:
    book = _book()
    notes = Notes(
        text=_form("people"),
        takeaway=_form("takeaway"),
        keep_in_touch=True if request.form.get("keep_in_touch") else None,
    )
    added = record_notes(book, contact_id, notes)
    name = book.resolve(contact_id).name
    also = f" Added {', '.join(added)} as introduced by {name}." if added else ""
    return _done(f"Notes on {name} recorded.{also}")


# --- people -------------------------------------------------------------------------------


@pages.get("/people")
def people() -> str:
    query = request.args.get("q", "")
    return render_template("people.html", board=board(context().app, query))


@pages.post("/people/add")
def add_person() -> Response:
    emails = [e for e in _form("email").replace(",", " ").split() if e]
    row = _book().add(
        NewContact(
            name=_form("name"),
            emails=emails,
            company=_form("company") or None,
            role=_form("role") or None,
            how_we_know=_form("how") or None,
        ),
        reach_out=bool(request.form.get("reach_out")),
    )
    return _done(f"Added {row.name}.", f"/people/{row.contact_id}")


@pages.post("/people/import")
def import_people() -> str | Response:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("import: choose a file first")
    # Saved under its own name, so a problem is reported as "Connections.csv:12: ...".
    with tempfile.TemporaryDirectory(prefix="outreach-import-") as folder:
        path = Path(folder) / (secure_filename(upload.filename) or "contacts.csv")
        upload.save(path)
        summary = _book().import_file(path)
    skipped = [line.replace(f"{folder}/", "") for line in summary.skipped]
    return render_template("imported.html", summary=summary, skipped=skipped)


@pages.get("/people/<contact_id>")
def person_page(contact_id: str) -> str:
    book = _book()
    try:
        found = person(book, contact_id)
    except LookupError:
        abort(404)
    return render_template("person.html", p=found, zone=book.app.settings.policy.time_zone)


@pages.post("/people/<contact_id>/edit")
def edit_person(contact_id: str) -> Response:
    emails = [e for e in _form("email").replace(",", " ").split() if e]
    _row, changed = _book().edit(
        contact_id,
        ContactChanges(
            name=_form("name"),
            emails=emails,
            company=_form("company"),
            role=_form("role"),
            how_we_know=_form("how"),
            url=_form("url"),
        ),
    )
    words = ", ".join(c.replace("_", " ") for c in changed)
    return _done(f"Saved: {words}." if changed else "Nothing changed.")


@pages.post("/people/<contact_id>/close")
def close_person(contact_id: str) -> Response:
    outcome = CLOSE_OUTCOMES.get(_form("outcome"))
    if outcome is None:
        raise InvalidInput("close: choose why (declined, not now, or done)")
    row = _book().close(contact_id, outcome, _form("note"))
    return _done(f"{row.name} is closed; nothing more will be prepared.")


@pages.post("/people/<contact_id>/reopen")
def reopen_person(contact_id: str) -> Response:
    row = _book().reopen(contact_id)
    return _done(f"{row.name} is open again.")


@pages.post("/people/<contact_id>/reach-out")
def reach_out(contact_id: str) -> Response:
    row = _book().reach_out(contact_id)
    eta = outreach_eta(context().app, row.contact_id)
    return _done(f"{row.name}: {eta['sentence']}.")


@pages.post("/people/<contact_id>/schedule")
def schedule(contact_id: str) -> Response:
    offered, minutes = _form("offered"), _form("minutes") or "30"
    if not minutes.isdigit() or (offered and not offered.isdigit()):
        raise InvalidInput("schedule: the length and the time chosen are whole numbers")
    app = context().app
    done = schedule_meeting(
        app,
        request_provider,
        contact_id,
        when=None if offered else (_form("when") or None),
        offered=int(offered) if offered else None,
        minutes=int(minutes),
        place=_form("place") or None,
    )
    start = local_time(done.request.start, app.settings.policy.time_zone)
    return _done(f"Invited {done.contact.name} for {start}; your calendar sent the invitation.")


# --- progress -----------------------------------------------------------------------------


@pages.get("/progress")
def progress_page() -> str:
    found = progress(context().app)
    return render_template(
        "progress.html",
        progress=found,
        funnel=funnel_chart(found.funnel),
        weekly=weekly_chart(found.weeks),
    )


@pages.get("/signed-out")
def signed_out() -> tuple[str, int]:
    g.pop("sid", None)
    return render_template("signed_out.html"), 200

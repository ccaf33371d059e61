"""The contact book: adding, importing, finding, correcting, merging, closing and forgetting
the people we write to."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import sqlalchemy as sa

from events.codec import Decoded
from events.database import is_sqlite
from events.entry import Entry
from events.errors import UserError
from events.ids import random_id
from events.projections.drafts import DraftRow
from events.projections.pipeline import ContactRow, stage_words
from events.projections.tables import table_for
from events.types import (
    CloseOutcome,
    ContactAdded,
    ContactClosed,
    ContactForgotten,
    ContactMerged,
    ContactReopened,
    ContactUpdated,
    DraftDiscarded,
    ReachOutRequested,
)
from worker.domain.addresses import InvalidInput, check_address, check_text, check_zone
from worker.domain.names import fold, name_starts_match, same_name
from worker.services.app import App
from worker.services.contact_import import ImportSummary, plan_import
from worker.services.imports import read_contacts
from worker.services.profile import require_profile


class UnknownContact(UserError, LookupError):
    pass


class DuplicateContact(UserError, ValueError):
    pass


@dataclass
class NewContact:
    """A contact as typed by the user, before validation."""

    name: str
    emails: list[str] = field(default_factory=list)
    company: str | None = None
    role: str | None = None
    how_we_know: str | None = None
    url: str | None = None
    referred_by: str | None = None  # a contact reference (id, email or name)
    time_zone: str | None = None  # an IANA name: the zone they live in, when known


@dataclass
class ContactChanges:
    """What `contacts edit` sets; None leaves a field as it is."""

    name: str | None = None
    emails: list[str] | None = None
    company: str | None = None
    role: str | None = None
    how_we_know: str | None = None
    url: str | None = None
    time_zone: str | None = None  # an IANA name; "" forgets the one set


T = TypeVar("T")
EditedField = Literal["name", "emails", "company", "role", "how_we_know", "url", "time_zone"]
EDITED_FIELDS: tuple[EditedField, ...] = (
    "name",
    "emails",
    "company",
    "role",
    "how_we_know",
    "url",
    "time_zone",
)


def _text(value: str | None, where: str, max_len: int) -> str | None:
    return None if value is None else check_text(value, where, max_len=max_len)


def _changed(new: T | None, old: T | None) -> T | None:
    """`new` when it was given and differs from what is known, else None (unchanged)."""
    return new if new is not None and new != old else None


class ContactBook:
    """Commands and queries about contacts, over the log and the pipeline view."""

    def __init__(self, app: App) -> None:
        self.app = app

    def all(self, *, include_forgotten: bool = False) -> list[ContactRow]:
        self.app.projector.catch_up()
        rows = self.app.projector.rows(ContactRow)
        rows = [r for r in rows if (include_forgotten or not r.forgotten) and r.merged_into is None]
        # Contacts imported together share `added_at`: by name then, not by random id.
        return sorted(rows, key=listing_order)

    def page(
        self,
        *,
        stage: str | None = None,
        closed: bool | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ContactRow]:
        """The contacts listed (`all`'s order), filtered in SQL: in `stage`, closed or not
        (None: both); `limit` from `offset`. Reads three columns of the matches up to the
        page's end in the order they were added (and of those added with the last of
        them), whole rows only for the page."""
        self.app.projector.catch_up()
        c = self.app.projector.columns(ContactRow)
        where = [*_listed(c)]
        if stage is not None:
            where.append(c.stage == stage)
        if closed is not None:
            where.append(c.closed.is_not(None) if closed else c.closed.is_(None))
        keys = sa.select(c.added_at, c.name, c.contact_id).where(*where)
        if limit is None:
            found = self.app.projector.select(keys)
        else:
            found = self.app.projector.select(keys.order_by(c.added_at).limit(offset + limit))
            if len(found) == offset + limit:
                # Names order those added at the same moment (as Python lower-cases them,
                # which SQL does not): read every one added with the last of the page.
                last = found[-1][0]
                found = [k for k in found if k[0] != last]
                found += self.app.projector.select(keys.where(c.added_at == last))
        ordered = sorted(found, key=lambda k: (k[0], (k[1] or "").lower(), k[2]))
        chosen = [k[2] for k in ordered[offset : None if limit is None else offset + limit]]
        return self._by_ids(chosen)

    def _by_ids(self, ids: list[str]) -> list[ContactRow]:
        """These contacts, in this order (500 keys a query)."""
        found: dict[str, ContactRow] = {}
        for i in range(0, len(ids), 500):
            rows = self.app.projector.find(ContactRow, contact_id=ids[i : i + 500])
            found.update((r.contact_id, r) for r in rows)
        return [found[i] for i in ids if i in found]

    def resolve(self, ref: str) -> ContactRow:
        """Find one contact by id (or a unique prefix of at least 4), e-mail, or the start
        of each word of the name, whatever the case and accents.

        Each way is tried in turn by an indexed or SQL-filtered read; only the names are
        compared in Python (accents and word starts), over two columns."""
        ref = ref.strip()
        self.app.projector.catch_up()
        projector = self.app.projector
        c = projector.columns(ContactRow)
        low, folded = ref.lower(), fold(ref)
        merged = self._merged_into(ref)

        def by_id() -> list[ContactRow]:
            ids = [i for i in (ref, merged) if i]
            return projector.query(ContactRow, c.contact_id.in_(ids), *_listed(c))

        def by_email() -> list[ContactRow]:
            # The address as the JSON column stores it narrows in SQL; equality decides.
            stored = json.dumps(low)[1:-1]
            rows = projector.query(
                ContactRow, sa.cast(c.emails, sa.Text).icontains(stored, autoescape=True)
            )
            if not ref.isascii():  # SQL lower-cases ASCII only: compare every address
                rows = projector.query(ContactRow, sa.cast(c.emails, sa.Text) != "[]")
            return [r for r in rows if is_listed(r) and low in (e.lower() for e in r.emails)]

        def by_prefix() -> list[ContactRow]:
            if len(ref) < 4:
                return []
            rows = projector.query(
                ContactRow, c.contact_id.startswith(ref, autoescape=True), *_listed(c)
            )
            return [r for r in rows if r.contact_id.startswith(ref)]

        names: list[tuple[Any, ...]] = []

        def by_name(match: Callable[[str], bool]) -> list[ContactRow]:
            if not names:
                names.extend(projector.select(sa.select(c.contact_id, c.name).where(*_listed(c))))
            return self._by_ids([cid for cid, name in names if match(name or "")])

        for finder in (
            by_id,
            by_email,
            by_prefix,
            lambda: by_name(lambda name: fold(name) == folded),
            lambda: by_name(lambda name: name_starts_match(ref, name)),
        ):
            found = finder()
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                found.sort(key=lambda r: ((r.name or "").lower(), r.contact_id))
                names_ = ", ".join(f"{r.name} ({r.contact_id[:8]})" for r in found)
                raise UnknownContact(
                    f"contact {ref!r} is ambiguous: {names_}; name one by its id or address"
                )
        raise UnknownContact(f"no contact matches {ref!r} (try `outreach contacts list`)")

    def _merged_into(self, contact_id: str) -> str | None:
        """The contact that `contact_id` was merged into (following merges of merges)."""
        row, seen = self.app.projector.get(ContactRow, contact_id), set()
        while row is not None and row.merged_into and row.contact_id not in seen:
            seen.add(row.contact_id)
            row = self.app.projector.get(ContactRow, row.merged_into)
        return row.contact_id if row is not None and row.contact_id != contact_id else None

    def add(self, new: NewContact, *, reach_out: bool = False, force: bool = False) -> ContactRow:
        added = self._validated(new, "contact")
        zone = check_zone(new.time_zone, "contacts add: --zone") if new.time_zone else ""
        existing = self.all()
        self._refuse_duplicates([added], existing, lambda _c: "contact")
        if not force:
            same = [r for r in existing if same_name(r.name or "", added.name or "")]
            if same:
                known = ", ".join(
                    f"{r.name} ({r.contact_id[:8]}, {', '.join(r.emails) or 'no address'})"
                    for r in same
                )
                raise DuplicateContact(
                    f"a contact named {added.name} already exists: {known}; "
                    f"add --force to add another person of that name"
                )
        entries = [Entry(added)]
        if zone:
            # In the same append: a contact is never added without the zone it was given.
            entries.append(Entry(ContactUpdated(contact_id=added.contact_id, time_zone=zone)))
        if reach_out:
            require_profile(self.app.settings.profile)
            if not added.emails:
                raise InvalidInput("--reach-out: the contact has no e-mail address to write to")
            entries.append(Entry(ReachOutRequested(contact_id=added.contact_id)))
        self.app.journal.record_all(entries)
        return self.resolve(added.contact_id)

    def reach_out(self, ref: str) -> ContactRow:
        """Choose to write to `ref` (asking again for someone chosen changes nothing)."""
        # Nothing is prepared in the name of "Your Name".
        require_profile(self.app.settings.profile)
        row = self.resolve(ref)
        if not row.emails:
            raise InvalidInput(
                f"{row.name}: no e-mail address to write to; add one with "
                f"`outreach contacts edit {row.contact_id[:8]} --email ADDRESS`"
            )
        if row.closed:
            raise InvalidInput(f"{row.name}: closed; `outreach reopen` first")
        if row.stage == "to_write":
            return row  # chosen already: asking again changes nothing
        if row.stage != "identified":
            raise InvalidInput(
                f"{row.name} is past that step ({stage_words(row)}): "
                "reach-out is for someone not yet written to"
            )
        self.app.journal.record(ReachOutRequested(contact_id=row.contact_id))
        return self.resolve(row.contact_id)

    # --- correcting -----------------------------------------------------------------

    def edit(self, ref: str, changes: ContactChanges) -> tuple[ContactRow, list[EditedField]]:
        """Record the fields that differ from what is known; returns the row and their names.
        Every value is checked before anything is written."""
        row = self.resolve(ref)
        where = "contacts edit"
        name = None
        if changes.name is not None:
            name = check_text(changes.name, f"{where}: --name", required=True)
        emails = None
        if changes.emails is not None:
            emails = self._edited_addresses(row, changes.emails, where)
        zone = None
        if changes.time_zone is not None:
            zone = check_zone(changes.time_zone, f"{where}: --zone")
        company = _text(changes.company, f"{where}: company", 200)
        role = _text(changes.role, f"{where}: role", 200)
        how_we_know = _text(changes.how_we_know, f"{where}: how_we_know", 500)
        url = _text(changes.url, f"{where}: url", 500)
        if all(v is None for v in (name, emails, company, role, how_we_know, url, zone)):
            raise InvalidInput(f"{where}: nothing to change (give --name, --email, --company...)")
        update = ContactUpdated(
            contact_id=row.contact_id,
            name=_changed(name, row.name),
            emails=_changed(emails, row.emails),
            company=_changed(company, row.company),
            role=_changed(role, row.role),
            how_we_know=_changed(how_we_know, row.how_we_know),
            url=_changed(url, row.url),
            time_zone=_changed(zone, row.time_zone or ""),
        )
        changed = [f for f in EDITED_FIELDS if getattr(update, f) is not None]
        if changed:
            self.app.journal.record(update)
        return self.resolve(row.contact_id), changed

    def _edited_addresses(self, row: ContactRow, given: list[str], where: str) -> list[str]:
        """The addresses checked, without repeats, and refused when another contact has one."""
        emails: list[str] = []
        for raw in given:
            address = check_address(raw, f"{where}: --email")
            if address.lower() not in (e.lower() for e in emails):
                emails.append(address)
        others = [r for r in self.all() if r.contact_id != row.contact_id]
        probe = ContactAdded(contact_id=row.contact_id, name=row.name, emails=emails)
        self._refuse_duplicates([probe], others, lambda _c: where)
        return emails

    def merge(self, keep_ref: str, other_ref: str) -> ContactRow:
        """`other` is the same person as `keep`: one contact from now on, with both
        addresses, both histories, and the conversation that went further."""
        keep, other = self.resolve(keep_ref), self.resolve(other_ref)
        if keep.contact_id == other.contact_id:
            raise InvalidInput(f"contacts merge: {keep_ref!r} and {other_ref!r} are one contact")
        self.app.journal.record(ContactMerged(contact_id=other.contact_id, into=keep.contact_id))
        return self.resolve(keep.contact_id)

    def merged_ids(self, contact_id: str) -> list[str]:
        """`contact_id` and every contact merged into it (directly or through another)."""
        found = [contact_id]
        wave = [contact_id]
        while wave:
            rows = self.app.projector.find(ContactRow, merged_into=wave)
            wave = [r.contact_id for r in rows if r.contact_id not in found]
            found += wave
        return found

    def history(self, row: ContactRow) -> list[Decoded]:
        """The events of the contact and of everyone merged into them, in log order."""
        entries = [
            d
            for cid in self.merged_ids(row.contact_id)
            for d in self.app.journal.contact_history(cid)
        ]
        return sorted(entries, key=lambda d: d.stored.position)

    # --- closing --------------------------------------------------------------------

    def close(self, ref: str, outcome: CloseOutcome, note: str = "") -> ContactRow:
        row = self.resolve(ref)
        if row.closed:
            raise InvalidInput(f"{row.name}: already closed ({row.closed.replace('_', ' ')})")
        note = check_text(note, "close: --note", max_len=500)
        self.app.journal.record(
            ContactClosed(contact_id=row.contact_id, outcome=outcome, note=note)
        )
        return self.resolve(row.contact_id)

    def reopen(self, ref: str) -> ContactRow:
        row = self.resolve(ref)
        if not row.closed:
            raise InvalidInput(f"{row.name}: not closed")
        self.app.journal.record(ContactReopened(contact_id=row.contact_id))
        return self.resolve(row.contact_id)

    # --- importing ------------------------------------------------------------------

    def import_file(self, path: Path) -> ImportSummary:
        """Add the new people of an export and fill the empty fields of known ones; a row
        that conflicts with what is known, or cannot be read, is reported and skipped."""
        parsed = read_contacts(path)
        plan = plan_import(parsed, self.all(), str(path))
        if not plan.entries and plan.summary.skipped and not plan.summary.unchanged:
            # Nothing in the file could be used: say why, as for any refused input.
            raise InvalidInput(plan.summary.skipped[0])
        self.app.journal.record_all(plan.entries)
        return plan.summary

    import_csv = import_file

    # --- forgetting -----------------------------------------------------------------

    def forget(self, ref: str) -> ContactRow:
        """Shred the contact's personal data: destroy their key, then rebuild every view.

        A contact already forgotten can be named by id to finish an interrupted run.
        """
        try:
            row = self.resolve(ref)
        except UnknownContact:
            done = [r for r in self.all(include_forgotten=True) if r.contact_id == ref.strip()]
            if not done:
                raise
            row = done[0]
        # Whoever was merged into them is the same person: their keys go too.
        ids = self.merged_ids(row.contact_id)
        pending = self.app.projector.find(DraftRow, contact_id=list(ids), status="pending")
        entries = [
            Entry(
                DraftDiscarded(
                    contact_id=d.contact_id, draft_id=d.draft_id, reason="contact_forgotten"
                )
            )
            for d in pending
        ]
        entries += [Entry(ContactForgotten(contact_id=cid)) for cid in ids]
        # The key goes first: interrupted after it, the data is already unreadable and the
        # contact still listed, so the command can simply be run again. The other way round
        # the contact vanished from the views with their key intact, out of reach of a retry.
        for cid in ids:
            self.app.keyring.forget(cid)
        if not row.forgotten:
            self.app.journal.record_all(entries)
        self.app.projector.rebuild()
        self._scrub_free_space()
        return row

    def _scrub_free_space(self) -> None:
        # secure_delete zeroes freed pages, but old row versions may still sit in the WAL
        # (SQLite) or as dead tuples (PostgreSQL) until these run.
        engine = self.app.engine
        if is_sqlite(engine):
            # On the driver connection: through SQLAlchemy the engine's "begin" hook would
            # open a transaction first, and a checkpoint inside one fails ("table is locked").
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy = cursor.fetchone()
                cursor.close()
            finally:
                raw.close()
            if busy is not None and busy[0]:
                raise RuntimeError("could not checkpoint the WAL: another connection is reading")
            return
        tables = [table_for(t).name for t in (ContactRow, DraftRow)] + ["meetings", "contact_keys"]
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in tables:
                conn.execute(sa.text(f'VACUUM "{name}"'))

    def _validated(self, new: NewContact, where: str) -> ContactAdded:
        referred_by = None
        if new.referred_by:
            try:
                referred_by = self.resolve(new.referred_by).contact_id
            except UnknownContact as exc:
                raise InvalidInput(f"{where}: referred by: {exc}") from None
        return ContactAdded(
            contact_id=random_id(),
            name=check_text(new.name, f"{where}: name", required=True),
            emails=[check_address(e, f"{where}: email") for e in new.emails],
            company=check_text(new.company or "", f"{where}: company") or None,
            role=check_text(new.role or "", f"{where}: role") or None,
            how_we_know=check_text(new.how_we_know or "", f"{where}: how we know", max_len=500)
            or None,
            url=check_text(new.url or "", f"{where}: url", max_len=500) or None,
            referred_by=referred_by,
            source="referral" if referred_by else "manual",
        )

    @staticmethod
    def _refuse_duplicates(
        new: list[ContactAdded], existing: list[ContactRow], where: Callable[[ContactAdded], str]
    ) -> None:
        """A contact is a duplicate when it shares an address or a profile URL."""
        seen: dict[str, str] = {}
        for row in existing:
            for email in row.emails:
                seen[email.lower()] = f"{row.name} ({row.contact_id[:8]})"
            if row.url:
                seen[row.url.lower()] = f"{row.name} ({row.contact_id[:8]})"
        for contact in new:
            keys = [e.lower() for e in contact.emails] + (
                [contact.url.lower()] if contact.url else []
            )
            for key in keys:
                # Checked one by one so the same address given twice is caught as well.
                if key in seen:
                    raise DuplicateContact(
                        f"{where(contact)}: {key} already belongs to {seen[key]}"
                    )
                seen[key] = f"{contact.name} ({where(contact)})"


def listing_order(r: ContactRow) -> tuple[str, str, str]:
    return (r.added_at, (r.name or "").lower(), r.contact_id)


def _listed(c: Any) -> list[sa.ColumnElement[bool]]:
    """In SQL: the contacts `all` lists (not forgotten, not merged into another)."""
    return [c.forgotten.is_(False), c.merged_into.is_(None)]


def is_listed(r: ContactRow) -> bool:
    return not r.forgotten and r.merged_into is None

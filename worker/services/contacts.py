"""The contact book: adding, importing, finding and forgetting the people we write to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from events.database import is_sqlite
from events.entry import Entry
from events.errors import UserError
from events.ids import random_id
from events.projections.drafts import DraftRow
from events.projections.pipeline import ContactRow
from events.projections.tables import table_for
from events.types import ContactAdded, ContactForgotten, DraftDiscarded, ReachOutRequested
from worker.domain.addresses import InvalidInput, check_address, check_text
from worker.services.app import App
from worker.services.csv_import import read_contacts_csv


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


@dataclass
class ImportSummary:
    imported: int
    without_email: int
    source: str


class ContactBook:
    """Commands and queries about contacts, over the log and the pipeline view."""

    def __init__(self, app: App) -> None:
        self.app = app

    def all(self, *, include_forgotten: bool = False) -> list[ContactRow]:
        self.app.projector.catch_up()
        rows = self.app.projector.rows(ContactRow)
        rows = [r for r in rows if include_forgotten or not r.forgotten]
        # Contacts imported together share `added_at`: by name then, not by random id.
        return sorted(rows, key=lambda r: (r.added_at, (r.name or "").lower(), r.contact_id))

    def resolve(self, ref: str) -> ContactRow:
        """Find one contact by id (or a unique prefix of at least 4), e-mail or exact name."""
        ref = ref.strip()
        rows = self.all()
        low = ref.lower()
        for matcher in (
            lambda r: r.contact_id == ref,
            lambda r: low in (e.lower() for e in r.emails),
            lambda r: len(ref) >= 4 and r.contact_id.startswith(ref),
            lambda r: (r.name or "").lower() == low,
            lambda r: len(ref) >= 3 and low in (r.name or "").lower(),
        ):
            found = [r for r in rows if matcher(r)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                names = ", ".join(f"{r.name} ({r.contact_id[:8]})" for r in found)
                raise UnknownContact(f"contact {ref!r} is ambiguous: {names}")
        raise UnknownContact(f"no contact matches {ref!r} (try `outreach contacts list`)")

    def add(self, new: NewContact, *, reach_out: bool = False) -> ContactRow:
        added = self._validated(new, "contact")
        existing = self.all()
        self._refuse_duplicates([added], existing, lambda _c: "contact")
        entries = [Entry(added)]
        if reach_out:
            if not added.emails:
                raise InvalidInput("--reach-out: the contact has no e-mail address to write to")
            entries.append(Entry(ReachOutRequested(contact_id=added.contact_id)))
        self.app.journal.record_all(entries)
        return self.resolve(added.contact_id)

    def reach_out(self, ref: str) -> ContactRow:
        row = self.resolve(ref)
        if not row.emails:
            raise InvalidInput(f"{row.name}: no e-mail address to write to; add one first")
        if row.stage != "identified":
            raise InvalidInput(f"{row.name}: already {row.stage.replace('_', ' ')}")
        self.app.journal.record(ReachOutRequested(contact_id=row.contact_id))
        return self.resolve(row.contact_id)

    def import_csv(self, path: Path) -> ImportSummary:
        parsed = read_contacts_csv(path)
        events = [
            ContactAdded(
                contact_id=random_id(),
                name=c.name,
                emails=c.emails,
                company=c.company,
                role=c.role,
                how_we_know=c.how_we_know,
                url=c.url,
                source="linkedin" if parsed.source == "linkedin" else "csv",
            )
            for c in parsed.contacts
        ]
        lines = {e.contact_id: c.line for e, c in zip(events, parsed.contacts, strict=True)}
        self._refuse_duplicates(events, self.all(), lambda c: f"{path}:{lines[c.contact_id]}")
        # One transaction: a file either lands whole or not at all.
        self.app.journal.record_all([Entry(e) for e in events])
        return ImportSummary(
            imported=len(events),
            without_email=sum(1 for e in events if not e.emails),
            source=parsed.source,
        )

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
        pending = [
            d
            for d in self.app.projector.rows(DraftRow)
            if d.contact_id == row.contact_id and d.status == "pending"
        ]
        entries = [
            Entry(
                DraftDiscarded(
                    contact_id=row.contact_id, draft_id=d.draft_id, reason="contact_forgotten"
                )
            )
            for d in pending
        ]
        entries.append(Entry(ContactForgotten(contact_id=row.contact_id)))
        # The key goes first: interrupted after it, the data is already unreadable and the
        # contact still listed, so the command can simply be run again. The other way round
        # the contact vanished from the views with their key intact, out of reach of a retry.
        self.app.keyring.forget(row.contact_id)
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
        label = where if callable(where) else (lambda _c: str(where))
        for contact in new:
            keys = [e.lower() for e in contact.emails] + (
                [contact.url.lower()] if contact.url else []
            )
            for key in keys:
                # Checked one by one so the same address given twice is caught as well.
                if key in seen:
                    raise DuplicateContact(
                        f"{label(contact)}: {key} already belongs to {seen[key]}"
                    )
                seen[key] = f"{contact.name} ({label(contact)})"

"""Planning an import against the contacts already known: who is new, whose empty fields
an export fills, and which rows conflict (reported and skipped, never the whole file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args

from events.entry import Entry
from events.ids import random_id
from events.projections.pipeline import ContactRow
from events.types import ContactAdded, ContactUpdated, Source
from worker.domain.names import same_name
from worker.services.imports import ImportedContact, ParsedFile

_FILLED = ("company", "role", "how_we_know", "url")
#: A parsed file names its source as text; an unknown one is recorded as a CSV import.
_SOURCES: dict[str, Source] = {s: s for s in get_args(Source)}


@dataclass
class ImportSummary:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    without_email: int = 0
    #: One line per row left out: "file:line: why".
    skipped: list[str] = field(default_factory=list)
    source: str = "csv"

    def sentence(self) -> str:
        return (
            f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.without_email} without an address"
            + (f", {len(self.skipped)} skipped" if self.skipped else "")
        )


@dataclass
class _Known:
    """A contact as the import sees it, existing or added earlier from the same file."""

    contact_id: str
    name: str
    emails: list[str]
    values: dict[str, Any]


@dataclass
class ImportPlan:
    entries: list[Entry]
    summary: ImportSummary


def plan_import(parsed: ParsedFile, existing: list[ContactRow], label: str) -> ImportPlan:
    known = [
        _Known(
            r.contact_id,
            r.name or "",
            list(r.emails),
            {f: getattr(r, f) for f in _FILLED},
        )
        for r in existing
    ]
    summary = ImportSummary(source=parsed.source)
    entries: list[Entry] = []
    unit = "card " if parsed.unit == "card" else ""
    for problem in parsed.problems:
        summary.skipped.append(f"{label}:{unit}{problem.line}: {problem.reason}")
    source = _SOURCES.get(parsed.source, "csv")
    for c in parsed.contacts:
        where = f"{label}:{unit}{c.line}"
        target, conflict = _match(c, known)
        if conflict:
            summary.skipped.append(f"{where}: {conflict}; skipped")
            continue
        if target is None:
            added = ContactAdded(
                contact_id=random_id(),
                name=c.name,
                emails=c.emails,
                company=c.company,
                role=c.role,
                how_we_know=c.how_we_know,
                url=c.url,
                source=source,
            )
            entries.append(Entry(added))
            known.append(
                _Known(
                    added.contact_id, c.name, list(c.emails), {f: getattr(c, f) for f in _FILLED}
                )
            )
            summary.new += 1
            summary.without_email += not c.emails
            continue
        fills: dict[str, Any] = {
            f: getattr(c, f) for f in _FILLED if getattr(c, f) and not target.values.get(f)
        }
        if c.emails and not target.emails:
            fills["emails"] = c.emails
        if fills:
            entries.append(Entry(ContactUpdated(contact_id=target.contact_id, **fills)))
            target.values.update({k: v for k, v in fills.items() if k != "emails"})
            target.emails = fills.get("emails", target.emails)
            summary.updated += 1
        else:
            summary.unchanged += 1
        summary.without_email += not target.emails
    return ImportPlan(entries=entries, summary=summary)


def _match(c: ImportedContact, known: list[_Known]) -> tuple[_Known | None, str | None]:
    """The known contact this row describes (by address, profile URL, then name), or why
    it cannot be told (a conflict)."""
    keys = {e.lower() for e in c.emails} | ({c.url.lower()} if c.url else set())
    by_key = [
        k
        for k in known
        if keys
        & (
            {e.lower() for e in k.emails}
            | ({str(k.values["url"]).lower()} if k.values.get("url") else set())
        )
    ]
    if len(by_key) > 1:
        names = " and ".join(f"{k.name} ({k.contact_id[:8]})" for k in by_key)
        return None, f"its address or profile belongs to {names}"
    if by_key:
        target = by_key[0]
        other = [e for e in c.emails if e.lower() not in {x.lower() for x in target.emails}]
        if other and target.emails:
            return None, (
                f"{c.name} is {target.name} ({target.contact_id[:8]}) by profile, but "
                f"{other[0]} is not their known address {target.emails[0]} "
                f"(use `outreach contacts edit` to change it)"
            )
        return target, None
    by_name = [k for k in known if same_name(k.name, c.name)]
    if len(by_name) > 1:
        return (
            None,
            f"{len(by_name)} contacts are named {c.name}; add an address to tell them apart",
        )
    if not by_name:
        return None, None
    target = by_name[0]
    if c.emails and target.emails:
        return None, (
            f"{target.name} ({target.contact_id[:8]}) is known with {target.emails[0]}, "
            f"not {c.emails[0]} (`outreach contacts merge` if they are one person)"
        )
    url = target.values.get("url")
    if c.url and url and c.url.lower() != str(url).lower():
        return None, f"{target.name} ({target.contact_id[:8]}) has another profile ({url})"
    return target, None

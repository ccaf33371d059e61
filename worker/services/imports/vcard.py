"""Reading a vCard file (.vcf, as Apple Contacts, Google and Outlook export) with vobject."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import vobject

from worker.domain.addresses import InvalidInput, check_address, check_text
from worker.services.imports.model import ImportedContact, ParsedFile, RowProblem


def read_vcard(text: str, path: Path) -> ParsedFile:
    """Each card a contact; a card that cannot be read is a problem named by its number."""
    parsed = ParsedFile(contacts=[], source="vcard", unit="card")
    try:
        cards = list(vobject.readComponents(text, ignoreUnreadable=True))
    except Exception as exc:  # vobject raises its own ParseError and plain ValueErrors
        raise InvalidInput(f"{path}: not a readable vCard file ({type(exc).__name__})") from None
    for number, card in enumerate(cards, start=1):
        if card.name != "VCARD":
            parsed.problems.append(RowProblem(number, f"a {card.name}, not a VCARD"))
            continue
        try:
            parsed.contacts.append(_contact(card, number))
        except InvalidInput as exc:
            parsed.problems.append(RowProblem(number, str(exc)))
    if not cards:
        raise InvalidInput(f"{path}: no BEGIN:VCARD ... END:VCARD card in the file")
    return parsed


def _values(card: Any, name: str) -> list[Any]:
    return [item.value for item in card.contents.get(name, [])]


def _contact(card: Any, number: int) -> ImportedContact:
    name = " ".join(str(v) for v in _values(card, "fn")).strip()
    if not name:
        for n in _values(card, "n"):
            name = " ".join(p for p in (n.prefix, n.given, n.additional, n.family) if p).strip()
    emails: list[str] = []
    for value in _values(card, "email"):
        address = check_address(str(value).strip(), "email")
        if address.lower() not in (e.lower() for e in emails):
            emails.append(address)
    org = _values(card, "org")
    company = (org[0][0] if isinstance(org[0], list) and org[0] else str(org[0])) if org else ""
    urls = [str(u).strip() for u in _values(card, "url") if str(u).strip()]
    return ImportedContact(
        line=number,
        name=check_text(name, "name", required=True),
        emails=emails,
        company=check_text(company, "company") or None,
        role=check_text(" ".join(str(t) for t in _values(card, "title")), "role") or None,
        url=check_text(urls[0], "url", max_len=500) if urls else None,
    )

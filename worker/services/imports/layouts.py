"""The column layouts of the exporters people use, mapped to our fields.

Headers as the exporters write them (lower-cased here):
- LinkedIn "Connections.csv": First Name, Last Name, URL, Email Address, Company,
  Position, Connected On (after a few "Notes:" lines).
- Google Contacts, current export: First Name, Middle Name, Last Name, ..., Organization
  Name, Organization Title, ..., E-mail 1 - Label, E-mail 1 - Value, ..., Website 1 - Value;
  legacy ("Google CSV"): Name, Given Name, Additional Name, Family Name, ..., E-mail 1 -
  Type, E-mail 1 - Value, ..., Organization 1 - Name, Organization 1 - Title, Website 1 -
  Value. A cell holding several values separates them with " ::: ".
- Outlook: First Name, Middle Name, Last Name, Title (an honorific: "Mr."), ..., Web Page,
  E-mail Address, E-mail 2 Address, E-mail 3 Address, ..., Company, Job Title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Field = Literal[
    "name", "first", "middle", "last", "email", "company", "role", "how", "url", "since"
]

#: Header (lower-cased) -> field, for every layout.
_COMMON: dict[str, Field] = {
    "name": "name",
    "full name": "name",
    "display name": "name",
    "first name": "first",
    "given name": "first",
    "middle name": "middle",
    "additional name": "middle",
    "last name": "last",
    "family name": "last",
    "surname": "last",
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "e-mail address": "email",
    "company": "company",
    "organization": "company",
    "organisation": "company",
    "organization name": "company",
    "organization 1 - name": "company",
    "role": "role",
    "position": "role",
    "job title": "role",
    "organization title": "role",
    "organization 1 - title": "role",
    "how we know": "how",
    "how_we_know": "how",
    "connection": "how",
    "url": "url",
    "linkedin": "url",
    "web page": "url",
    "website": "url",
    "website 1 - value": "url",
    "connected on": "since",
}
# "E-mail 2 Address" (Outlook), "E-mail 1 - Value" (Google): every address column.
_EMAIL_COLUMN = re.compile(r"^e-?mail( \d+)?( address| - value)$")


@dataclass(frozen=True)
class Layout:
    source: str  # "linkedin", "google", "outlook" or "csv"
    fields: list[Field | None]  # one per column


def layout_of(header: list[str]) -> Layout:
    """Which exporter wrote this header, and what each column holds."""
    names = [h.strip().lower() for h in header]
    source = _source(set(names))
    fields: list[Field | None] = []
    for h in names:
        found: Field | None = _COMMON.get(h)
        if _EMAIL_COLUMN.match(h):
            found = "email"
        if h == "title":
            # Outlook's "Title" is "Mr." or "Dr.", not a job; elsewhere it is the role.
            found = None if source == "outlook" or "job title" in names else "role"
        fields.append(found)
    return Layout(source=source, fields=fields)


def _source(names: set[str]) -> str:
    if {"first name", "connected on"} <= names:
        return "linkedin"
    if any(n.startswith("e-mail 1 - ") for n in names) or "given name" in names:
        return "google"
    if "e-mail address" in names and ("e-mail 2 address" in names or "job title" in names):
        return "outlook"
    return "csv"


def is_header(cells: list[str]) -> bool:
    names = {c.strip().lower() for c in cells}
    return bool(names & {"name", "full name", "first name", "given name", "display name"})

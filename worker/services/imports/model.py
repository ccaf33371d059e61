"""What an import reads from a file: contacts with the line they came from, and the rows it
could not read."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ImportedContact:
    line: int
    name: str
    emails: list[str] = field(default_factory=list)
    company: str | None = None
    role: str | None = None
    how_we_know: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class RowProblem:
    """A row left out, and why (an invalid address, a name missing...)."""

    line: int
    reason: str


@dataclass
class ParsedFile:
    contacts: list[ImportedContact]
    #: "linkedin", "google", "outlook", "vcard" or "csv".
    source: str
    problems: list[RowProblem] = field(default_factory=list)
    #: What the line numbers count ("line" in a CSV file, "card" in a vCard file).
    unit: str = "line"

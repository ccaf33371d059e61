"""Reading the contact files people export: LinkedIn, Google, Outlook, Excel CSV, vCard."""

from __future__ import annotations

from pathlib import Path

from worker.domain.addresses import InvalidInput
from worker.services.imports.csv_file import read_csv
from worker.services.imports.model import ImportedContact, ParsedFile, RowProblem
from worker.services.imports.text import read_text
from worker.services.imports.vcard import read_vcard

__all__ = ["ImportedContact", "ParsedFile", "RowProblem", "read_contacts"]


def read_contacts(path: Path) -> ParsedFile:
    """Parse a contact file of any known layout; a row that cannot be read is reported in
    `problems`, a file that cannot be read at all raises InvalidInput naming it."""
    text = read_text(path)
    if path.suffix.lower() == ".vcf" or text.lstrip()[:11].upper() == "BEGIN:VCARD":
        return read_vcard(text, path)
    parsed = read_csv(text, path)
    if not parsed.contacts and not parsed.problems:
        raise InvalidInput(f"{path}: no contacts in the file")
    return parsed

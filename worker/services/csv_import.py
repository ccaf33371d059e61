"""Reading contacts from CSV: a plain file or LinkedIn's Connections.csv export as it comes."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from worker.domain.addresses import InvalidInput, check_address, check_text

# Header names we understand (lower-cased), mapped to our fields.
_COLUMNS = {
    "name": "name",
    "full name": "name",
    "first name": "first_name",
    "last name": "last_name",
    "email": "email",
    "email address": "email",
    "e-mail": "email",
    "e-mail address": "email",  # Outlook's export
    "company": "company",
    "organization": "company",
    "organisation": "company",
    "role": "role",
    "position": "role",
    "title": "role",
    "job title": "role",  # Outlook's export
    "how we know": "how_we_know",
    "how_we_know": "how_we_know",
    "connection": "how_we_know",
    "url": "url",
    "linkedin": "url",
    "connected on": "connected_on",
}
MAX_BYTES = 20 * 1024 * 1024


@dataclass
class ImportedContact:
    line: int
    name: str
    emails: list[str] = field(default_factory=list)
    company: str | None = None
    role: str | None = None
    how_we_know: str | None = None
    url: str | None = None


@dataclass
class ParsedFile:
    contacts: list[ImportedContact]
    source: str  # "linkedin" or "csv"


def read_contacts_csv(path: Path) -> ParsedFile:
    """Parse the whole file or raise InvalidInput naming the file and line; never half a file."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InvalidInput(f"{path}: larger than {MAX_BYTES // 1024 // 1024} MiB")
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text (byte {exc.start})") from None
    lines = text.splitlines(keepends=True)
    # LinkedIn puts a few "Notes:" lines before the header; find the header row.
    start = 0
    for i, line in enumerate(lines[:20]):
        if _is_header(line):
            start = i
            break
    else:
        raise InvalidInput(f"{path}: no header row (expected columns such as Name/Email)")
    reader = csv.reader(io.StringIO("".join(lines[start:])), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (csv.Error, StopIteration) as exc:
        raise InvalidInput(f"{path}:{start + 1}: unreadable header ({exc})") from None
    fields = [_COLUMNS.get(h) for h in header]
    linkedin = "first name" in header and "connected on" in header
    if "name" not in fields and "first_name" not in fields:
        raise InvalidInput(f"{path}:{start + 1}: no name column (Name, or First Name/Last Name)")
    contacts: list[ImportedContact] = []
    while True:
        line_no = start + reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InvalidInput(f"{path}:{line_no}: broken CSV row ({exc})") from None
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise InvalidInput(
                f"{path}:{line_no}: {len(cells)} fields where the header has {len(header)}"
            )
        contacts.append(_contact(dict(zip(fields, cells, strict=True)), path, line_no, linkedin))
    return ParsedFile(contacts=contacts, source="linkedin" if linkedin else "csv")


def _is_header(line: str) -> bool:
    cells = [c.strip().lower() for c in next(csv.reader([line]), [])]
    return any(c in ("name", "full name", "first name") for c in cells)


def _contact(row: dict[str | None, str], path: Path, line: int, linkedin: bool) -> ImportedContact:
    where = f"{path}:{line}"
    name = (row.get("name") or "").strip()
    if not name:
        name = f"{(row.get('first_name') or '').strip()} {(row.get('last_name') or '').strip()}"
    name = check_text(name, f"{where}: name", required=True)
    emails = []
    raw_email = (row.get("email") or "").strip()
    if raw_email:
        emails = [check_address(e, f"{where}: email") for e in raw_email.split(";") if e.strip()]
    how = check_text(row.get("how_we_know") or "", f"{where}: how we know", max_len=500)
    if linkedin and not how:
        connected = check_text(row.get("connected_on") or "", f"{where}: connected on")
        how = f"LinkedIn connection since {connected}" if connected else "LinkedIn connection"
    return ImportedContact(
        line=line,
        name=name,
        emails=emails,
        company=check_text(row.get("company") or "", f"{where}: company") or None,
        role=check_text(row.get("role") or "", f"{where}: role") or None,
        how_we_know=how or None,
        url=check_text(row.get("url") or "", f"{where}: url", max_len=500) or None,
    )

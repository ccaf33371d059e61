"""Reading a CSV export: finding its delimiter and header row, then each row's contact."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from worker.domain.addresses import InvalidInput, check_address, check_text
from worker.services.imports.layouts import Field, Layout, is_header, layout_of
from worker.services.imports.model import ImportedContact, ParsedFile, RowProblem

#: Google puts several values in one cell separated by " ::: "; Outlook and people use ";".
_MULTI = (" ::: ", ";")


def read_csv(text: str, path: Path) -> ParsedFile:
    """Every readable row as a contact; a row that is not (an invalid address, no name) is a
    problem. A file whose structure is broken (unbalanced quotes) raises InvalidInput."""
    lines = text.splitlines(keepends=True)
    delimiter = _delimiter(lines[:20])
    # LinkedIn puts a few "Notes:" lines before the header; find the header row.
    start = next(
        (
            i
            for i, line in enumerate(lines[:20])
            if is_header(next(csv.reader([line], delimiter=delimiter), []))
        ),
        None,
    )
    if start is None:
        raise InvalidInput(f"{path}: no header row (expected columns such as Name/Email)")
    reader = csv.reader(io.StringIO("".join(lines[start:])), delimiter=delimiter, strict=True)
    try:
        layout = layout_of(next(reader))
    except (csv.Error, StopIteration) as exc:
        raise InvalidInput(f"{path}:{start + 1}: unreadable header ({exc})") from None
    parsed = ParsedFile(contacts=[], source=layout.source)
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
        if len(cells) != len(layout.fields):
            parsed.problems.append(
                RowProblem(
                    line_no, f"{len(cells)} fields where the header has {len(layout.fields)}"
                )
            )
            continue
        try:
            parsed.contacts.append(_contact(layout, cells, line_no))
        except InvalidInput as exc:
            parsed.problems.append(RowProblem(line_no, str(exc)))
    return parsed


def _delimiter(head: list[str]) -> str:
    """Excel writes ";" where the decimal separator is a comma (most of Europe)."""
    for line in head:
        for delimiter in (",", ";", "\t"):
            if is_header(next(csv.reader([line], delimiter=delimiter), [])) and (delimiter in line):
                return delimiter
    return ","


def _contact(layout: Layout, cells: list[str], line: int) -> ImportedContact:
    values: dict[Field, list[str]] = {}
    for column, cell in zip(layout.fields, cells, strict=True):
        if column is not None and cell.strip():
            values.setdefault(column, []).append(cell.strip())

    def one(column: Field, label: str, max_len: int = 200) -> str | None:
        return check_text(" ".join(values.get(column, [])), label, max_len=max_len) or None

    name = one("name", "name") or " ".join(
        part for f in ("first", "middle", "last") for part in values.get(f, [])
    )
    name = check_text(name, "name", required=True)
    emails: list[str] = []
    for cell in values.get("email", []):
        for raw in _split(cell):
            address = check_address(raw, "email")
            if address.lower() not in (e.lower() for e in emails):
                emails.append(address)
    how = one("how", "how we know", 500)
    if layout.source == "linkedin" and not how:
        since = one("since", "connected on")
        how = f"LinkedIn connection since {since}" if since else "LinkedIn connection"
    urls = [u for cell in values.get("url", []) for u in _split(cell)]
    return ImportedContact(
        line=line,
        name=name,
        emails=emails,
        company=one("company", "company"),
        role=one("role", "role"),
        how_we_know=how,
        url=check_text(urls[0], "url", max_len=500) if urls else None,
    )


def _split(cell: str) -> list[str]:
    parts = [cell]
    for sep in _MULTI:
        parts = [p for part in parts for p in part.split(sep)]
    return [p.strip() for p in parts if p.strip()]

"""Hostile CSV imports, plain and LinkedIn's Connections.csv: each readable row lands, each
other row is reported naming the file and line; a file that cannot be read at all is
refused with one InvalidInput naming it, and nothing of it is written."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given

from events.projections.pipeline import ContactRow
from tests.hostile.cases import fuzz, tried
from tests.hostile.strategies import csv_files
from worker.domain.addresses import InvalidInput
from worker.services.app import App
from worker.services.contacts import ContactBook, DuplicateContact

_CONTROL = {chr(c) for c in range(32)} | {"\x7f"}


def _count(app: App) -> int:
    return sum(1 for _ in app.store.read_all())


@fuzz(max_examples=120)
@given(data=csv_files())
def test_any_csv_is_imported_row_by_row_or_refused_whole(
    data: bytes, app: App, tmp_path: Path
) -> None:
    tried("csv")
    path = tmp_path / "Connections.csv"
    path.write_bytes(data)
    book = ContactBook(app)
    before = _count(app)
    refusal: ValueError | None = None
    try:
        summary = book.import_csv(path)
    except (InvalidInput, DuplicateContact) as refused:
        refusal = refused
    if refusal is not None:
        message = str(refusal)
        assert message.startswith(str(path)), message
        assert "\n" not in message
        assert _count(app) == before  # nothing half-written
        return
    tried("csv.imported")  # how many of the cases got past every check
    assert _count(app) == before + summary.new + summary.updated
    for line in summary.skipped:
        assert line.startswith(str(path)), line
        assert "\n" not in line
    for row in book.all():
        for text in (row.name or "", row.company or "", row.role or "", *row.emails):
            assert not set(text) & _CONTROL, row  # nothing that could start a mail header
    assert all(isinstance(r, ContactRow) for r in book.all())

"""Importing contacts from CSV: plain files and LinkedIn's export as it comes; a row that
cannot be read or conflicts is reported and skipped, a broken file refused whole."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from worker.domain.addresses import InvalidInput
from worker.services.app import App
from worker.services.contacts import ContactBook, NewContact
from worker.services.imports import read_contacts as read_contacts_csv

LINKEDIN_NOTES = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses '
    "are missing. You will only see email addresses for connections who have allowed their "
    "connections to see or download their email address using this setting "
    "https://www.linkedin.com/psettings/privacy/email. You can learn more about this here: "
    'https://www.linkedin.com/help/linkedin/answer/261"\n'
    "\n"
)
LINKEDIN_HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
LINKEDIN_ROWS = (
    "Ada,Lovelace,https://www.linkedin.com/in/ada-lovelace,ada@analytical.example,"
    "Analytical Engines,Engineer,12 Mar 2024\n"
    "Grace,Hopper,https://www.linkedin.com/in/grace-hopper,,US Navy,Rear Admiral,01 Jan 2023\n"
    'Katherine,Johnson,https://www.linkedin.com/in/kjohnson,,"NASA, Langley",Mathematician,'
    "05 Feb 2022\n"
    "Alan,Turing,https://www.linkedin.com/in/alan-turing,,,,30 Jun 2021\n"
)


def _write(tmp_path: Path, text: str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_linkedin_export_as_it_comes(book: ContactBook, app: App, tmp_path: Path) -> None:
    path = _write(tmp_path, LINKEDIN_NOTES + LINKEDIN_HEADER + LINKEDIN_ROWS, "Connections.csv")

    summary = book.import_csv(path)

    assert (summary.new, summary.without_email, summary.source) == (4, 3, "linkedin")
    rows = {r.name: r for r in book.all()}
    assert set(rows) == {"Ada Lovelace", "Grace Hopper", "Katherine Johnson", "Alan Turing"}
    ada = rows["Ada Lovelace"]
    assert ada.emails == ["ada@analytical.example"]
    assert (ada.company, ada.role) == ("Analytical Engines", "Engineer")
    assert ada.url == "https://www.linkedin.com/in/ada-lovelace"
    assert ada.how_we_know == "LinkedIn connection since 12 Mar 2024"
    assert ada.source == "linkedin"
    assert rows["Katherine Johnson"].company == "NASA, Langley"
    assert rows["Grace Hopper"].emails == []
    # Importing never means writing to them: that is the user's choice.
    assert {r.stage for r in rows.values()} == {"identified"}


def test_linkedin_export_with_windows_line_ends_and_bom(tmp_path: Path) -> None:
    text = LINKEDIN_NOTES + LINKEDIN_HEADER + LINKEDIN_ROWS
    path = tmp_path / "Connections.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())

    parsed = read_contacts_csv(path)

    assert parsed.source == "linkedin"
    assert [c.line for c in parsed.contacts] == [5, 6, 7, 8]
    assert parsed.contacts[0].name == "Ada Lovelace"


def test_plain_csv(book: ContactBook, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "Name,Email,Company,Role,How we know\n"
        "Ada Lovelace,ada@example.org,Analytical,Engineer,met at a meetup\n"
        "Grace Hopper,grace@example.org; g.hopper@navy.example,Navy,,\n"
        "\n"
        "Alan Turing,,,,\n",
    )

    summary = book.import_csv(path)

    assert (summary.new, summary.without_email, summary.source) == (3, 1, "csv")
    rows = {r.name: r for r in book.all()}
    assert rows["Grace Hopper"].emails == ["grace@example.org", "g.hopper@navy.example"]
    assert rows["Ada Lovelace"].how_we_know == "met at a meetup"
    assert rows["Ada Lovelace"].source == "csv"


def test_outlook_export_keeps_addresses(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "First Name,Middle Name,Last Name,Company,Job Title,E-mail Address\n"
        "Ada,,Lovelace,Analytical Engines,Engineer,ada@example.org\n",
    )
    (ada,) = read_contacts_csv(path).contacts
    assert (ada.name, ada.emails, ada.role) == ("Ada Lovelace", ["ada@example.org"], "Engineer")


BAD_ROWS = [
    pytest.param(
        "Name,Email\nAda,ada@example.org\nGrace,grace@example\n",
        r"contacts\.csv:3: email: 'grace@example' is not a valid e-mail address",
        id="malformed-address",
    ),
    pytest.param(
        'Name,Email\nAda,ada@example.org\n"Grace\nHopper",grace@example.org\n',
        r"contacts\.csv:3: name: contains a line break",
        id="name-with-line-break",
    ),
    pytest.param(
        "Name,Email\nAda,ada@example.org\nAda Byron,ada@example.org,Navy\n",
        r"contacts\.csv:3: 3 fields where the header has 2",
        id="wrong-field-count",
    ),
    pytest.param(
        "Name,Email\nAda,ada@example.org\nAda,ada.other@example.org\n",
        r"contacts\.csv:3: Ada \(.*\) is known with ada@example\.org, not ada\.other",
        id="same-name-other-address",
    ),
    pytest.param(
        LINKEDIN_NOTES
        + LINKEDIN_HEADER
        + "Ada,Lovelace,https://l/ada,ada@example.org,A,E,1 Jan 2020\n"
        ",,https://l/x,,A,E,1 Jan 2020\n",
        r"contacts\.csv:6: name: must not be empty",
        id="linkedin-row-without-name",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_ROWS)
def test_bad_row_is_reported_and_skipped(
    book: ContactBook, app: App, tmp_path: Path, text: str, message: str
) -> None:
    book.add(NewContact(name="Existing", emails=["existing@example.org"]))
    summary = book.import_file(_write(tmp_path, text))

    assert summary.new == 1
    [skipped] = summary.skipped
    assert re.search(message, skipped), skipped
    assert "\n" not in skipped
    assert len(book.all()) == 2


BROKEN_FILES = [
    pytest.param(
        'Name,Email\nAda,ada@example.org\n"Grace Hopper,grace@example.org\n',
        r"contacts\.csv:3: broken CSV row",
        id="unterminated-quote",
    ),
    pytest.param(
        "Email,Company\nada@example.org,Analytical\n",
        r"contacts\.csv: no header row",
        id="no-name-column",
    ),
    pytest.param(
        "Name,Email\nGrace,grace@example\n",
        r"contacts\.csv:2: email: 'grace@example' is not a valid",
        id="no-row-readable",
    ),
]


@pytest.mark.parametrize(("text", "message"), BROKEN_FILES)
def test_broken_file_is_refused_whole(
    book: ContactBook, app: App, tmp_path: Path, text: str, message: str
) -> None:
    book.add(NewContact(name="Existing", emails=["existing@example.org"]))
    head = app.store.head()

    with pytest.raises(InvalidInput, match=message) as caught:
        book.import_file(_write(tmp_path, text))

    assert "\n" not in str(caught.value)
    assert app.store.head() == head


def test_known_address_fills_empty_fields_and_never_duplicates(
    book: ContactBook, app: App, tmp_path: Path
) -> None:
    book.add(NewContact(name="Ada Lovelace", emails=["ada@example.org"]))
    path = _write(
        tmp_path, "Name,Email,Company\nGrace,grace@example.org,Navy\nAda L.,Ada@Example.org,AE\n"
    )

    first = book.import_file(path)
    second = book.import_file(path)

    assert (first.new, first.updated, first.unchanged) == (1, 1, 0)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 2)
    rows = {r.name: r for r in book.all()}
    assert set(rows) == {"Ada Lovelace", "Grace"}  # the known name is kept
    assert rows["Ada Lovelace"].company == "AE"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda p: p, r"missing\.csv: cannot read \(No such file", id="missing"),
        pytest.param(
            lambda p: (p.write_bytes(b"\x00\x01\x02binary\x00"), p)[1],
            r"missing\.csv: not a text file",
            id="binary",
        ),
        pytest.param(
            lambda p: (p.mkdir(), p)[1], r"missing\.csv: cannot read \(Is a directory", id="dir"
        ),
    ],
)
def test_unreadable_file(
    book: ContactBook, app: App, tmp_path: Path, make: object, message: str
) -> None:
    path = make(tmp_path / "missing.csv")  # type: ignore[operator]
    with pytest.raises(InvalidInput, match=message):
        book.import_csv(path)
    assert app.store.head() == 0

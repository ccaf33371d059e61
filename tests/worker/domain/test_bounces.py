"""Reading mail servers' reports, over real ones (flufl.bounce's test data) and a few
written for these tests; telling automatic mail from replies; return dates; addresses."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pytest

from integrations.protocol import MessageSeen
from integrations.reports import may_be_report
from worker.domain.addresses import InvalidInput, check_address
from worker.domain.auto_replies import classify, return_date
from worker.domain.bounces import read

DATA = Path(__file__).resolve().parents[2] / "data" / "bounces"


def corpus(folder: str) -> list[tuple[str, dict[str, Any]]]:
    expected = json.loads((DATA / folder / "expected.json").read_text())
    return [(f"{folder}/{name}", row) for name, row in sorted(expected.items())]


ALL = corpus("flufl") + corpus("written")


def _kind(wanted: str) -> list[tuple[str, dict[str, Any]]]:
    return [(name, row) for name, row in ALL if row["kind"] == wanted]


def test_the_corpus_is_what_the_figures_say() -> None:
    # docs/reliability.md quotes these counts; a file lost or added must show here.
    assert len(corpus("flufl")) == 117
    counts = {k: len(_kind(k)) for k in ("bounce", "delay", "success", "complaint", "none")}
    assert counts == {"bounce": 106, "delay": 11, "success": 2, "complaint": 2, "none": 2}


@pytest.mark.parametrize(
    ("name", "row"), [(n, r) for n, r in _kind("bounce") if r["addresses"]], ids=lambda v: v
)
def test_a_failure_report_names_the_failed_recipients(name: str, row: dict[str, Any]) -> None:
    report = read((DATA / name).read_bytes())
    assert report.kind == "bounce"
    assert report.recipients == {a.lower() for a in row["addresses"]}


@pytest.mark.parametrize(("name", "row"), _kind("delay") + _kind("success"), ids=lambda v: v)
def test_delay_and_success_notices_are_never_bounces(name: str, row: dict[str, Any]) -> None:
    report = read((DATA / name).read_bytes())
    assert report.kind == row["kind"]
    assert report.recipients == {a.lower() for a in row["addresses"]}


@pytest.mark.parametrize(("name", "row"), _kind("complaint"), ids=lambda v: v)
def test_a_complaint_is_read_as_one_and_never_as_a_reply(name: str, row: dict[str, Any]) -> None:
    raw = (DATA / name).read_bytes()
    report = read(raw)
    assert report.kind == "complaint"
    assert report.recipients == set(row["addresses"])
    assert classify(_seen(raw), report) == "complaint"


@pytest.mark.parametrize(("name", "row"), _kind("none"), ids=lambda v: v)
def test_mail_that_is_no_report_is_read_as_none(name: str, row: dict[str, Any]) -> None:
    assert read((DATA / name).read_bytes()).kind == "none"


def test_written_reports_give_the_message_id_of_our_mail() -> None:
    for name, row in corpus("written"):
        assert read((DATA / name).read_bytes()).message_ids == set(row["message_ids"]), name


def test_a_quoted_original_gives_its_message_id() -> None:
    # dsn_01 attaches the bounced message, exim_01 quotes it, dsn_05 sends its headers.
    for name in ("dsn_01.txt", "exim_01.txt", "dsn_05.txt"):
        ids = read((DATA / "flufl" / name).read_bytes()).message_ids
        assert ids, name
        assert all(i.startswith("<") and i.endswith(">") for i in ids)


def test_the_adapters_read_every_real_report_whole() -> None:
    # The header rule that decides which mail is fetched whole (one more request each).
    reports = [n for n, r in ALL if r["kind"] != "none"]
    chosen = [n for n in reports if _chosen((DATA / n).read_bytes())]
    missed = sorted(set(reports) - set(chosen))
    assert missed == []
    assert not any(_chosen((DATA / n).read_bytes()) for n, _ in _kind("none"))


@pytest.mark.parametrize(("name", "row"), [*_kind("delay"), *_kind("success")], ids=lambda v: v)
def test_no_notice_ever_counts_as_a_reply(name: str, row: dict[str, Any]) -> None:
    raw = (DATA / name).read_bytes()
    assert classify(_seen(raw), read(raw)) == "notice"


@pytest.mark.parametrize(("name", "row"), _kind("bounce"), ids=lambda v: v)
def test_no_failure_report_counts_as_a_reply(name: str, row: dict[str, Any]) -> None:
    # Even the four whose recipient cannot be read: they come from a mail system.
    raw = (DATA / name).read_bytes()
    assert classify(_seen(raw), read(raw)) in ("bounce", "auto_reply")


@pytest.mark.parametrize(
    "from_header", ["MAILER-DAEMON <>", "Mail Delivery System <MAILER-DAEMON@mx.example.org>"]
)
def test_a_mailer_daemon_is_never_a_reply(from_header: str) -> None:
    raw = f"From: {from_header}\nSubject: Re: coffee?\n\nSomething odd happened.\n".encode()
    assert classify(_seen(raw), read(raw)) == "auto_reply"


def test_a_null_return_path_is_never_a_reply() -> None:
    raw = b"Return-Path: <>\nFrom: Lin <lin@corp.example>\nSubject: Re: coffee?\n\nHello\n"
    assert classify(_seen(raw), None) == "auto_reply"


def test_a_broken_encoded_subject_is_read_as_sent() -> None:
    # Found by the hostile-mail fuzzing: bad base64 in an encoded word raised out of the
    # Gmail sync and stopped it for the whole mailbox.
    assert not may_be_report("ada@example.org", "=?utf-8*en?b?a?=", {})
    assert may_be_report("ada@example.org", "=?utf-8?b?a?= Undeliverable: hello", {})


def test_a_person_answering_is_a_reply() -> None:
    raw = (
        b"Return-Path: <lin@corp.example>\nFrom: Lin <lin@corp.example>\nSubject: Re: hi\n\nYes!\n"
    )
    assert classify(_seen(raw), read(raw)) == "reply"


WRITTEN = datetime(2026, 4, 20, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("Away until May 5", date(2026, 5, 5)),
        ("Je suis absent, de retour le 12 mars.", None),  # March 12 is eleven months away
        ("Je suis absente du bureau, de retour le 12 mai.", date(2026, 5, 12)),
        ("Ich bin ab dem 3. Juni wieder im Büro.", date(2026, 6, 3)),
        ("Estaré fuera de la oficina hasta el 15 de mayo.", date(2026, 5, 15)),
        ("Sono fuori ufficio fino al 7 maggio.", date(2026, 5, 7)),
        ("Ik ben afwezig tot 12 mei.", date(2026, 5, 12)),
        ("Out of the office from April 27 to May 4, back on Tuesday May 5.", date(2026, 5, 5)),
        ("I am out of the office until next Monday.", date(2026, 4, 27)),
        ("Thanks for your message of April 18. I'm back on 2026-04-28.", date(2026, 4, 28)),
        ("I am out of the office with limited access to email.", None),
    ],
)
def test_the_return_date_in_common_phrasings_and_languages(text: str, back: date | None) -> None:
    assert return_date(text, WRITTEN) == back


def test_a_return_date_without_a_year_is_the_next_one() -> None:
    december = datetime(2026, 12, 18, 17, 0, tzinfo=UTC)
    assert return_date("Out until 5 January", december) == date(2027, 1, 5)
    assert return_date("de retour le 12 mars", datetime(2026, 3, 2, tzinfo=UTC)) == date(
        2026, 3, 12
    )


@pytest.mark.parametrize("address", ["a@b.c", "john@mail.example.co.uk", "x+tag@sub.b.io"])
def test_valid_addresses_are_accepted(address: str) -> None:
    assert check_address(address) == address


@pytest.mark.parametrize("address", ["a@b", "a@b.1", "a@-b.c", "a b@c.d"])
def test_invalid_addresses_are_refused(address: str) -> None:
    with pytest.raises(InvalidInput):
        check_address(address)


def _headers(raw: bytes) -> tuple[str, str, dict[str, str]]:
    import email

    parsed = email.message_from_bytes(raw)
    headers = {k.lower(): str(v) for k, v in parsed.items()}
    senders = [a.lower() for _, a in getaddresses([headers.get("from", "")]) if a]
    return (senders[0] if senders else ""), headers.get("subject", ""), headers


def _chosen(raw: bytes) -> bool:
    return may_be_report(*_headers(raw))


def _seen(raw: bytes) -> MessageSeen:
    sender, subject, headers = _headers(raw)
    return MessageSeen(
        provider_message_id="m1",
        message_id=headers.get("message-id", ""),
        thread_id=None,
        from_address=sender,
        to=[],
        cc=[],
        subject=subject,
        date=WRITTEN,
        sent_by_user=False,
        headers=headers,
        raw=raw,
    )

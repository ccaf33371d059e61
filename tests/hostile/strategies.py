"""Hypothesis strategies for what comes from outside: mail as raw RFC 5322 bytes, calendar
events in Google's and Graph's JSON shapes, CSV files and templates.

Shared by the tests in this directory and by `bench/fuzz_inputs.py` (more cases, same
shapes). Each strategy mixes well-formed input with the ways real input goes wrong, so
that most cases get past the first parser and reach the worker's own code.
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

#: The tracked contact the hostile mail and invitations come from (or pretend to).
CONTACT = "ada@analytical.example"
CONTACT_NAME = "Ada Lovelace"
#: The mailbox's own address.
ME = "sam@outreach.example"

_HEADER_NAMES = [
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
    "Auto-Submitted",
    "X-Autoreply",
    "X-Autorespond",
    "Precedence",
    "Reply-To",
    "Sender",
]
_CHARSETS = ["utf-8", "us-ascii", "iso-8859-1", "windows-1252", "koi8-r", "x-unknown", "", "utf-7"]
_ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "bogus"]

# Any text, including control characters, NUL and characters outside the BMP.
_any_text = st.text(st.characters(codec=None, exclude_categories=["Cs"]), max_size=120)
_raw_bytes = st.binary(max_size=120)


def _encoded_word() -> st.SearchStrategy[str]:
    """RFC 2047 words, valid and not: unknown charsets, broken base64, stray '?='."""
    return st.builds(
        lambda charset, enc, data: f"=?{charset}?{enc}?{data}?=",
        st.sampled_from([*_CHARSETS, "utf-8*en", "?"]),
        st.sampled_from(["B", "Q", "b", "q", "X", ""]),
        st.text(string.ascii_letters + string.digits + "+/=_?-", max_size=40),
    )


def _address() -> st.SearchStrategy[str]:
    """Address header values: the contact in the forms mail clients write, and junk."""
    return st.one_of(
        st.sampled_from(
            [
                CONTACT,
                f"{CONTACT_NAME} <{CONTACT}>",
                f'"Lovelace, Ada" <{CONTACT.upper()}>',
                f"=?utf-8?q?Ada_L=C3=B6velace?= <{CONTACT}>",
                f"<{CONTACT}>, other@example.org",
                f"{CONTACT}\r\n\tfolded@example.org",
                f"Ada <{CONTACT}",
                f"<<{CONTACT}>>",
                "undisclosed-recipients:;",
                "@",
                "<>",
                "a@b@c",
                ME,
            ]
        ),
        _any_text,
        _encoded_word(),
    )


def _date() -> st.SearchStrategy[str]:
    """Date header values, including years and offsets no datetime can hold."""
    return st.one_of(
        st.sampled_from(
            [
                "Mon, 02 Mar 2026 10:00:00 +0000",
                "2 Mar 2026 10:00 GMT",
                "Fri, 31 Dec 9999 23:59:59 -1200",
                "Sat, 01 Jan 0100 00:00:00 +1400",
                "Mon, 02 Mar 2026 10:00:00 +9999",
                "Mon, 32 Foo 2026 25:61:61 +0000",
                "Thu, 01 Jan 1970 00:00:00 -0000",
                "Mon, 02 Mar 99999999999999999999 10:00:00 +0000",
                "",
                "yesterday",
            ]
        ),
        _any_text,
    )


def _header_value() -> st.SearchStrategy[bytes]:
    text = st.one_of(_any_text, _encoded_word(), _address(), _date())
    return st.one_of(
        text.map(lambda t: t.encode("utf-8", "surrogatepass")),
        text.map(lambda t: t.encode("latin-1", "replace")),
        _raw_bytes,  # 8-bit, not UTF-8, maybe with CR, LF or NUL inside
    )


def _header_name() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(_HEADER_NAMES),
        st.sampled_from(_HEADER_NAMES).map(str.lower),
        st.text(string.ascii_letters + "-_: ", min_size=0, max_size=20),
    )


@st.composite
def _headers(draw: st.DrawFn) -> list[tuple[str, bytes]]:
    """A header block: some headers missing, some twice, values of any bytes."""
    chosen: list[tuple[str, bytes]] = []
    if draw(st.booleans()):
        chosen.append(("From", draw(_address()).encode("utf-8", "surrogatepass")))
    if draw(st.booleans()):
        chosen.append(("Date", draw(_date()).encode("utf-8", "surrogatepass")))
    chosen += draw(st.lists(st.tuples(_header_name(), _header_value()), max_size=8))
    return chosen


def _leaf(draw: st.DrawFn) -> bytes:
    charset = draw(st.sampled_from(_CHARSETS))
    encoding = draw(st.sampled_from(_ENCODINGS))
    subtype = draw(st.sampled_from(["plain", "html", "calendar", "x-weird"]))
    body = draw(
        st.one_of(
            _any_text.map(lambda t: t.encode("utf-8")),
            _raw_bytes,
            st.sampled_from([b"SGVsbG8=", b"!!!not base64!!!", b"=XX=\r\n=", b"\x00\xff\xfe"]),
        )
    )
    head = f"Content-Type: text/{subtype}; charset={charset}\r\n"
    head += f"Content-Transfer-Encoding: {encoding}\r\n"
    return head.encode() + b"\r\n" + body


def _multipart(draw: st.DrawFn, depth: int) -> bytes:
    boundary = draw(st.sampled_from(["b1", "==_x", "", "a" * 80, "b1"]))
    kind = draw(st.sampled_from(["mixed", "alternative", "report", "related", "digest"]))
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        nested = depth < 3 and draw(st.booleans())
        parts.append(_multipart(draw, depth + 1) if nested else _leaf(draw))
    closed = draw(st.booleans())
    out = f'Content-Type: multipart/{kind}; boundary="{boundary}"\r\n\r\n'.encode()
    out += draw(st.sampled_from([b"", b"preamble\r\n"]))
    for part in parts:
        out += f"--{boundary}\r\n".encode() + part + b"\r\n"
    if closed:
        out += f"--{boundary}--\r\n".encode()
    return out


@st.composite
def mime_messages(draw: st.DrawFn, huge: bool = True) -> bytes:
    """Raw RFC 5322 bytes: odd headers, then a plain, nested multipart or huge body; now
    and then no structure at all."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.binary(max_size=400))
    headers = draw(_headers())
    newline = draw(st.sampled_from([b"\r\n", b"\n", b"\r"]))
    block = newline.join(name.encode("utf-8", "replace") + b": " + v for name, v in headers)
    shape = draw(st.sampled_from(["leaf", "multipart", "huge"] if huge else ["leaf", "multipart"]))
    if shape == "leaf":
        body = _leaf(draw)
    elif shape == "multipart":
        body = _multipart(draw, 0)
    else:
        size = draw(st.sampled_from([100_000, 1_000_000, 6_000_000]))
        body = b"Content-Type: text/plain\r\n\r\n" + (b"Lorem ipsum dolor " * (size // 18))
    # The body's own Content-* lines continue the header block, as a real message has them.
    return block + newline + body


# --- calendar events ---------------------------------------------------------------------

_ZONES = [
    "Europe/London",
    "America/St_Johns",  # half-hour offset
    "Asia/Kathmandu",  # quarter-hour offset
    "Pacific/Kiritimati",  # +14
    "Etc/GMT+12",
    "UTC",
    "",
    "Mars/Olympus_Mons",
    "../../etc/passwd",
    "Europe/Berlin\x00",
    "GMT Standard Time",  # a Windows zone name, as Graph may use
    "Customized Time Zone",
]
_INSTANTS = [
    "2026-03-05T15:00:00Z",
    "2026-03-05T15:00:00+05:45",
    "2026-03-05T15:00:00",
    "2026-03-05T15:00:00.0000000",
    "2026-03-29T01:30:00",  # inside the spring-forward gap in London
    "2026-10-25T01:30:00",  # ambiguous when the clocks go back
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59Z",  # fine in UTC, past the end of time in Kiritimati (+14)
    "2026-02-30T10:00:00Z",
    "not a time",
    "",
    "2026-03-05",
]


def _maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field that may be missing (None here: the caller drops it), null, or a value."""
    return st.one_of(st.just(None), st.just("__null__"), value)


def _drop_missing(item: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if v == "__null__" else v) for k, v in item.items() if v is not None}


def _google_when() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "dateTime": st.sampled_from(_INSTANTS),
                "timeZone": st.sampled_from(_ZONES),
                "date": st.sampled_from(["2026-03-05", "2026-13-45", "", "yesterday"]),
            },
        ),
        st.just(None),
    )


def _attendee(shape: str) -> st.SearchStrategy[dict[str, Any]]:
    address = st.one_of(
        st.sampled_from([CONTACT, CONTACT.upper(), ME, "", "not-an-address"]), _any_text
    )
    if shape == "google":
        return st.fixed_dictionaries(
            {},
            optional={
                "email": address,
                "responseStatus": st.sampled_from(
                    ["accepted", "declined", "tentative", "needsAction", "bogus"]
                ),
                "self": st.booleans(),
                "organizer": st.booleans(),
            },
        )
    return st.fixed_dictionaries(
        {},
        optional={
            "emailAddress": st.one_of(
                st.fixed_dictionaries({}, optional={"address": address, "name": _any_text}),
                st.none(),
            ),
            "status": st.one_of(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "response": st.sampled_from(
                            ["accepted", "declined", "tentativelyAccepted", "none", "odd"]
                        )
                    },
                ),
                st.none(),
            ),
            "type": st.sampled_from(["required", "optional", "resource"]),
        },
    )


@st.composite
def google_events(draw: st.DrawFn) -> dict[str, Any]:
    """Calendar v3 event resources: all-day, recurring instances, no attendees, odd zones,
    cancelled tombstones, fields missing or null."""
    item = {
        "id": draw(
            st.one_of(st.sampled_from(["ev1", "ev1_20260305T150000Z", "x" * 1024]), _any_text)
        ),
        "status": draw(_maybe(st.sampled_from(["confirmed", "tentative", "cancelled", "odd"]))),
        "summary": draw(_maybe(_any_text)),
        "location": draw(_maybe(_any_text)),
        "start": draw(_maybe(_google_when())),
        "end": draw(_maybe(_google_when())),
        "attendees": draw(_maybe(st.lists(_attendee("google"), max_size=4))),
        "organizer": draw(_maybe(st.fixed_dictionaries({}, optional={"email": _address()}))),
        "recurringEventId": draw(_maybe(st.just("series1"))),
        "originalStartTime": draw(_maybe(_google_when())),
        "recurrence": draw(_maybe(st.just(["RRULE:FREQ=WEEKLY;COUNT=3"]))),
    }
    return _drop_missing(item)


def _graph_when() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "dateTime": st.sampled_from(_INSTANTS),
                "timeZone": st.sampled_from(_ZONES),
            },
        ),
        st.none(),
    )


@st.composite
def graph_events(draw: st.DrawFn) -> dict[str, Any]:
    """Microsoft Graph event resources (and @removed entries) in the same spirit."""
    if draw(st.integers(0, 9)) == 0:
        return {"id": draw(_any_text), "@removed": {"reason": "deleted"}}
    item = {
        "id": draw(st.one_of(st.just("AAMkAD="), _any_text)),
        "subject": draw(_maybe(_any_text)),
        "isAllDay": draw(_maybe(st.booleans())),
        "isCancelled": draw(_maybe(st.booleans())),
        "isOrganizer": draw(_maybe(st.booleans())),
        "type": draw(_maybe(st.sampled_from(["singleInstance", "occurrence", "seriesMaster"]))),
        "originalStartTimeZone": draw(_maybe(st.sampled_from(_ZONES))),
        "start": draw(_maybe(_graph_when())),
        "end": draw(_maybe(_graph_when())),
        "location": draw(_maybe(st.fixed_dictionaries({}, optional={"displayName": _any_text}))),
        "attendees": draw(_maybe(st.lists(_attendee("graph"), max_size=4))),
        "responseStatus": draw(
            _maybe(
                st.fixed_dictionaries(
                    {}, optional={"response": st.sampled_from(["accepted", "declined", "none"])}
                )
            )
        ),
        "organizer": draw(
            _maybe(
                st.fixed_dictionaries(
                    {}, optional={"emailAddress": st.fixed_dictionaries({"address": _address()})}
                )
            )
        ),
    }
    return _drop_missing(item)


# --- CSV files ---------------------------------------------------------------------------

_CSV_HEADERS = [
    "Name",
    "First Name",
    "Last Name",
    "Email",
    "Email Address",
    "E-mail Address",
    "Company",
    "Position",
    "URL",
    "Connected On",
    "How we know",
    "Notes",
]
_CELL = st.one_of(
    st.sampled_from(
        [
            "",
            "Ada Lovelace",
            CONTACT,
            f"{CONTACT};grace@navy.example",
            "Ada\r\nBcc: victim@example.org",
            '"quoted',
            "a,b",
            "=cmd|' /C calc'!A0",
            "https://www.linkedin.com/in/ada",
            "02 Mar 2026",
            " ",
            "x" * 600,
            "grace@navy.example",
        ]
    ),
    _any_text,
)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """CSV bytes: LinkedIn's export with its notes preamble, or a plain file; ragged rows,
    stray quotes, control characters, other encodings, a BOM, or no header at all."""
    linkedin = draw(st.booleans())
    if linkedin:
        header = ["First Name", "Last Name", "URL", "Email Address", "Company", "Position"]
        header.append("Connected On")
        preamble = 'Notes:\n"When exporting your connection data, you may notice..."\n\n'
    else:
        header = draw(st.lists(st.sampled_from(_CSV_HEADERS), min_size=0, max_size=6))
        preamble = draw(st.sampled_from(["", "junk line\n", "Notes:\n" * 25]))
    rows = draw(
        st.lists(
            st.lists(_CELL, min_size=max(0, len(header) - 1), max_size=len(header) + 1),
            max_size=6,
        )
    )
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))

    def line(cells: list[str]) -> str:
        quoted = [f'"{c}"' if draw(st.booleans()) else c for c in cells]
        return ",".join(quoted)

    text = preamble + newline.join(line(r) for r in [header, *rows]) + newline
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    data = text.encode(encoding, "replace")
    if draw(st.integers(0, 9)) == 0:
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=20)) + data[cut:]
    return data


# --- templates -----------------------------------------------------------------------------

_TEMPLATE_PIECES = [
    "Subject: Hello {{ contact.name }}\n\n",
    "Subject: {{ subject }}\n\n",
    "Subject: \n\n",
    "Subject: Hi\nBcc: victim@example.org\n\n",
    "Subject: {{ '\\r\\nBcc: x@example.org' }}\n\n",
    "{{ contact.name }}",
    "{{ nope }}",
    "{{ contact.__class__ }}",
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{% for i in range(10) %}{{ i }}{% endfor %}",
    "{% for i in range(100000) %}x{% endfor %}",
    "{{ 'x' * 1000000 }}",
    "{% include '/etc/passwd' %}",
    "{% extends 'outreach.txt.j2' %}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{{",
    "{% if %}",
    "{% endfor %}",
    "{# unclosed",
    "\x00",
    "\n",
    "Dear {{ contact.name | upper }},\n",
    "{{ profile.name }}",
    "{{ [].__class__.__base__.__subclasses__() }}",
    "{{ self._TemplateReference__context }}",
    "{{ lipsum.__globals__ }}",
    "{{ 9 ** 9 ** 9 }}",
    "{% set x = [1] %}{% for a in x %}{% for b in x %}{% endfor %}{% endfor %}",
]


@st.composite
def templates(draw: st.DrawFn) -> str:
    """Template source built from pieces that are fine, broken, or trying to escape."""
    pieces = draw(st.lists(st.sampled_from(_TEMPLATE_PIECES), max_size=6))
    if draw(st.booleans()):
        pieces.insert(0, "Subject: {{ contact.name }}\n\n")
    if draw(st.integers(0, 4)) == 0:
        pieces.append(draw(_any_text))
    return "".join(pieces)

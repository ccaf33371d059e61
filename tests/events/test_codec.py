"""The codec: personal fields never reach the log in clear, and every event type round-trips."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from events.codec import Codec
from events.envelope import StoredEvent
from events.keyring import Keyring
from events.store import EventStore
from events.types import (
    EVENT_TYPES,
    ContactAdded,
    Event,
    MeetingScheduled,
    OutreachDrafted,
    ReplyReceived,
)

MASTER = bytes(range(32))

_aware = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
    ),
)
_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)


def _strategy(hint: Any, text: st.SearchStrategy[str] = _text) -> st.SearchStrategy[Any]:
    """A strategy for a field's type hint, empty values included."""
    origin = typing.get_origin(hint)
    if origin is types.UnionType or origin is typing.Union:
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return st.one_of(*(_strategy(a, text) for a in options))
    if origin is typing.Literal:
        return st.sampled_from(typing.get_args(hint))
    if origin is list:
        (item,) = typing.get_args(hint)
        return st.lists(_strategy(item, text), max_size=3)
    if origin is dict:
        key, value = typing.get_args(hint)
        return st.dictionaries(_strategy(key, text), _strategy(value, text), max_size=2)
    if hint is datetime:
        return _aware
    if hint is date:
        return st.dates()
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(min_value=0, max_value=10**6)
    if hint is str:
        return text
    raise AssertionError(f"no strategy for {hint!r}")


def _builds(cls: type[Event], *, marked: bool = False) -> st.SearchStrategy[Event]:
    """Instances of `cls`; with `marked`, personal text reads "PII<...>" so it can be grepped."""
    hints = typing.get_type_hints(cls)
    pii = _text.map(lambda t: f"PII<{t}>")
    return st.builds(
        cls,
        **{
            f.name: _strategy(hints[f.name], pii if marked and f.name in cls.PERSONAL else _text)
            for f in dataclasses.fields(cls)
        },
    )


ALL_TYPES = [pytest.param(cls, id=name) for name, cls in sorted(EVENT_TYPES.items())]
PERSONAL_TYPES = [p for p in ALL_TYPES if p.values[0].PERSONAL]  # type: ignore[union-attr]


@pytest.fixture
def codec(engine: Engine) -> Codec:
    keyring = Keyring(engine, MASTER)
    keyring.create_schema()
    return Codec(keyring)


def _stored(codec: Codec, event: Event, position: int = 1) -> StoredEvent:
    """Encode, then read back the payload exactly as the store would (through JSON)."""
    new = codec.encode(event, event_id=f"e{position}", occurred_at=datetime(2026, 3, 2, tzinfo=UTC))
    return StoredEvent(
        position=position,
        event_id=new.event_id,
        stream_id=event.stream_id(),
        version=1,
        type=new.type,
        schema_version=new.schema_version,
        payload=json.loads(json.dumps(new.payload)),
        occurred_at=new.occurred_at,
        recorded_at=new.occurred_at,
    )


def _utc(value: Any) -> Any:
    """The value as the codec promises to return it: aware datetimes in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("cls", ALL_TYPES)
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_event_type_round_trips(codec: Codec, cls: type[Event], data: st.DataObject) -> None:
    event = data.draw(_builds(cls))
    decoded = codec.decode(_stored(codec, event))

    assert not decoded.forgotten
    assert type(decoded.event) is type(event)
    expected = {k: _utc(v) for k, v in event.fields().items()}
    assert decoded.event.fields() == expected
    for name, value in decoded.event.fields().items():
        if isinstance(value, datetime):
            assert value.utcoffset() == timedelta(0), name
        if isinstance(expected[name], date) and not isinstance(expected[name], datetime):
            assert type(value) is date, f"{name} came back as {type(value).__name__}"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_datetimes_come_back_aware_utc(codec: Codec) -> None:
    berlin = timezone(timedelta(hours=1))
    event = MeetingScheduled(
        contact_id="c1",
        meeting_id="m1",
        account_id="a1",
        provider_event_id="p1",
        start=datetime(2026, 3, 10, 15, 0, tzinfo=berlin),
        end=datetime(2026, 3, 10, 15, 30, tzinfo=berlin),
        time_zone="Europe/Berlin",
        place="Café Einstein",
    )
    got = codec.decode(_stored(codec, event)).event
    assert isinstance(got, MeetingScheduled)
    assert got.start == datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    assert got.start.tzinfo is not None
    assert got.start.utcoffset() == timedelta(0)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_out_of_office_return_date_stays_a_date(codec: Codec) -> None:
    event = ReplyReceived(
        contact_id="c1",
        message_id="m1",
        account_id="a1",
        received_at=datetime(2026, 3, 3, 8, 0, tzinfo=UTC),
        kind="out_of_office",
        auto_reply=True,
        return_date=date(2026, 3, 16),
    )
    got = codec.decode(_stored(codec, event)).event
    assert isinstance(got, ReplyReceived)
    assert got.return_date == date(2026, 3, 16)
    assert type(got.return_date) is date


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_empty_personal_fields_decode_to_their_defaults(codec: Codec) -> None:
    # A contact imported without an address has emails == [], not None, when read back.
    added = ContactAdded(contact_id="c1", name="Ada Lovelace")
    got = codec.decode(_stored(codec, added)).event
    assert got == added
    assert isinstance(got, ContactAdded)
    assert got.emails == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_naive_datetimes_are_refused(codec: Codec) -> None:
    event = ReplyReceived(
        contact_id="c1", message_id="m", account_id="a", received_at=datetime(2026, 3, 3, 8, 0)
    )
    with pytest.raises(ValueError, match="naive datetime"):
        codec.encode(event, event_id="e1", occurred_at=datetime(2026, 3, 3, tzinfo=UTC))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("cls", PERSONAL_TYPES)
@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_personal_fields_are_sealed_in_the_payload(
    codec: Codec, cls: type[Event], data: st.DataObject
) -> None:
    event = data.draw(_builds(cls, marked=True))
    payload = codec.encode(event, event_id="e1", occurred_at=datetime.now(UTC)).payload
    assert not cls.PERSONAL & payload.keys()
    assert "PII<" not in json.dumps(payload, ensure_ascii=False)
    assert codec.decode(_stored(codec, event)).event == event


def test_names_and_addresses_are_not_in_the_database_in_clear(
    engine: Engine, store: EventStore, codec: Codec, db_url: str
) -> None:
    name, email, subject = "Ada Lovelace", "ada@analytical.example", "Coffee in Marylebone?"
    events: list[Event] = [
        ContactAdded(contact_id="c1", name=name, emails=[email], company="Analytical Engines"),
        OutreachDrafted(
            contact_id="c1",
            draft_id="d1",
            account_id="a1",
            provider_draft_id="p1",
            message_id="<m1@x>",
            subject=subject,
            to=email,
        ),
    ]
    for n, event in enumerate(events, start=1):
        store.append(
            "contact-c1",
            [codec.encode(event, event_id=f"e{n}", occurred_at=datetime.now(UTC))],
            None,
        )
    with engine.connect() as conn:
        payloads = [row[0] for row in conn.execute(sa.text("SELECT payload FROM events"))]
    assert len(payloads) == 2
    for secret in (name, email, subject, "Analytical Engines"):
        assert not any(secret in p for p in payloads), secret
    if db_url.startswith("sqlite"):
        path = Path(sa.make_url(db_url).database or "")
        engine.dispose()  # let the WAL be checkpointed into the file too
        for file in (path, Path(f"{path}-wal")):
            if file.exists():
                data = file.read_bytes()
                for secret in (name, email, subject):
                    assert secret.encode() not in data, (file.name, secret)
    # ... and the codec still opens them.
    decoded = [codec.decode(s).event for s in store.read_all()]
    assert isinstance(decoded[0], ContactAdded)
    assert decoded[0].emails == [email]

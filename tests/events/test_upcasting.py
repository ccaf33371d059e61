"""Upcasting: events written by an older release read back in today's shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from events.codec import SEALED, Codec
from events.envelope import NewEvent
from events.keyring import Keyring, seal
from events.projections.pipeline import ContactRow
from events.projections.projector import Projector
from events.store import EventStore
from events.types import ContactAdded
from events.upcasting import upcast

MASTER = bytes(range(32))


@pytest.fixture
def keyring(engine: Engine) -> Keyring:
    ring = Keyring(engine, MASTER)
    ring.create_schema()
    return ring


def _append_v1(store: EventStore, keyring: Keyring, contact_id: str, pii: dict[str, Any]) -> None:
    """Write `contact.added` as release 1 did: one `email` string inside the sealed fields."""
    key = keyring.ensure_key(contact_id)
    payload = {
        "contact_id": contact_id,
        "referred_by": None,
        "source": "manual",
        SEALED: seal(key, json.dumps(pii).encode(), contact_id.encode()),
    }
    new = NewEvent(
        event_id=f"v1-{contact_id}",
        type="contact.added",
        schema_version=1,
        payload=payload,
        occurred_at=datetime(2025, 6, 1, 12, 0, tzinfo=UTC),
    )
    store.append(f"contact-{contact_id}", [new], 0)


def test_v1_contact_added_reads_as_a_list_of_addresses(
    engine: Engine, store: EventStore, keyring: Keyring
) -> None:
    _append_v1(store, keyring, "c1", {"name": "Ada Lovelace", "email": "a@b.org"})
    _append_v1(store, keyring, "c2", {"name": "Grace Hopper"})
    codec = Codec(keyring)

    first, second = (codec.decode(s) for s in store.read_all())

    assert first.stored.schema_version == 1
    assert first.event == ContactAdded(contact_id="c1", name="Ada Lovelace", emails=["a@b.org"])
    assert second.event == ContactAdded(contact_id="c2", name="Grace Hopper", emails=[])

    projector = Projector(engine, store, codec)
    projector.create_schema()
    projector.catch_up()
    rows = {r.contact_id: r for r in projector.rows(ContactRow)}
    assert rows["c1"].emails == ["a@b.org"]
    assert rows["c1"].name == "Ada Lovelace"
    assert rows["c2"].emails == []
    projector.rebuild()
    assert {r.contact_id: r for r in projector.rows(ContactRow)} == rows


def test_v1_event_of_a_forgotten_contact_still_reads(
    engine: Engine, store: EventStore, keyring: Keyring
) -> None:
    _append_v1(store, keyring, "c1", {"name": "Ada Lovelace", "email": "a@b.org"})
    keyring.forget("c1")

    (decoded,) = (Codec(keyring).decode(s) for s in store.read_all())

    assert decoded.forgotten
    assert isinstance(decoded.event, ContactAdded)
    assert decoded.event.name is None
    assert not decoded.event.emails


def test_a_missing_upcaster_is_named() -> None:
    with pytest.raises(LookupError, match=r"contact\.added v2 -> v3"):
        upcast("contact.added", 2, 3, {})

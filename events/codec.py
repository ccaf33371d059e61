"""Turns domain events into storable payloads and back: JSON values, personal fields
sealed with the contact's key, older schema versions upcast on read."""

from __future__ import annotations

import base64
import dataclasses
import json
import typing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from events.envelope import NewEvent, StoredEvent
from events.keyring import NONCE_BYTES, KeyDestroyed, Keyring, seal
from events.store import loads_payload
from events.types import EVENT_TYPES, Event
from events.upcasting import upcast

#: Payload key holding the sealed personal fields.
SEALED = "pii"
#: Set on a decoded payload whose personal fields can no longer be read.
FORGOTTEN = "_forgotten"


class UnknownEventType(LookupError):
    pass


def to_json_value(value: Any) -> Any:
    """Datetimes become UTC ISO strings (sortable as text), dates ISO dates."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} in an event; times must be aware")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    return value


_CONVERTERS: dict[str, dict[str, type]] = {}


def _converters(cls: type[Event]) -> dict[str, type]:
    """Fields whose JSON form needs parsing back (datetimes and dates)."""
    if cls.TYPE in _CONVERTERS:
        return _CONVERTERS[cls.TYPE]
    hints = typing.get_type_hints(cls)
    out: dict[str, type] = {}
    for f in dataclasses.fields(cls):
        hint = hints.get(f.name)
        # By the types themselves, not their names: str(date) is "<class 'datetime.date'>".
        options = set(typing.get_args(hint)) | {hint}
        if datetime in options:
            out[f.name] = datetime
        elif date in options:
            out[f.name] = date
    _CONVERTERS[cls.TYPE] = out
    return out


_DEFAULTS: dict[str, dict[str, Any]] = {}


def _defaults(cls: type[Event]) -> dict[str, Any]:
    """The fields' default values (fields without one are absent)."""
    if cls.TYPE not in _DEFAULTS:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                out[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                out[f.name] = f.default_factory()
        _DEFAULTS[cls.TYPE] = out
    return _DEFAULTS[cls.TYPE]


@dataclass(frozen=True, slots=True)
class Decoded:
    """A stored event read back: the typed event and whether its personal fields were shredded."""

    stored: StoredEvent
    event: Event
    forgotten: bool


class Codec:
    """Encodes and decodes events with the contacts' keys.

    Parameters:
      keyring: where per-contact data keys live.
    """

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring
        # AESGCM objects are costly to build; a rebuild opens thousands per contact key.
        self._ciphers: dict[bytes, AESGCM] = {}

    def encode(
        self,
        event: Event,
        *,
        event_id: str,
        occurred_at: datetime,
        causation_id: str | None = None,
        correlation_id: str | None = None,
    ) -> NewEvent:
        values = {k: to_json_value(v) for k, v in event.fields().items()}
        # A personal field at its default is left out (decoding restores the default); any
        # other value is kept, so ContactUpdated(emails=[]) still means "no addresses now".
        defaults = _defaults(type(event))
        personal = {
            k: values[k]
            for k in event.PERSONAL
            if values.get(k) is not None and (k not in defaults or values[k] != defaults[k])
        }
        for k in event.PERSONAL:
            values.pop(k, None)
        if personal:
            contact_id = values["contact_id"]
            try:
                key = self.keyring.ensure_key(contact_id)
            except KeyDestroyed:
                # Forgotten: their personal fields are not written at all; the empty seal
                # reads back as "forgotten".
                values[SEALED] = ""
            else:
                values[SEALED] = seal(
                    key, json.dumps(personal, separators=(",", ":")).encode(), contact_id.encode()
                )
        return NewEvent(
            event_id=event_id,
            type=event.TYPE,
            schema_version=event.VERSION,
            payload=values,
            occurred_at=occurred_at,
            causation_id=causation_id,
            correlation_id=correlation_id,
        )

    def payload(self, stored: StoredEvent) -> dict[str, Any]:
        """The event's current-version payload as plain JSON values, personal fields
        opened; when the contact was forgotten they are absent and FORGOTTEN is set."""
        return self.open(stored.type, stored.schema_version, dict(stored.payload))

    def open(
        self, type_: str, schema_version: int, payload: dict[str, Any], *, personal: bool = True
    ) -> dict[str, Any]:
        """`payload` (changed in place) at its type's current version.

        With `personal`, the sealed personal fields are opened as in `payload`; without,
        they are left out unopened (and no FORGOTTEN mark): for readers that never look
        at them, decrypting would be most of the cost of reading the event.
        """
        sealed = payload.pop(SEALED, None)
        if sealed is not None and personal:
            key = self.keyring.key(payload.get("contact_id", ""))
            opened: dict[str, Any] | None = None
            if key is not None and sealed:
                cipher = self._ciphers.get(key)
                if cipher is None:
                    cipher = self._ciphers[key] = AESGCM(key)
                raw = base64.b64decode(sealed)
                try:
                    aad = payload["contact_id"].encode()
                    opened = loads_payload(
                        cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
                    )
                except InvalidTag:
                    opened = None
            if opened is None:
                payload[FORGOTTEN] = True
            else:
                payload.update(opened)
        cls = EVENT_TYPES.get(type_)
        if cls is not None and schema_version < cls.VERSION:
            payload = upcast(type_, schema_version, cls.VERSION, payload)
        return payload

    def decode(self, stored: StoredEvent) -> Decoded:
        cls = EVENT_TYPES.get(stored.type)
        if cls is None:
            raise UnknownEventType(
                f"unknown event type {stored.type!r} at position {stored.position}"
            )
        payload = self.payload(stored)
        forgotten = bool(payload.pop(FORGOTTEN, False))
        kwargs: dict[str, Any] = {}
        names = {f.name for f in dataclasses.fields(cls)}
        conv = _converters(cls)
        for name in names:
            if name not in payload:
                continue
            value = payload[name]
            if value is not None and name in conv:
                value = (
                    datetime.fromisoformat(value)
                    if conv[name] is datetime
                    else date.fromisoformat(value)
                )
            kwargs[name] = value
        for f in dataclasses.fields(cls):
            if f.name not in cls.PERSONAL or f.name in kwargs:
                continue
            # Absent because empty when encoded: its default ([] stays [], "" stays "").
            # Absent because shredded, or without a default: None.
            if forgotten:
                kwargs[f.name] = None
            elif f.default is not dataclasses.MISSING:
                kwargs[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                kwargs[f.name] = f.default_factory()
            else:
                kwargs[f.name] = None
        return Decoded(stored=stored, event=cls(**kwargs), forgotten=forgotten)

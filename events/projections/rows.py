"""Typed projection rows: the base every view's row class derives from (no SQL here, so the
pure domain can read rows without loading SQLAlchemy; `tables.py` derives their tables)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeVar


@dataclass(slots=True, kw_only=True)
class Row:
    """Base of projection rows; `KEY` names the primary-key field."""

    KEY: ClassVar[str]
    TABLE: ClassVar[str]
    #: Columns the reads look rows up by (each gets an index).
    INDEXED: ClassVar[tuple[str, ...]] = ()


R = TypeVar("R", bound=Row)

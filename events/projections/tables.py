"""The SQL tables derived from projection rows, and writing rows into them."""

from __future__ import annotations

import dataclasses
import operator
import types
import typing
from collections.abc import Iterable
from typing import Any

import orjson
import sqlalchemy as sa

from events.projections.rows import Row

metadata = sa.MetaData()

checkpoints = sa.Table(
    "projection_checkpoints",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
)


def _column_type(hint: Any) -> tuple[sa.types.TypeEngine[Any], bool]:
    nullable = False
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        nullable = len(args) != len(typing.get_args(hint))
        hint = args[0]
    origin = typing.get_origin(hint) or hint
    if origin is bool:
        return sa.Boolean(), nullable
    if origin is int:
        return sa.BigInteger(), nullable
    if origin in (list, dict):
        return sa.JSON(), nullable
    return sa.Text(), nullable


def table_for(cls: type[Row]) -> sa.Table:
    """The SQL table mirroring a row class (created once per class)."""
    if cls.TABLE in metadata.tables:
        return metadata.tables[cls.TABLE]
    hints = typing.get_type_hints(cls)
    columns = []
    for f in dataclasses.fields(cls):
        col_type, nullable = _column_type(hints[f.name])
        columns.append(
            sa.Column(
                f.name,
                col_type,
                primary_key=f.name == cls.KEY,
                nullable=nullable,
                index=f.name in cls.INDEXED,
            )
        )
    return sa.Table(cls.TABLE, metadata, *columns)


def row_to_dict(row: Row) -> dict[str, Any]:
    return {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def insert_rows(conn: sa.Connection, row_type: type[Row], rows: Iterable[Row]) -> int:
    """Insert `rows` into `row_type`'s table in one executemany; return how many.

    Straight to the driver with plain tuples: SQLAlchemy's per-row parameter handling
    cost more than the rows themselves when a rebuild writes every row of a view.
    JSON columns are serialised here, by orjson (a tenth of a rebuild went to the standard
    library's encoder): compact and UTF-8, read back as any JSON is.
    """
    table = table_for(row_type)
    names = [c.name for c in table.columns]
    json_at = [i for i, c in enumerate(table.columns) if isinstance(c.type, sa.JSON)]
    dumps = _json_text
    # attrgetter of several names returns a tuple, of one name the bare value.
    fields = (
        operator.attrgetter(*names, *names[:1]) if len(names) == 1 else operator.attrgetter(*names)
    )
    values: list[tuple[Any, ...]] = []
    for row in rows:
        value = fields(row)
        if json_at:
            listed = list(value)
            for i in json_at:
                if listed[i] is not None:
                    listed[i] = dumps(listed[i])
            value = tuple(listed)
        values.append(value)
    if not values:
        return 0
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    # Names from our own row classes, never from input.
    quote = conn.dialect.identifier_preparer.quote  # "to" is a column name
    columns, marks = ", ".join(quote(n) for n in names), ", ".join(mark for _ in names)
    sql = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})"  # noqa: S608
    conn.exec_driver_sql(sql, values)
    return len(values)

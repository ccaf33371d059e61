"""OData query options and Prefer headers as Graph reads them: $select, $filter, $top,
IdType, outlook.timezone, outlook.body-content-type, odata.maxpagesize."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrations.sandbox.http import Request

from .errors import GraphError, bad_request
from .timezones import parse_instant, zone


@dataclass(frozen=True)
class Preferences:
    """What the Prefer headers asked for."""

    immutable_ids: bool = False
    time_zone: str = "UTC"
    text_body: bool = False
    max_page_size: int | None = None

    def applied(self) -> str:
        """The Preference-Applied header value Graph would send back."""
        parts = []
        if self.max_page_size is not None:
            parts.append(f"odata.maxpagesize={self.max_page_size}")
        if self.time_zone != "UTC":
            parts.append(f'outlook.timezone="{self.time_zone}"')
        if self.immutable_ids:
            parts.append('IdType="ImmutableId"')
        return ", ".join(parts)


_PREFERENCE = re.compile(r'\s*([A-Za-z.\-]+)\s*(?:=\s*("([^"]*)"|[^,;\s]*))?\s*')


def preferences(request: Request) -> Preferences:
    values: dict[str, str] = {}
    for raw in request.headers.get("prefer", "").split(","):
        match = _PREFERENCE.fullmatch(raw)
        if match and raw.strip():
            name, bare, quoted = match.group(1), match.group(2) or "", match.group(3)
            values[name.lower()] = quoted if quoted is not None else bare
    page: int | None = None
    if "odata.maxpagesize" in values:
        try:
            page = int(values["odata.maxpagesize"])
        except ValueError:
            page = None
        if page is not None and page < 1:
            page = None
    zone_name = values.get("outlook.timezone", "UTC")
    if zone(zone_name) is None:
        # Outlook ignores a zone it does not know and answers in UTC.
        zone_name = "UTC"
    return Preferences(
        immutable_ids=values.get("idtype", "").lower() == "immutableid",
        time_zone=zone_name,
        text_body=values.get("outlook.body-content-type", "").lower() == "text",
        max_page_size=page,
    )


def select(request: Request, allowed: frozenset[str], entity: str) -> tuple[str, ...] | None:
    """The $select list (None: everything); 400 for a property the type does not have."""
    raw = request.param("$select")
    if raw is None:
        return None
    names = tuple(name.strip() for name in raw.split(",") if name.strip())
    if not names:
        raise bad_request("Invalid $select value.")
    lower = {a.lower(): a for a in allowed}
    resolved = []
    for name in names:
        if name.lower() not in lower:
            raise GraphError(
                400,
                "RequestBroker--ParseUri",
                f"Could not find a property named '{name}' on type 'microsoft.graph.{entity}'.",
            )
        resolved.append(lower[name.lower()])
    return tuple(resolved)


def top(request: Request, maximum: int = 1000) -> int | None:
    raw = request.param("$top")
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise bad_request(f"Invalid value '{raw}' for $top query option.")
    return min(int(raw), maximum)


@dataclass(frozen=True)
class Clause:
    """One `property op literal` comparison of a $filter."""

    prop: str
    op: str
    value: Any


_CLAUSE = re.compile(
    r"\s*([A-Za-z][A-Za-z/]*)\s+(eq|ne|ge|gt|le|lt)\s+('(?:[^']|'')*'|[^\s']+)\s*", re.IGNORECASE
)


def parse_filter(text: str, allowed: dict[str, str]) -> list[Clause]:
    """Clauses joined by `and`. `allowed` maps property name → literal kind
    ("string", "datetime", "bool"). Anything else is the 400 Graph answers."""
    clauses: list[Clause] = []
    parts = re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE)
    for part in parts:
        match = _CLAUSE.fullmatch(part)
        if not match:
            raise GraphError(
                400, "BadRequest", f"Invalid filter clause: syntax error near '{part.strip()}'."
            )
        prop, op, literal = match.group(1), match.group(2).lower(), match.group(3)
        lookup = {k.lower(): k for k in allowed}
        if prop.lower() not in lookup:
            raise GraphError(
                400, "ErrorInvalidProperty", f"The property '{prop}' does not support filtering."
            )
        name = lookup[prop.lower()]
        clauses.append(Clause(name, op, _literal(literal, allowed[name], name)))
    return clauses


def _literal(literal: str, kind: str, name: str) -> Any:
    if kind == "string":
        if len(literal) < 2 or not (literal.startswith("'") and literal.endswith("'")):
            raise bad_request(f"A string literal is required for '{name}'.")
        return literal[1:-1].replace("''", "'")
    if kind == "bool":
        if literal.lower() not in ("true", "false"):
            raise bad_request(f"A boolean literal is required for '{name}'.")
        return literal.lower() == "true"
    moment = parse_instant(literal)
    if moment is None:
        raise bad_request(
            f"The DateTimeOffset text '{literal}' should be in format "
            "'yyyy-mm-ddThh:mm:ss('.'s+)?(zzzzzz)?'."
        )
    return moment


def matches(clause: Clause, actual: Any) -> bool:
    if actual is None:
        return clause.op == "ne"
    if isinstance(clause.value, datetime) and not isinstance(actual, datetime):
        return False
    if isinstance(clause.value, str) and isinstance(actual, str):
        actual, expected = actual.lower(), clause.value.lower()
    else:
        expected = clause.value
    ops = {
        "eq": lambda: actual == expected,
        "ne": lambda: actual != expected,
        "ge": lambda: actual >= expected,
        "gt": lambda: actual > expected,
        "le": lambda: actual <= expected,
        "lt": lambda: actual < expected,
    }
    try:
        return bool(ops[clause.op]())
    except TypeError:
        return False

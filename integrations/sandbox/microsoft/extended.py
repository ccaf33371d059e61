"""Single-value extended properties on messages: setting them in a request body, reading
one back with $expand, and filtering a message list with singleValueExtendedProperties/Any.

What the Graph v1.0 documentation says, followed here:
- "Create single-value extended property" (singlevaluelegacyextendedproperty-post-
  singlevalueextendedproperties): a new message (POST /me/messages) or an existing one
  (PATCH /me/messages/{id}) takes a `singleValueExtendedProperties` collection of
  {id, value}; "the response includes only the new or existing instance but not the new
  extended property".
- "Outlook extended properties overview": an id is "{type} {guid} Name {name}",
  "{type} {guid} Id {id}" or "{type} {proptag}", e.g.
  "String {8ECCC264-6880-4EBE-992F-8888D2EEAA1D} Name TestProperty".
- "Get singleValueLegacyExtendedProperty" (singlevaluelegacyextendedproperty-get):
  `GET /me/messages/{id}?$expand=singleValueExtendedProperties($filter=id eq '{id}')` is
  "currently the only way to get" the property; a collection is filtered with
  `$filter=singleValueExtendedProperties/Any(ep: ep/id eq '{id}' and ep/value eq '{v}')`
  (for strings also `ne`, `contains(ep/value, ...)`, `startswith(ep/value, ...)`), "the
  filter is applied to all instances of the resource in the signed-in user's mailbox",
  and such a response "does not include the extended property". "Filtering the string
  name (Name) in the id of an extended property is case-sensitive. Filtering the value
  property of an extended property is case-insensitive."
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import GraphError
from .state import Message

FIELD = "singleValueExtendedProperties"

_GUID = r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}"
_ID = re.compile(
    rf"^(?P<type>[A-Za-z]+)\s+(?:\{{(?P<guid>{_GUID})\}}\s+"
    rf"(?:(?i:Name)\s+(?P<name>\S.*)|(?i:Id)\s+(?P<num>0x[0-9A-Fa-f]+))"
    rf"|(?P<tag>0x[0-9A-Fa-f]{{1,4}}))$"
)
_QUOTED = r"'(?:[^']|'')*'"
_EXPAND = re.compile(
    rf"^\s*{FIELD}\s*\(\s*\$filter\s*=\s*\(?\s*id\s+eq\s+(?P<id>{_QUOTED})\s*\)?\s*\)\s*$",
    re.IGNORECASE,
)
_ANY = re.compile(
    rf"{FIELD}/Any\(\s*(?P<var>[A-Za-z]\w*)\s*:\s*"
    rf"(?P<body>(?:[^()']|{_QUOTED}|\((?:[^()']|{_QUOTED})*\))*)\)",
    re.IGNORECASE,
)


def key(property_id: str) -> str | None:
    """The property an id names, whatever the case of its type and GUID (the Name keeps
    its case: filtering on it is case-sensitive); None when the id has none of the forms."""
    found = _ID.match(property_id.strip())
    if found is None:
        return None
    kind = found["type"].lower()
    if found["name"] is not None:
        return f"{kind} {{{found['guid'].lower()}}} name {found['name']}"
    if found["num"] is not None:
        return f"{kind} {{{found['guid'].lower()}}} id {int(found['num'], 16):#x}"
    return f"{kind} {int(found['tag'], 16):#x}"


def apply(message: Message, value: Any) -> None:
    """Set the properties of a request body's singleValueExtendedProperties collection."""
    if not isinstance(value, list):
        raise GraphError(400, "RequestBodyRead", f"Property '{FIELD}' must be a collection.")
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise GraphError(400, "RequestBodyRead", f"Each of '{FIELD}' needs an id.")
        if not isinstance(item.get("value"), str):
            raise GraphError(400, "RequestBodyRead", f"Each of '{FIELD}' needs a string value.")
        found = key(item["id"])
        if found is None:
            raise GraphError(
                400, "ErrorInvalidProperty", f"The extended property id '{item['id']}' is invalid."
            )
        message.extended[found] = (item["id"], item["value"])


def expanded(raw: str | None) -> str | None:
    """The property key a `$expand` asks for (None without one); 400 for anything else."""
    if raw is None:
        return None
    found = _EXPAND.match(raw)
    wanted = key(_unquote(found["id"])) if found else None
    if wanted is None:
        raise GraphError(
            400,
            "BadRequest",
            f"Parsing OData Select and Expand failed: unsupported $expand '{raw}'. The "
            f"sandbox expands only {FIELD}($filter=id eq '...').",
        )
    return wanted


def shown(message: Message, wanted: str) -> list[dict[str, str]] | None:
    """The expanded collection for `message`, or None when it lacks the property (Graph
    then leaves the collection out of the message)."""
    if wanted not in message.extended:
        return None
    written, value = message.extended[wanted]
    return [{"id": written, "value": value}]


def split_filter(text: str) -> tuple[str, Callable[[Message], bool] | None]:
    """A $filter without its singleValueExtendedProperties/Any(...) clause, and a test for
    that clause (None when there is none). Other clauses joined by `and` stay for the
    ordinary $filter parser."""
    found = _ANY.search(text)
    if found is None:
        return text, None
    test = _lambda(found["var"], found["body"])
    rest = (text[: found.start()] + " " + text[found.end() :]).strip()
    rest = re.sub(r"^and\s+|\s+and$", "", rest, flags=re.IGNORECASE).strip()
    rest = re.sub(r"\s+and\s+and\s+", " and ", rest, flags=re.IGNORECASE)
    return rest, test


def _lambda(var: str, body: str) -> Callable[[Message], bool]:
    v = re.escape(var)
    head = re.match(rf"^\s*{v}/id\s+eq\s+(?P<id>{_QUOTED})\s*(?:and\s+(?P<rest>.*))?$", body)
    wanted = key(_unquote(head["id"])) if head else None
    if head is None or wanted is None:
        raise GraphError(
            400,
            "BadRequest",
            f"Invalid filter clause: '{var}/id eq ...' must come first in {FIELD}/Any.",
        )
    rest = (head["rest"] or "").strip()
    if not rest:
        return lambda message: wanted in message.extended
    compare = re.match(rf"^{v}/value\s+(?P<op>eq|ne)\s+(?P<lit>{_QUOTED})$", rest)
    call = re.match(
        rf"^(?P<fn>contains|startswith)\(\s*{v}/value\s*,\s*(?P<lit>{_QUOTED})\s*\)$", rest
    )
    if compare is None and call is None:
        raise GraphError(400, "BadRequest", f"Invalid filter clause: syntax error near '{rest}'.")
    tests: dict[str, Callable[[str, str], bool]] = {
        "eq": lambda have, lit: have == lit,
        "ne": lambda have, lit: have != lit,
        "contains": lambda have, lit: lit in have,
        "startswith": lambda have, lit: have.startswith(lit),
    }
    chosen = compare if compare is not None else call
    assert chosen is not None
    op = tests[chosen["op"] if compare is not None else chosen["fn"]]
    literal = _unquote(chosen["lit"]).lower()  # values compare case-insensitively

    def test(message: Message) -> bool:
        if wanted not in message.extended:
            return False
        return op(message.extended[wanted][1].lower(), literal)

    return test


def _unquote(literal: str) -> str:
    return literal[1:-1].replace("''", "'")

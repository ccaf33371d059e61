"""`--help` without Python type names.

Typer 0.29 writes each parameter's annotation in angle brackets ("--json <bool>",
"contact <str>"), which reads as noise to anyone but a programmer. Flags show no type;
other values show theirs in plain capitals (TEXT, PATH, INTEGER), as Click does.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperOption

_PLAIN = {
    "str": "TEXT",
    "list[str]": "TEXT",
    "int": "INTEGER",
    "float": "NUMBER",
    "path": "PATH",
    "bool": "",
}
_option_type = TyperOption.display_type_rich
_argument_type = TyperArgument.display_type_rich


def _plain(shown: str | None) -> str | None:
    if not shown:
        return shown
    bare = shown.strip("<>")
    return _PLAIN.get(bare, bare.upper()) or None


def _option(self: TyperOption, ctx: Any) -> str | None:
    return None if self.is_flag else _plain(_option_type(self, ctx))


def _argument(self: Any, ctx: Any) -> str | None:
    # An argument's name already says what it is ("contact", "file").
    shown = _argument_type(self, ctx)
    return None if shown == "<str>" else _plain(shown)


def use_plain_help_types() -> None:
    TyperOption.display_type_rich = _option  # type: ignore[method-assign]
    TyperArgument.display_type_rich = _argument  # type: ignore[method-assign]

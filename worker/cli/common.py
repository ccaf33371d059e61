"""What every command shares: opening the app, one-line errors, JSON or table output."""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, NoReturn

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from events.clock import Clock
from events.errors import UserError
from worker.services.app import App, open_app
from worker.services.settings import load_settings

console = Console()
err_console = Console(stderr=True)

#: Exceptions that are the user's to fix: shown as one line, exit code 2. Anything else
#: is a bug (see `main`): a LookupError from deep inside is not the user's fault.
USER_ERRORS: tuple[type[BaseException], ...] = (UserError,)

#: Set when the command was given `--json`: its failures are JSON on stderr too, so a
#: script reading the output never has to parse a sentence.
_json_errors = False


def json_errors(on: bool = True) -> None:
    global _json_errors
    _json_errors = on


def _fail_json(message: str, code: int, kind: str) -> NoReturn:
    sys.stderr.write(json.dumps({"error": message, "kind": kind, "exit_code": code}) + "\n")
    raise SystemExit(code)


def fail(message: str, code: int = 2) -> NoReturn:
    if _json_errors:
        _fail_json(message, code, "user_error" if code == 2 else "error")
    # Escaped: a message quoting "[policy]" or a name like "[bold]" is text, not markup.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise SystemExit(code)


def report_bug(exc: BaseException) -> NoReturn:
    """A bug, not the user's input: the traceback goes to the log file, one line to stderr,
    exit 1. The traceback holds code and messages, never local values, so no secret."""
    from worker.services.settings import log_file

    where = log_file()
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        with where.open("a", encoding="utf-8") as log:
            log.write("".join(traceback.format_exception(exc)))
        detail = f"the details are in {where}"
    except OSError:
        detail = "the details could not be written to a log file"
    if _json_errors:
        _fail_json(f"{type(exc).__name__}: a bug, not your input; {detail}", 1, "bug")
    err_console.print(
        f"[bold red]error:[/] {escape(type(exc).__name__)}: something went wrong inside "
        f"outreach (a bug, not your input); {escape(detail)}",
        highlight=False,
        soft_wrap=True,
    )
    raise SystemExit(1)


@contextmanager
def opened_app(clock: Clock | None = None, *, as_json: bool = False) -> Iterator[App]:
    """Open the app for one command; user errors become one line on stderr (JSON with
    `as_json`) and exit 2. The clock is OUTREACH_CLOCK_URL's when that is set."""
    from worker.runner.clocks import clock_from_env

    json_errors(as_json)
    app: App | None = None
    try:
        app = open_app(load_settings(), clock or clock_from_env(os.environ))
        yield app
    except USER_ERRORS as exc:
        # str(KeyError) is the repr of its message, quotes included.
        text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        fail(text.splitlines()[0] if text else type(exc).__name__)
    finally:
        if app is not None:
            app.close()


def _json_value(value: Any) -> Any:
    # ISO 8601 like every other time in the output (str() would put a space before the time).
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=_json_value, ensure_ascii=False) + "\n")


def say(line: str) -> None:
    """One line of plain text: never read as markup, never wrapped into two."""
    console.print(Text(line), soft_wrap=True)


def print_table(
    title: str,
    columns: list[str],
    rows: list[list[Any]],
    empty: str = "nothing yet",
    *,
    wide: bool = False,
) -> None:
    """A table whose rows stay one line each: in an 80-column terminal a long cell ends in
    "…" rather than wrapping (`wide`: cells are folded, nothing is cut)."""
    if not rows:
        console.print(Text(f"{title}: {empty}"))
        return
    # Lines under the header only: side borders cost six columns of an 80-column terminal.
    table = Table(title=Text(title), title_justify="left", box=box.SIMPLE_HEAD)
    for i, col in enumerate(columns):
        if wide:
            table.add_column(col, overflow="fold")
        else:
            # A long name (the first column) gives way before the stage and what comes next.
            table.add_column(
                col, overflow="ellipsis", no_wrap=True, max_width=26 if i == 0 else None
            )
    for row in rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row))
    console.print(table)


def short(contact_id: str) -> str:
    return contact_id[:8]


Command = Callable[..., Any]

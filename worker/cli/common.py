"""What every command shares: opening the app, one-line errors, JSON or table output."""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, NoReturn

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


def fail(message: str, code: int = 2) -> NoReturn:
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
    err_console.print(
        f"[bold red]error:[/] {escape(type(exc).__name__)}: something went wrong inside "
        f"outreach (a bug, not your input); {escape(detail)}",
        highlight=False,
        soft_wrap=True,
    )
    raise SystemExit(1)


@contextmanager
def opened_app(clock: Clock | None = None) -> Iterator[App]:
    """Open the app for one command; user errors become one line on stderr and exit 2."""
    app: App | None = None
    try:
        app = open_app(load_settings(), clock)
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


def print_table(
    title: str, columns: list[str], rows: list[list[Any]], empty: str = "nothing yet"
) -> None:
    if not rows:
        console.print(Text(f"{title}: {empty}"))
        return
    table = Table(title=Text(title), title_justify="left")
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row))
    console.print(table)


def short(contact_id: str) -> str:
    return contact_id[:8]


Command = Callable[..., Any]

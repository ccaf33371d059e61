"""The `outreach` command line: one Typer app, one module per command group."""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import typer

app = typer.Typer(
    rich_markup_mode="markdown",
    name="outreach",
    help="Keeps the bookkeeping of informational interviews: outreach, nudges, meetings, thanks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Imported at once (it is small): every --help, of any command, goes through it.
from worker.cli.help_types import use_plain_help_types  # noqa: E402

use_plain_help_types()


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"outreach {version('outreach')}")
        raise typer.Exit()


@app.callback()
def _outreach(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    # A callback keeps `outreach` a group of commands when only one command module is
    # imported: Typer runs an app of a single command as that command, without its name.
    from worker.cli.common import json_errors

    # Each command says for itself whether its failures are JSON (its --json): a setting
    # left by an earlier command in the same process must not leak into this one.
    json_errors(_json_run)


# The module defining each top-level command, so that a call imports only its own
# module: importing every one (the Google and Microsoft client libraries among them)
# cost most of a second on every call. A test checks this against the registered app.
COMMANDS: dict[str, str] = {
    "accounts": "accounts",
    "connect": "connect",
    "contacts": "contacts",
    "reach-out": "contacts",
    "close": "contacts",
    "reopen": "contacts",
    "demo": "demo",
    "init": "init",
    "drafts": "drafts",
    "met": "meetings",
    "notes": "meetings",
    "prep": "meetings",
    "run": "run",
    "worker": "run",
    "scheduler": "run",
    "sandbox": "sandbox",
    "schedule": "schedule",
    "service": "service",
    "status": "status",
    "sync": "sync",
    "ui": "ui",
    "pipeline": "views",
    "history": "views",
    "projections": "views",
}


#: Whether this process was started with --json (set by `main`, read by every command).
_json_run = False


def _register(argv: list[str] | None = None) -> None:
    """Import the command modules `argv` needs: the named command's, or all of them
    (for `--help`, no command, or a name that is no command, so Typer can list them)."""
    # Imported here so each command module can import `app` without a cycle.
    args = sys.argv[1:] if argv is None else argv
    name = args[0] if args else None
    if name == "--version":
        return  # answered by the callback alone
    modules = [COMMANDS[name]] if name in COMMANDS else sorted(set(COMMANDS.values()))
    for module in modules:
        importlib.import_module(f"worker.cli.{module}")


def main() -> None:
    """Console-script entry point: a user's mistake is one line and exit 2; a bug is one
    line, exit 1, and its traceback in the log file the line names."""
    global _json_run
    _register()
    if "--json" in sys.argv[1:]:
        from worker.cli.common import json_errors

        # Before parsing: a usage error under --json is JSON as well.
        _json_run = True
        json_errors()
    try:
        if "--json" in sys.argv[1:]:
            _run_for_json()
        else:
            app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:
        from events.errors import UserError
        from worker.cli.common import fail, report_bug

        if isinstance(exc, UserError):
            fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        report_bug(exc)


def _run_for_json() -> None:
    """Run the app with Click's own error printing off, so that a usage error (an unknown
    option, a missing argument) reaches `fail` and is JSON like every other failure."""
    from worker.cli.common import fail

    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        fail("aborted", 1)
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.TyperException as exc:
        # Typer's own copy of Click's ClickException (usage errors): a message and a code.
        told = exc
        message = getattr(told, "format_message", lambda: str(told))()
        fail(str(message), int(getattr(told, "exit_code", 2)))
    # Without standalone mode Click returns the code of an `Exit` instead of exiting.
    if isinstance(code, int) and code:
        raise SystemExit(code)

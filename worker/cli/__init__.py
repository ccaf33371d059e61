"""The `outreach` command line: one Typer app, one module per command group."""

from __future__ import annotations

import importlib
import sys

import typer

app = typer.Typer(
    name="outreach",
    help="Keeps the bookkeeping of informational interviews: outreach, nudges, meetings, thanks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _outreach() -> None:
    # A callback keeps `outreach` a group of commands when only one command module is
    # imported: Typer runs an app of a single command as that command, without its name.
    pass


# The module defining each top-level command, so that a call imports only its own
# module: importing every one (the Google and Microsoft client libraries among them)
# cost most of a second on every call. A test checks this against the registered app.
COMMANDS: dict[str, str] = {
    "accounts": "accounts",
    "connect": "connect",
    "contacts": "contacts",
    "reach-out": "contacts",
    "demo": "demo",
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
    "pipeline": "views",
    "history": "views",
    "projections": "views",
}


def _register(argv: list[str] | None = None) -> None:
    """Import the command modules `argv` needs: the named command's, or all of them
    (for `--help`, no command, or a name that is no command, so Typer can list them)."""
    # Imported here so each command module can import `app` without a cycle.
    args = sys.argv[1:] if argv is None else argv
    name = args[0] if args else None
    modules = [COMMANDS[name]] if name in COMMANDS else sorted(set(COMMANDS.values()))
    for module in modules:
        importlib.import_module(f"worker.cli.{module}")


def main() -> None:
    """Console-script entry point: a user's mistake is one line and exit 2; a bug is one
    line, exit 1, and its traceback in the log file the line names."""
    _register()
    try:
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

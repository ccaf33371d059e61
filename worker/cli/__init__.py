"""The `outreach` command line: one Typer app, one module per command group."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="outreach",
    help="Keeps the bookkeeping of informational interviews: outreach, nudges, meetings, thanks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    # Imported here so each command module can import `app` without a cycle.
    from worker.cli import (  # noqa: F401
        accounts,
        connect,
        contacts,
        demo,
        drafts,
        meetings,
        run,
        sandbox,
        schedule,
        service,
        status,
        sync,
        views,
    )


def main() -> None:
    """Console-script entry point."""
    _register()
    app()
